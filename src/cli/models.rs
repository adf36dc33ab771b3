//! `assay models`: every model (the SQL files', or the dbt project's from its manifest) in
//! build order, with what it reads, what reads it, its last build and its tests.

use polars::prelude::Column;

use crate::build::lineage::{self, ModelRow};
use crate::config::Workspace;
use crate::error::Result;
use crate::frame::{self, text_column, Format};

#[derive(Debug, clap::Args)]
pub struct ModelsArgs {
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

/// `3/4` tests passed, with the names of those that did not.
fn tests_cell(row: &ModelRow) -> String {
    if row.tests.is_empty() {
        return String::new();
    }
    let failing: Vec<String> = row
        .tests
        .iter()
        .filter(|t| t.status != "pass")
        .map(|t| format!("{} {}", t.status, t.test))
        .collect();
    let passed = row.tests.len() - failing.len();
    match failing.is_empty() {
        true => format!("{passed}/{} pass", row.tests.len()),
        false => format!("{passed}/{} pass; {}", row.tests.len(), failing.join(", ")),
    }
}

pub fn run(ws: &Workspace, args: ModelsArgs) -> Result<i32> {
    let store = super::open_cache(ws, crate::store::Access::Read, None)?;
    let rows = lineage::rows(ws, &store)?;
    if args.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("plain data")
        );
        return Ok(0);
    }
    let mut df = frame::from_columns(vec![
        text_column("model", &rows, |r| r.model.clone()),
        text_column("reads", &rows, |r| r.reads.join(", ")),
        text_column("last_build", &rows, |r| {
            r.last_build.clone().unwrap_or_default()
        }),
        Column::new(
            "rows".into(),
            rows.iter().map(|r| r.rows).collect::<Vec<Option<i64>>>(),
        ),
        text_column("tests", &rows, tests_cell),
    ])?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    Ok(0)
}
