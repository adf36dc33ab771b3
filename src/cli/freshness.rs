//! `assay freshness`

use polars::prelude::{Column, DataFrame};

use crate::config::Workspace;
use crate::error::Result;
use crate::frame::{self, text_column, Format};
use crate::freshness::{self, Row};

#[derive(Debug, clap::Args)]
pub struct FreshnessArgs {
    /// Only these layers (bronze, silver, gold); repeatable.
    #[arg(long)]
    pub layer: Vec<String>,
    /// Only rows that are not ok.
    #[arg(long)]
    pub problems: bool,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: FreshnessArgs) -> Result<i32> {
    let store = super::open_cache(ws, crate::store::Access::Read, None)?;
    let now = crate::store::utc_now();
    let rows: Vec<Row> = freshness::report(ws, store.conn(), now)?
        .into_iter()
        .filter(|r| args.layer.is_empty() || args.layer.contains(&r.layer))
        .collect();
    let code = freshness::exit_code(&rows);
    let shown: Vec<&Row> = rows
        .iter()
        .filter(|r| !args.problems || r.status != freshness::Status::Ok)
        .collect();
    let mut df = rows_frame(&shown, args.format)?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    Ok(code)
}

fn rows_frame(rows: &[&Row], format: Format) -> Result<DataFrame> {
    // People read ages; machines get seconds.
    let age = if format == Format::Table || format == Format::Md {
        text_column("age", rows, |r| {
            r.age_seconds.map(freshness::human_age).unwrap_or_default()
        })
    } else {
        Column::new(
            "age_seconds".into(),
            rows.iter()
                .map(|r| r.age_seconds)
                .collect::<Vec<Option<i64>>>(),
        )
    };
    frame::from_columns(vec![
        text_column("company", rows, |r| r.company.clone()),
        text_column("entity", rows, |r| r.entity.clone()),
        text_column("layer", rows, |r| r.layer.clone()),
        text_column("table", rows, |r| r.table.clone()),
        text_column("loaded_at", rows, |r| {
            r.loaded_at
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default()
        }),
        age,
        Column::new(
            "rows".into(),
            rows.iter().map(|r| r.rows).collect::<Vec<Option<i64>>>(),
        ),
        text_column("status", rows, |r| r.status.as_str().to_string()),
        text_column("note", rows, |r| r.note.clone()),
    ])
}
