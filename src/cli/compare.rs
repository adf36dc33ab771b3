//! `assay compare NAME`

use polars::prelude::Column;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::frame::{self, text_column, Format};
use crate::recon::configured;
use crate::recon::report::Report;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// A comparison of assay.toml; every comparison when absent.
    pub name: Option<String>,
    /// Only these companies (repeatable).
    #[arg(long = "company", value_name = "ID")]
    pub company: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: CompareArgs) -> Result<i32> {
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
    match args.format {
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
            for (name, report) in &reports {
                print_sections(name, report, format)?;
            }
        }
    }
    Ok(code)
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
        Column::new(
            "legacy".into(),
            m.iter().map(|x| round2(x.legacy)).collect::<Vec<f64>>(),
        ),
        Column::new(
            "new".into(),
            m.iter().map(|x| round2(x.new)).collect::<Vec<f64>>(),
        ),
        Column::new(
            "delta".into(),
            m.iter().map(|x| round2(x.delta)).collect::<Vec<f64>>(),
        ),
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
        Column::new(
            "legacy".into(),
            b.iter().map(|x| round2(x.legacy)).collect::<Vec<f64>>(),
        ),
        Column::new(
            "new".into(),
            b.iter().map(|x| round2(x.new)).collect::<Vec<f64>>(),
        ),
        Column::new(
            "delta".into(),
            b.iter().map(|x| round2(x.delta)).collect::<Vec<f64>>(),
        ),
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
