//! `assay explain NAME` or `assay explain --legacy … --new … --key … --measure …`

use polars::prelude::Column;

use crate::error::{Error, Result};
use crate::frame::{self, exact_column, text_column, Format};
use crate::recon::configured;
use crate::recon::explain::{explain, given_lookup, lookups_of, Explanation, Options};

use super::sides::{adhoc_spec, adhoc_store, base_dir, SideArgs};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A comparison of assay.toml (or give the sides ad hoc with --legacy/--new/--key).
    #[arg(conflicts_with = "legacy", required_unless_present = "legacy")]
    pub name: Option<String>,
    #[command(flatten)]
    pub sides: SideArgs,
    /// How many causes to list at most (1 or more).
    #[arg(long, default_value_t = 15, value_parser = at_least_one)]
    pub top: usize,
    /// A table (schema.table) or file whose matches may be what legacy selected rows by
    /// (repeatable); with a comparison, added to its `explain.lookups`.
    #[arg(long, value_name = "FILE|TABLE")]
    pub lookup: Vec<String>,
    /// The columns a lookup matches on, when they are not the keys it shares: `COL` where
    /// both name it so, `NEW=LOOKUP` where the lookup names it otherwise (`customer_id=client_no`).
    #[arg(long, value_delimiter = ',', requires = "lookup", value_parser = parse_on, value_name = "NEW[=LOOKUP],…")]
    pub on: Vec<(String, String)>,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(dir: Option<std::path::PathBuf>, args: ExplainArgs) -> Result<i32> {
    let base = base_dir(dir.clone())?;
    let (store, spec, label, agreeing, mut lookups) = match &args.name {
        Some(name) => {
            let ws = super::workspace(dir)?;
            let store = super::open_for_compare(&ws, name, &args.sides.company)?;
            let (spec, agreeing) =
                configured::prepare_with_groups(&ws, &store, name, &args.sides.company)?;
            let lookups = lookups_of(store.conn(), &spec, &ws, name)?;
            (store, spec, name.clone(), agreeing, lookups)
        }
        None => {
            let store = adhoc_store(&base)?;
            let (spec, _) = adhoc_spec(&store, &args.sides, &base)?;
            (store, spec, "adhoc".to_string(), None, Vec::new())
        }
    };
    // --measure picks the measure to explain; the comparison's first by default.
    let measure = args
        .sides
        .measure
        .first()
        .or(spec.measures.first())
        .cloned()
        .ok_or_else(|| Error::Usage(format!("{label}: no measure to explain (give --measure)")))?;
    for given in &args.lookup {
        let found = given_lookup(store.conn(), &spec, (given, &args.on), &base)
            .map_err(|e| Error::Usage(format!("--lookup {e}")))?;
        lookups.push(found);
    }
    let opts = Options {
        top: args.top,
        lookups,
        agreeing,
    };
    let explained = explain(store.conn(), &spec, &measure, &opts)?;
    print(&explained, &label, args.format)?;
    Ok(0)
}

/// `--on`: `COL` (the same name on both sides) or `NEW=LOOKUP`.
fn parse_on(text: &str) -> std::result::Result<(String, String), String> {
    let (new, theirs) = text.split_once('=').unwrap_or((text, text));
    let (new, theirs) = (new.trim(), theirs.trim());
    if new.is_empty() || theirs.is_empty() {
        return Err(format!("`{text}`: write COL or NEW=LOOKUP"));
    }
    Ok((new.to_string(), theirs.to_string()))
}

fn print(e: &Explanation, label: &str, format: Format) -> Result<()> {
    if format == Format::Json {
        // A typed value, not `json!`: a `Value` would turn the exact deltas into floats.
        let value = crate::recon::explain::Explained {
            schema_version: crate::recon::report::SCHEMA_VERSION,
            comparison: label,
            measure: &e.measure,
            total: e.total,
            causes: &e.causes,
            remaining: e.remaining,
            rows_not_fetched: e.rows_not_fetched,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("plain JSON")
        );
        return Ok(());
    }
    let causes = &e.causes;
    let pct = |x: f64| (x * 1000.0).round() / 10.0;
    let mut df = frame::from_columns(vec![
        text_column("cause", causes, |c| c.headline()),
        text_column("rows_in", causes, |c| c.row_class.to_string()),
        Column::new(
            "rows".into(),
            causes.iter().map(|c| c.rows).collect::<Vec<i64>>(),
        ),
        exact_column("delta", causes, |c| c.delta),
        Column::new(
            "share_pct".into(),
            causes.iter().map(|c| pct(c.share)).collect::<Vec<f64>>(),
        ),
        Column::new(
            "cumulative_pct".into(),
            causes
                .iter()
                .map(|c| pct(c.cumulative_share))
                .collect::<Vec<f64>>(),
        ),
        text_column("how", causes, |c| {
            c.pattern
                .as_ref()
                .map(|p| p.text.clone())
                .unwrap_or_default()
        }),
    ])?;
    let mut out = std::io::stdout();
    frame::write(&mut df, format, &mut out)?;
    if format == Format::Table {
        println!(
            "gap {}: the causes explain {}, {} unexplained",
            e.total,
            e.total.minus(e.remaining).unwrap_or(e.total),
            e.remaining
        );
        if e.rows_not_fetched > 0 {
            println!(
                "{} agreeing rows stayed in the warehouse: they count in each cause's purity, \
                 but no value pattern saw them",
                e.rows_not_fetched
            );
        }
    }
    Ok(())
}

/// `--top 0` would list nothing and say nothing of it.
fn at_least_one(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
