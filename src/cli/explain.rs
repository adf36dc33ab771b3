//! `assay explain NAME` or `assay explain --legacy … --new … --key … --measure …`

use polars::prelude::Column;

use crate::error::{Error, Result};
use crate::frame::{self, exact_column, text_column, Format};
use crate::recon::configured;
use crate::recon::explain::explain;

use super::sides::{adhoc_spec, adhoc_store, base_dir, SideArgs};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A comparison of assay.toml (or give the sides ad hoc with --legacy/--new/--key).
    #[arg(conflicts_with = "legacy", required_unless_present = "legacy")]
    pub name: Option<String>,
    #[command(flatten)]
    pub sides: SideArgs,
    /// How many causes to list.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(dir: Option<std::path::PathBuf>, args: ExplainArgs) -> Result<i32> {
    let (store, spec, label) = match &args.name {
        Some(name) => {
            let ws = super::workspace(dir)?;
            let store = super::open_for_compare(&ws, name, &args.sides.company)?;
            let spec = configured::prepare(&ws, &store, name, &args.sides.company)?;
            (store, spec, name.clone())
        }
        None => {
            let base = base_dir(dir)?;
            let store = adhoc_store(&base)?;
            let (spec, _) = adhoc_spec(&store, &args.sides, &base)?;
            (store, spec, "adhoc".to_string())
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
    let causes = explain(store.conn(), &spec, &measure, args.top)?;
    if args.format == Format::Json {
        // A typed value, not `json!`: a `Value` would turn the exact deltas into floats.
        let value = crate::recon::explain::Explained {
            schema_version: crate::recon::report::SCHEMA_VERSION,
            comparison: &label,
            measure: &measure,
            causes: &causes,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("plain JSON")
        );
        return Ok(0);
    }
    let mut df = frame::from_columns(vec![
        text_column("predicate", &causes, |c| c.predicate.clone()),
        text_column("rows_in", &causes, |c| c.row_class.to_string()),
        Column::new(
            "rows".into(),
            causes.iter().map(|c| c.rows).collect::<Vec<i64>>(),
        ),
        exact_column("delta", &causes, |c| c.delta),
        Column::new(
            "share_pct".into(),
            causes
                .iter()
                .map(|c| (c.share * 1000.0).round() / 10.0)
                .collect::<Vec<f64>>(),
        ),
    ])?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    Ok(0)
}
