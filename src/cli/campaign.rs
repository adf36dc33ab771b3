//! `assay history NAME` and `assay parity`: the campaign's record, from the shell.

use polars::prelude::Column;

use crate::campaign::history::{self, Day, Filter};
use crate::campaign::listing::{lines, Line};
use crate::campaign::parity::{self, ParityRow};
use crate::campaign::trend::sparkline;
use crate::config::Workspace;
use crate::decimal::Exact;
use crate::error::{Error, Result};
use crate::frame::{self, Format};
use crate::recon::summary::KeyedRows;

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// A comparison of assay.toml.
    pub name: String,
    /// One company's numbers (runs that compared it).
    #[arg(long, value_name = "C")]
    pub company: Option<String>,
    /// Runs on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub since: Option<Day>,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

fn parse_day(text: &str) -> std::result::Result<Day, String> {
    history::parse_day(text)
}

pub fn history(ws: &Workspace, args: HistoryArgs) -> Result<i32> {
    let name = &args.name;
    let only: Vec<String> = args.company.iter().cloned().collect();
    // An unknown comparison or company is named as such, not as an empty history.
    crate::recon::scope::members(ws, name, &only)?;
    let filter = Filter {
        company: args.company.clone(),
        since: args.since,
    };
    let runs = history::load(ws, name, &filter)?;
    if runs.is_empty() {
        return Err(Error::Usage(format!(
            "no compare of `{name}`{}{} is on record in {}; `assay compare {name}` records one",
            args.company
                .as_ref()
                .map_or(String::new(), |c| format!(" for company {c}")),
            args.since.map_or(String::new(), |d| format!(" since {d}")),
            history::folder(ws).join(name).display()
        )));
    }
    let lines = lines(&runs, args.company.as_deref());
    if args.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&lines).expect("plain JSON")
        );
        return Ok(0);
    }
    if args.format == Format::Table {
        let left: Vec<Exact> = lines.iter().rev().filter_map(|l| l.unexplained).collect();
        println!(
            "{name}{}: {} runs, unexplained trend {} (oldest → newest)",
            args.company
                .as_ref()
                .map_or(String::new(), |c| format!(" ({c})")),
            lines.len(),
            sparkline(&left)
        );
    }
    let mut df = history_frame(&lines)?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    Ok(0)
}

fn history_frame(lines: &[Line]) -> Result<polars::prelude::DataFrame> {
    let amount = |name: &str, f: fn(&Line) -> Option<Exact>| {
        frame::text_column(name, lines, move |l| {
            f(l).map_or(String::new(), |e| e.to_string())
        })
    };
    frame::from_columns(vec![
        frame::text_column("at", lines, |l| l.at.chars().take(19).collect()),
        frame::text_column("via", lines, |l| l.via.to_string()),
        frame::text_column("status", lines, |l| l.status.to_string()),
        Column::new(
            "companies".into(),
            lines.iter().map(|l| l.companies as i64).collect::<Vec<_>>(),
        ),
        amount("legacy", |l| l.legacy),
        amount("new", |l| l.new),
        amount("gap", |l| l.gap),
        amount("unexplained", |l| l.unexplained),
        frame::text_column("within", lines, |l| yes_no(l.within_tolerance)),
        count("only_legacy", |r| r.only_legacy, lines, |l| l.rows),
        count("only_new", |r| r.only_new, lines, |l| l.rows),
        frame::text_column("changes", lines, |l| match l.error {
            Some(e) => format!("error: {e}"),
            None => l
                .changes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        }),
    ])
}

/// A count of keyed rows of one class, empty where the record has none (made before
/// rows were kept per company).
fn count<T>(
    name: &str,
    class: fn(&KeyedRows) -> i64,
    items: &[T],
    rows: fn(&T) -> Option<KeyedRows>,
) -> Column {
    let values: Vec<Option<i64>> = items.iter().map(|i| rows(i).map(|r| class(&r))).collect();
    Column::new(name.into(), values)
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

#[derive(Debug, clap::Args)]
pub struct ParityArgs {
    /// Compare every comparison first (recorded as any compare is), then show the board.
    #[arg(long)]
    pub run: bool,
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

/// `assay parity`: exit 0 all within tolerance and signed off, 1 some open, 2 some stale
/// or failing.
pub fn parity(ws: &Workspace, args: ParityArgs) -> Result<i32> {
    if args.run {
        for name in ws.config.comparisons.keys() {
            if let Err(e) = super::compare::record_one(ws, name) {
                eprintln!("{name}: {e}");
            }
        }
    }
    let board = parity::board(ws)?;
    if args.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&board).expect("plain JSON")
        );
        return Ok(board.exit_code());
    }
    let mut df = board_frame(&board.rows)?;
    frame::write(&mut df, args.format, &mut std::io::stdout())?;
    if args.format == Format::Table {
        for t in &board.comparisons {
            println!(
                "{}: {} companies, gap {}, unexplained {} ({})",
                t.comparison,
                t.companies,
                t.gap.grouped(),
                t.unexplained.grouped(),
                t.state.as_str()
            );
        }
    }
    Ok(board.exit_code())
}

fn board_frame(rows: &[ParityRow]) -> Result<polars::prelude::DataFrame> {
    let amount = |name: &str, f: fn(&ParityRow) -> Option<Exact>| {
        frame::text_column(name, rows, move |r| {
            f(r).map_or(String::new(), |e| e.to_string())
        })
    };
    frame::from_columns(vec![
        frame::text_column("comparison", rows, |r| r.comparison.clone()),
        frame::text_column("company", rows, |r| r.company.clone()),
        frame::text_column("state", rows, |r| r.state.as_str().to_string()),
        amount("legacy", |r| r.legacy),
        amount("new", |r| r.new),
        amount("gap", |r| r.gap),
        amount("unexplained", |r| r.unexplained),
        frame::text_column("within", rows, |r| yes_no(r.within_tolerance)),
        count("only_legacy", |k| k.only_legacy, rows, |r| r.rows),
        count("only_new", |k| k.only_new, rows, |r| r.rows),
        frame::text_column("signoff", rows, |r| r.signoff_word().to_string()),
        frame::text_column("compared", rows, |r| {
            r.compared_at
                .as_deref()
                .map_or("never".to_string(), |a| a.chars().take(16).collect())
        }),
        frame::text_column("trend", rows, ParityRow::sparkline),
    ])
}
