//! `assay compare [NAME]` or `assay compare --legacy … --new … --key …`

use crate::campaign::{self, Via};
use crate::config::Workspace;
use crate::config::{Gate, Tolerance};
use crate::error::{Error, Result};
use crate::frame::Format;
use crate::recon::report::{compare, Report};
use crate::recon::{configured, gate, rows_out};

use super::report_text;
use super::sides::{adhoc_spec, adhoc_store, base_dir, SideArgs};

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// A comparison of assay.toml; every comparison when absent.
    #[arg(conflicts_with = "legacy")]
    pub name: Option<String>,
    #[command(flatten)]
    pub sides: SideArgs,
    /// Hide nested breakdown rows below this share of the gap, in percent (table, csv, md).
    #[arg(long, default_value_t = 1.0, value_name = "PCT")]
    pub min_share: f64,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
    /// Write every changed and one-sided row (class, keys, both sides' values, the columns
    /// that differ) to FILE (.parquet or .csv); one comparison at a time.
    #[arg(long, value_name = "FILE")]
    pub rows_out: Option<std::path::PathBuf>,
    /// Exit 1 when any of these classes differ (comma-separated): measures, rows, columns,
    /// schema; the comparison's `fail_on` when absent (measures).
    #[arg(long, value_delimiter = ',', value_parser = Gate::parse, value_name = "CLASSES")]
    pub fail_on: Vec<Gate>,
}

/// What one report is gated on: the classes, the tolerance of the rows gate, the columns
/// left out on purpose (not schema changes).
struct Gated {
    fail_on: Vec<Gate>,
    tolerance: Tolerance,
    skip: Vec<String>,
}

pub fn run(dir: Option<std::path::PathBuf>, args: CompareArgs) -> Result<i32> {
    let (reports, gates) = if args.sides.is_adhoc() {
        let base = base_dir(dir)?;
        let store = adhoc_store(&base)?;
        let (spec, formats) = adhoc_spec(&store, &args.sides, &base)?;
        let mut report = compare(store.conn(), &spec)?;
        report.sides = formats;
        if let Some(path) = &args.rows_out {
            let shown = crate::pii::Shown::nothing();
            rows_out(path, rows_out::write(store.conn(), &spec, path, &shown))?;
        }
        let gated = Gated {
            fail_on: args.fail_on.clone(),
            tolerance: Tolerance::absolute(args.sides.tolerance),
            skip: Vec::new(),
        };
        (vec![("adhoc".to_string(), report)], vec![gated])
    } else {
        let ws = super::workspace(dir)?;
        let reports = configured_reports(&ws, &args)?;
        let gates = reports
            .iter()
            .map(|(name, _)| {
                let c = &ws.config.comparisons[name];
                Gated {
                    fail_on: match args.fail_on.is_empty() {
                        true => c.fail_on.clone(),
                        false => args.fail_on.clone(),
                    },
                    tolerance: c.tolerance.clone(),
                    skip: c.skip.clone(),
                }
            })
            .collect();
        (reports, gates)
    };
    output(&reports, &args)?;
    Ok(i32::from(failed_gates(&reports, &gates)))
}

/// Whether a report fails what it is gated on; each failure said on stderr, except the
/// default gate's (the report itself shows a measure beyond its tolerance).
fn failed_gates(reports: &[(String, Report)], gates: &[Gated]) -> bool {
    let mut failed = false;
    for ((name, report), g) in reports.iter().zip(gates) {
        let fail_on = match g.fail_on.is_empty() {
            true => vec![Gate::Measures],
            false => g.fail_on.clone(),
        };
        let why = gate::failures(report, &fail_on, &g.tolerance, &g.skip);
        if fail_on != [Gate::Measures] {
            for w in &why {
                eprintln!("{name} fails on {w}");
            }
        }
        failed |= !why.is_empty();
    }
    failed
}

fn configured_reports(ws: &Workspace, args: &CompareArgs) -> Result<Vec<(String, Report)>> {
    let names: Vec<String> = match &args.name {
        Some(n) => vec![n.clone()],
        None => ws.config.comparisons.keys().cloned().collect(),
    };
    if names.is_empty() {
        return Err(Error::Usage(
            "the workspace defines no [comparisons.*]".into(),
        ));
    }
    if let Some(path) = &args.rows_out {
        if names.len() > 1 {
            return Err(Error::Usage(format!(
                "--rows-out {} takes one comparison: name it (comparisons: {})",
                path.display(),
                names.join(", ")
            )));
        }
        rows_out::RowsFormat::of(path)?;
    }
    names
        .into_iter()
        .map(|name| {
            let only = &args.sides.company;
            let report = compare_one(ws, &name, args).inspect_err(|e| {
                campaign::record_failure(ws, (&name, only), e, Via("cli"));
            })?;
            Ok((name, report))
        })
        .collect()
}

/// One configured comparison compared, recorded in the history, its samples masked and its
/// differing rows written out when asked.
fn compare_one(ws: &Workspace, name: &str, args: &CompareArgs) -> Result<Report> {
    let only = &args.sides.company;
    let store = super::open_for_compare(ws, name, only)?;
    let _spinner = super::progress::stages(&format!("comparing {name}"));
    let compared = configured::prepare_and_compare(ws, &store, name, only, None)?;
    let warehouse = super::connect_warehouse(ws)?;
    crate::trace::stage("history", || {
        let sides = (&store, warehouse.as_ref());
        campaign::record(ws, sides, (name, only), &compared, Via("cli"))
    })?;
    let mut report = compared.report;
    let policy = crate::build::lineage::personal(ws, &store)?;
    let shown = policy.of_comparison(&ws.config.comparisons[name]);
    report.samples.mask(&shown);
    if let Some(path) = &args.rows_out {
        if compared.agreeing_groups.is_some() {
            return Err(Error::Usage(format!(
                "--rows-out {}: {name} was compared in the ClickHouse warehouse, \
                 which sends only the slices whose sums differ; the rows of the others \
                 are not here to write",
                path.display()
            )));
        }
        rows_out(
            path,
            rows_out::write(store.conn(), &compared.spec, path, &shown),
        )?;
    }
    Ok(report)
}

/// `parity --run`: comparison `name` compared over all its companies and recorded.
pub fn record_one(ws: &Workspace, name: &str) -> Result<()> {
    let via = Via("parity");
    let made = (|| {
        let store = super::open_for_compare(ws, name, &[])?;
        let compared = configured::prepare_and_compare(ws, &store, name, &[], None)?;
        let warehouse = super::connect_warehouse(ws)?;
        let sides = (&store, warehouse.as_ref());
        campaign::record(ws, sides, (name, &[]), &compared, via)
    })();
    if let Err(e) = &made {
        campaign::record_failure(ws, (name, &[]), e, via);
    }
    made.map(|_| ())
}

/// Say where the rows went (on stderr: stdout carries the report).
fn rows_out(path: &std::path::Path, written: Result<u64>) -> Result<()> {
    let n = written?;
    eprintln!("note: {n} rows that differ written to {}", path.display());
    Ok(())
}

fn output(reports: &[(String, Report)], args: &CompareArgs) -> Result<()> {
    if args.format == Format::Json {
        for (name, report) in reports {
            for w in &report.warnings {
                eprintln!("warning: {name}: {w}");
            }
        }
        // Serialised straight from the reports (never through a `Value`, which would turn
        // the exact decimals into floats).
        let value: std::collections::BTreeMap<&String, &Report> =
            reports.iter().map(|(n, r)| (n, r)).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("plain JSON")
        );
        return Ok(());
    }
    for (name, report) in reports {
        report_text::print(name, report, args.format, args.min_share / 100.0)?;
    }
    Ok(())
}
