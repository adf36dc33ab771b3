//! `assay explain NAME`

use polars::prelude::Column;

use crate::config::Workspace;
use crate::error::Result;
use crate::frame::{self, hundredths_column, text_column, Format};
use crate::recon::configured;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A comparison of assay.toml.
    pub name: String,
    /// Only these companies (repeatable).
    #[arg(long = "company", value_name = "ID")]
    pub company: Vec<String>,
    /// The measure whose delta is explained (default: the comparison's first).
    #[arg(long)]
    pub measure: Option<String>,
    /// How many causes to list.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: ExplainArgs) -> Result<i32> {
    let store = Store::open(&ws.cache_path())?;
    let (measure, causes) = configured::run_explain(
        ws,
        &store,
        &args.name,
        &args.company,
        args.measure.as_deref(),
        args.top,
    )?;
    if args.format == Format::Json {
        let value = serde_json::json!({ "schema_version": 1, "comparison": args.name, "measure": measure, "causes": causes });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("plain JSON")
        );
        return Ok(0);
    }
    let mut df = frame::from_columns(vec![
        text_column("predicate", &causes, |c| c.predicate.clone()),
        text_column("rows_in", &causes, |c| c.row_class.clone()),
        Column::new(
            "rows".into(),
            causes.iter().map(|c| c.rows).collect::<Vec<i64>>(),
        ),
        hundredths_column("delta", &causes, |c| c.delta),
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
