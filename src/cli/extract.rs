//! `assay extract`

use polars::prelude::{Column, DataFrame};

use super::progress::JobProgress;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::extract::{self, Outcome, Selection};
use crate::frame::{self, hundredths_column, text_column, Format};
use crate::store::RunStatus;

#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// A company to extract (repeatable).
    #[arg(long = "company", value_name = "ID")]
    pub company: Vec<String>,
    /// Companies to extract, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub companies: Vec<String>,
    /// Every company of the workspace.
    #[arg(long, conflicts_with_all = ["company", "companies"])]
    pub all: bool,
    /// An entity to extract (repeatable); all entities when absent.
    #[arg(long = "entity", value_name = "NAME")]
    pub entity: Vec<String>,
    /// Read every source again, even files unchanged since the last run (whose runs are
    /// otherwise recorded without reading them, their version kept).
    #[arg(long)]
    pub full_refresh: bool,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: ExtractArgs) -> Result<i32> {
    let mut companies = args.company.clone();
    companies.extend(args.companies.iter().filter(|c| !c.is_empty()).cloned());
    if companies.is_empty() && !args.all {
        return Err(Error::Usage(
            "say which companies: --company ID, --companies A,B or --all".into(),
        ));
    }
    let selection = Selection {
        companies,
        entities: args.entity,
        full_refresh: args.full_refresh,
    };
    let cancel = super::interrupt();
    let store = super::open_cache(ws, crate::store::Access::Write, Some(cancel.clone()))?;
    let progress = JobProgress::new();
    let outcomes = extract::run(ws, &store, &selection, &cancel, &|e| progress.handle(e))?;
    let mut df = outcomes_frame(&outcomes)?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    Ok(exit_code(&outcomes))
}

fn exit_code(outcomes: &[Outcome]) -> i32 {
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status != RunStatus::Ok)
        .collect();
    if failed.is_empty() {
        0
    } else if failed.iter().all(|o| o.drift_failure) {
        1
    } else {
        3
    }
}

fn outcomes_frame(outcomes: &[Outcome]) -> Result<DataFrame> {
    frame::from_columns(vec![
        text_column("company", outcomes, |o| o.company.clone()),
        text_column("entity", outcomes, |o| o.entity.clone()),
        Column::new(
            "run".into(),
            outcomes
                .iter()
                .map(|o| o.run_id)
                .collect::<Vec<Option<i64>>>(),
        ),
        text_column("status", outcomes, |o| o.status.as_str().to_string()),
        Column::new(
            "unchanged".into(),
            outcomes.iter().map(|o| o.unchanged).collect::<Vec<bool>>(),
        ),
        Column::new(
            "rows".into(),
            outcomes.iter().map(|o| o.rows).collect::<Vec<i64>>(),
        ),
        hundredths_column("seconds", outcomes, |o| o.seconds),
        text_column("error", outcomes, |o| o.error.clone().unwrap_or_default()),
    ])
}
