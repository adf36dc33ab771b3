//! `assay waterfall NAME`: rows, keys and the measure at every layer, per company.

use polars::prelude::Column;

use crate::config::Workspace;
use crate::error::Result;
use crate::frame::{self, text_column, Format};
use crate::recon::waterfall::{waterfall, Step};

#[derive(Debug, clap::Args)]
pub struct WaterfallArgs {
    /// A comparison of assay.toml.
    pub name: String,
    /// Only these companies (repeatable).
    #[arg(long)]
    pub company: Vec<String>,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(ws: &Workspace, args: WaterfallArgs) -> Result<i32> {
    let store = super::open_for_compare(ws, &args.name, &args.company)?;
    let warehouse = super::connect_warehouse(ws)?;
    let fall = waterfall(
        ws,
        store.conn(),
        warehouse.as_ref(),
        &args.name,
        &args.company,
    )?;
    if args.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&fall).expect("plain JSON")
        );
        return Ok(0);
    }
    let steps = &fall.steps;
    let optional = |name: &str, f: fn(&Step) -> Option<i64>| {
        Column::new(
            name.into(),
            steps.iter().map(f).collect::<Vec<Option<i64>>>(),
        )
    };
    let mut df = frame::from_columns(vec![
        text_column("company", steps, |s| s.company.clone()),
        text_column("layer", steps, |s| s.layer.clone()),
        text_column("table", steps, |s| s.table.clone()),
        Column::new(
            "rows".into(),
            steps.iter().map(|s| s.rows).collect::<Vec<i64>>(),
        ),
        optional("keys", |s| s.keys),
        // Exact text, as the engine summed it: a float column would round the cents.
        text_column(&fall.measure, steps, |s| {
            s.measure.clone().unwrap_or_default()
        }),
        text_column("vs_legacy", steps, |s| {
            s.vs_legacy.clone().unwrap_or_default()
        }),
    ])?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    Ok(0)
}
