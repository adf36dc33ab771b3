//! `assay runs`: the run history (extractions, builds, test runs), newest first, with their
//! duration, rows, status and error.

use polars::prelude::Column;

use crate::config::Workspace;
use crate::error::Result;
use crate::frame::{self, text_column, Format};
use crate::store::{Run, RunFilter};

#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long)]
    pub entity: Option<String>,
    /// extract, build or test.
    #[arg(long)]
    pub kind: Option<String>,
    /// How many runs, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: RunsArgs) -> Result<i32> {
    let store = super::open_cache(ws, crate::store::Access::Read, None)?;
    let filter = RunFilter {
        company: args.company.clone(),
        entity: args.entity.clone(),
        kind: args.kind.clone(),
    };
    let runs = store.runs_of(&filter, args.limit)?;
    if args.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&runs).expect("plain data")
        );
        return Ok(0);
    }
    let seconds = |r: &Run| {
        r.finished
            .map(|f| (f - r.started).num_milliseconds() as f64 / 1000.0)
    };
    let mut df = frame::from_columns(vec![
        Column::new("id".into(), runs.iter().map(|r| r.id).collect::<Vec<i64>>()),
        text_column("kind", &runs, |r| r.kind.clone()),
        text_column("company", &runs, |r| r.company.clone().unwrap_or_default()),
        text_column("entity", &runs, |r| r.entity.clone().unwrap_or_default()),
        text_column("started_utc", &runs, |r| {
            r.started.format("%Y-%m-%d %H:%M:%S").to_string()
        }),
        Column::new(
            "seconds".into(),
            runs.iter().map(seconds).collect::<Vec<Option<f64>>>(),
        ),
        Column::new(
            "rows".into(),
            runs.iter().map(|r| r.rows).collect::<Vec<Option<i64>>>(),
        ),
        text_column("status", &runs, |r| r.status.as_str().to_string()),
        text_column("error", &runs, |r| {
            r.error
                .clone()
                .unwrap_or_default()
                .replace('\n', " ")
                .chars()
                .take(60)
                .collect()
        }),
    ])?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    Ok(0)
}
