//! `assay report NAME --format md|html|json`: the ticket of a comparison, as Markdown to
//! paste into a pull request, one self-contained HTML file (the waterfall as an inline SVG
//! chart), or JSON.

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::report::{self, Format};
use crate::rules::ticket::ticket;
use crate::rules::{self, RulesFile};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A comparison of assay.toml.
    pub name: String,
    #[arg(long, value_parser = ["md", "html", "json"], default_value = "md")]
    pub format: String,
    /// One company's ticket: its numbers, its rules' effect on it, its sign-offs.
    #[arg(long, value_name = "C")]
    pub company: Option<String>,
}

pub fn run(ws: &Workspace, args: ReportArgs) -> Result<i32> {
    let name = &args.name;
    if !ws.config.comparisons.contains_key(name) {
        return Err(Error::Usage(format!(
            "no comparison `{name}` in assay.toml"
        )));
    }
    let file = RulesFile::load(&rules::path_of(&ws.root, name))?;
    let warehouse = super::connect_warehouse(ws)?;
    let only: Vec<String> = args.company.iter().cloned().collect();
    let store = super::open_for_compare(ws, name, &only)?;
    let t = ticket(
        ws,
        &store,
        warehouse.as_ref(),
        (name, &file),
        &only,
        &rules::now(),
    )?;
    let format = Format::parse(&args.format).expect("clap checked the format");
    print!("{}", report::render(&t, format));
    Ok(0)
}
