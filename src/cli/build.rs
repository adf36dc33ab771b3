//! `assay build`

use polars::prelude::{Column, DataFrame};

use crate::build::{self, BuildStatus, ModelOutcome};
use crate::config::Workspace;
use crate::error::Result;
use crate::frame::{self, hundredths_column, text_column, Format};

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// A model (`fct_sales`, `gold.fct_sales`) or a layer (`silver`, `gold`); repeatable.
    /// Everything when absent.
    #[arg(long, value_name = "NAME|LAYER")]
    pub select: Vec<String>,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: BuildArgs) -> Result<i32> {
    let outcomes = if ws.config.layers.external() {
        build::run_external(ws)?
    } else {
        models(ws, &args)?
    };
    let mut df = outcomes_frame(&outcomes)?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    if !outcomes.iter().all(|o| o.status == BuildStatus::Ok) {
        return Ok(3);
    }
    if ws.config.checks.after_build && !ws.config.tests.is_empty() {
        // `[checks] after_build`: the data tests, recorded; their exit code is the build's.
        return after_build(ws);
    }
    Ok(0)
}

fn after_build(ws: &Workspace) -> Result<i32> {
    let outcomes = super::test::evaluate_and_record(ws, &[], &[])?;
    let code = crate::checks::exit_code(&outcomes);
    let bad = outcomes
        .iter()
        .filter(|o| o.status != crate::checks::TestStatus::Pass)
        .count();
    eprintln!(
        "data tests: {} of {} test × company passed{}",
        outcomes.len() - bad,
        outcomes.len(),
        if bad > 0 {
            " (assay test lists the rest)"
        } else {
            ""
        }
    );
    Ok(code)
}

fn models(ws: &Workspace, args: &BuildArgs) -> Result<Vec<ModelOutcome>> {
    let store = super::open_cache(ws, crate::store::Access::Write, None)?;
    build::run(ws, &store, &args.select, &super::interrupt(), &|o| {
        eprintln!(
            "{:<28} {:<7} {}",
            o.model,
            format!("{:?}", o.status).to_lowercase(),
            o.rows.map_or_else(
                || o.error.clone().unwrap_or_default(),
                |r| format!("{r} rows in {:.2}s", o.seconds)
            )
        )
    })
}

fn outcomes_frame(outcomes: &[ModelOutcome]) -> Result<DataFrame> {
    frame::from_columns(vec![
        text_column("model", outcomes, |o| o.model.clone()),
        text_column("status", outcomes, |o| {
            format!("{:?}", o.status).to_lowercase()
        }),
        Column::new(
            "rows".into(),
            outcomes
                .iter()
                .map(|o| o.rows)
                .collect::<Vec<Option<i64>>>(),
        ),
        hundredths_column("seconds", outcomes, |o| o.seconds),
        text_column("error", outcomes, |o| o.error.clone().unwrap_or_default()),
    ])
}
