//! `assay compare NAME`

use polars::prelude::Column;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::frame::{self, hundredths_column, text_column, Format};
use crate::recon::report::Report;
use crate::recon::report::{compare, Spec};
use crate::recon::{adhoc, configured, Rules};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// A comparison of assay.toml; every comparison when absent.
    #[arg(conflicts_with = "legacy")]
    pub name: Option<String>,
    /// Ad hoc, no config needed: the legacy side, a file or glob (CSV, Parquet, JSON) or a
    /// table of the workspace (schema.table).
    #[arg(long, requires_all = ["new", "key"])]
    pub legacy: Option<String>,
    /// Ad hoc: the new side, a file, glob or schema.table.
    #[arg(long, requires = "legacy")]
    pub new: Option<String>,
    /// Ad hoc: key columns (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub key: Vec<String>,
    /// Ad hoc: measures to total (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub measure: Vec<String>,
    /// Ad hoc: dimensions to break the delta down by.
    #[arg(long, value_delimiter = ',')]
    pub dimension: Vec<String>,
    /// Ad hoc: a legacy column and its new name, `old=new` (repeatable).
    #[arg(long = "map", value_parser = parse_mapping, value_name = "OLD=NEW")]
    pub map: Vec<(String, String)>,
    /// Ad hoc: absolute tolerance for numbers.
    #[arg(long, default_value_t = 0.0)]
    pub tolerance: f64,
    /// Only these companies (repeatable).
    #[arg(long = "company", value_name = "ID")]
    pub company: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn parse_mapping(text: &str) -> std::result::Result<(String, String), String> {
    text.split_once('=')
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| format!("`{text}` is not OLD=NEW"))
}

pub fn run(dir: Option<std::path::PathBuf>, args: CompareArgs) -> Result<i32> {
    if args.legacy.is_some() {
        return run_adhoc(dir, &args);
    }
    configured(&super::workspace(dir)?, args)
}

/// A compare from flags alone; the workspace's cache is used when there is one (for its
/// tables), an in-memory one otherwise.
fn run_adhoc(dir: Option<std::path::PathBuf>, args: &CompareArgs) -> Result<i32> {
    let cwd = match &dir {
        Some(d) => d.clone(),
        None => {
            std::env::current_dir().map_err(|e| Error::Runtime(format!("current folder: {e}")))?
        }
    };
    let store = match Workspace::discover(&cwd) {
        Ok(ws) => Store::open(&ws.cache_path())?,
        Err(_) => Store::in_memory()?,
    };
    let conn = store.conn();
    let legacy = adhoc::side(conn, args.legacy.as_deref().unwrap_or_default(), &cwd)?;
    let new = adhoc::side(conn, args.new.as_deref().unwrap_or_default(), &cwd)?;
    let spec = Spec {
        legacy,
        new,
        keys: args.key.clone(),
        map: args.map.clone(),
        measures: args.measure.clone(),
        dimensions: args.dimension.clone(),
        skip: Vec::new(),
        rules: Rules {
            absolute: args.tolerance,
            ..Rules::default()
        },
    };
    let report = compare(conn, &spec)?;
    let code = if report.within_tolerance() { 0 } else { 1 };
    output(&[("adhoc".to_string(), report)], args.format)?;
    Ok(code)
}

fn configured(ws: &Workspace, args: CompareArgs) -> Result<i32> {
    let names: Vec<String> = match &args.name {
        Some(n) => vec![n.clone()],
        None => ws.config.comparisons.keys().cloned().collect(),
    };
    if names.is_empty() {
        return Err(Error::Usage(
            "the workspace defines no [comparisons.*]".into(),
        ));
    }
    let store = Store::open(&ws.cache_path())?;
    let mut code = 0;
    let mut reports = Vec::new();
    for name in &names {
        let report = configured::run(ws, &store, name, &args.company)?;
        if !report.within_tolerance() {
            code = 1;
        }
        reports.push((name.clone(), report));
    }
    output(&reports, args.format)?;
    Ok(code)
}

fn output(reports: &[(String, Report)], format: Format) -> Result<()> {
    match format {
        Format::Json => {
            let value: serde_json::Map<String, serde_json::Value> = reports
                .iter()
                .map(|(n, r)| (n.clone(), serde_json::to_value(r).expect("plain data")))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&value).expect("plain JSON")
            );
        }
        format => {
            for (name, report) in reports {
                print_sections(name, report, format)?;
            }
        }
    }
    Ok(())
}

fn print_sections(name: &str, r: &Report, format: Format) -> Result<()> {
    let mut out = std::io::stdout();
    let heading = |title: &str| match format {
        Format::Md => println!("\n### {name}: {title}\n"),
        Format::Csv => println!("# {name}: {title}"),
        _ => println!("\n{name}: {title}"),
    };
    heading("totals");
    let m = &r.measures;
    let mut df = frame::from_columns(vec![
        text_column("measure", m, |x| x.name.clone()),
        hundredths_column("legacy", m, |x| x.legacy),
        hundredths_column("new", m, |x| x.new),
        hundredths_column("delta", m, |x| x.delta),
        Column::new(
            "delta_pct".into(),
            m.iter()
                .map(|x| x.delta_pct.map(round2))
                .collect::<Vec<Option<f64>>>(),
        ),
        text_column("within_tolerance", m, |x| x.within_tolerance.to_string()),
    ])?;
    frame::write(&mut df, format, &mut out)?;
    heading("rows");
    let rows = &r.rows;
    let pairs = [
        ("legacy_rows", rows.legacy_rows),
        ("new_rows", rows.new_rows),
        ("matched", rows.matched),
        ("changed", rows.changed),
        ("only_legacy", rows.only_legacy),
        ("only_new", rows.only_new),
        ("duplicate_keys_legacy", rows.duplicate_keys_legacy),
        ("duplicate_keys_new", rows.duplicate_keys_new),
    ];
    let mut df = frame::from_columns(vec![
        text_column("class", &pairs, |p| p.0.to_string()),
        Column::new(
            "rows".into(),
            pairs.iter().map(|p| p.1).collect::<Vec<i64>>(),
        ),
    ])?;
    frame::write(&mut df, format, &mut out)?;
    heading("columns (a = legacy, b = new)");
    let c = &r.columns;
    let mut df = frame::from_columns(vec![
        text_column("column", c, |x| x.name.clone()),
        Column::new(
            "perfect_match".into(),
            c.iter().map(|x| x.perfect_match).collect::<Vec<_>>(),
        ),
        Column::new(
            "null_in_a".into(),
            c.iter().map(|x| x.null_in_a).collect::<Vec<_>>(),
        ),
        Column::new(
            "null_in_b".into(),
            c.iter().map(|x| x.null_in_b).collect::<Vec<_>>(),
        ),
        Column::new(
            "missing_from_a".into(),
            c.iter().map(|x| x.missing_from_a).collect::<Vec<_>>(),
        ),
        Column::new(
            "missing_from_b".into(),
            c.iter().map(|x| x.missing_from_b).collect::<Vec<_>>(),
        ),
        Column::new(
            "conflicting_values".into(),
            c.iter().map(|x| x.conflicting_values).collect::<Vec<_>>(),
        ),
    ])?;
    frame::write(&mut df, format, &mut out)?;
    heading("delta by dimension");
    let b = &r.breakdown;
    let mut df = frame::from_columns(vec![
        text_column("dimension", b, |x| x.dimension.clone()),
        text_column("value", b, |x| x.value.clone().unwrap_or_default()),
        text_column("measure", b, |x| x.measure.clone()),
        hundredths_column("legacy", b, |x| x.legacy),
        hundredths_column("new", b, |x| x.new),
        hundredths_column("delta", b, |x| x.delta),
        Column::new(
            "share_pct".into(),
            b.iter()
                .map(|x| x.share.map(|s| round2(100.0 * s)))
                .collect::<Vec<Option<f64>>>(),
        ),
    ])?;
    frame::write(&mut df, format, &mut out)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
