//! `assay test`: the data tests of assay.toml, per company (exit 0 pass, 1 warn, 2 fail,
//! 3 a test that could not run).

use polars::prelude::Column;

use crate::checks::{self, Outcome, TestStatus};
use crate::config::Workspace;
use crate::error::Result;
use crate::frame::{self, text_column, Format};

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Only these tests, by name or by table (`gold.fct_sales`); repeatable.
    #[arg(long)]
    pub select: Vec<String>,
    /// Only these companies (repeatable).
    #[arg(long)]
    pub company: Vec<String>,
    /// Every test × company; by default the passing ones are counted, not listed.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: TestArgs) -> Result<i32> {
    let outcomes = evaluate_and_record(ws, &args.select, &args.company)?;
    print(&outcomes, &args)?;
    Ok(checks::exit_code(&outcomes))
}

/// Run the tests on the cache (read) and the warehouse, then record them for history and
/// the health view (a short write once they have run).
pub fn evaluate_and_record(
    ws: &Workspace,
    select: &[String],
    companies: &[String],
) -> Result<Vec<Outcome>> {
    let outcomes = {
        let store = super::open_cache(ws, crate::store::Access::Read, None)?;
        let warehouse = super::connect_warehouse(ws)?;
        let policy = crate::build::lineage::personal(ws, &store)?;
        checks::run(
            ws,
            (store.conn(), warehouse.as_ref()),
            &policy,
            select,
            companies,
        )?
    };
    let store = super::open_cache(ws, crate::store::Access::Write, None)?;
    checks::record::record(&store, &outcomes)?;
    Ok(outcomes)
}

fn print(outcomes: &[Outcome], args: &TestArgs) -> Result<()> {
    if args.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(outcomes).expect("plain data")
        );
        return Ok(());
    }
    let shown: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| args.all || o.status != TestStatus::Pass)
        .collect();
    let mut df = frame::from_columns(vec![
        text_column("test", &shown, |o| o.test.clone()),
        text_column("company", &shown, |o| o.company.clone()),
        text_column("status", &shown, |o| o.status.as_str().to_string()),
        Column::new(
            "failing".into(),
            shown.iter().map(|o| o.failing).collect::<Vec<i64>>(),
        ),
        text_column("first failing row", &shown, |o| first_row(o)),
    ])?;
    let passed = outcomes
        .iter()
        .filter(|o| o.status == TestStatus::Pass)
        .count();
    if !shown.is_empty() || args.format != Format::Table {
        frame::write(&mut df, args.format, &mut std::io::stdout())?;
    }
    if args.format == Format::Table {
        println!("{passed} of {} test × company passed", outcomes.len());
    }
    Ok(())
}

/// The first failing row as `col=value, …`, or the error (cut for a table cell).
fn first_row(o: &Outcome) -> String {
    let text = match (&o.error, o.samples.first()) {
        (Some(e), _) => e.clone(),
        (None, Some(row)) => {
            // The tested columns first: `invoice_type=VOID, …`.
            let mut cells: Vec<(&String, &Option<String>)> = row.iter().collect();
            cells.sort_by_key(|(k, _)| !o.columns.contains(k));
            cells
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("NULL")))
                .collect::<Vec<_>>()
                .join(", ")
        }
        (None, None) => String::new(),
    };
    let cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}
