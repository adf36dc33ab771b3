//! `assay status`: every company's health on one screen (80 columns, no colour needed),
//! problems first; the same as JSON for scripts; exit code = the worst state.

use std::io::Write;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::frame::Format;
use crate::freshness::status::{matrix_with_tests, test_cells, Matrix};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// List every company; by default companies that are all ok are summed up in one line
    /// once the list would pass a screen.
    #[arg(long)]
    pub all: bool,
    /// Print again every SECS seconds (Ctrl-C ends); for a terminal left open.
    #[arg(long, value_name = "SECS")]
    pub watch: Option<u64>,
    /// table (default) or json (a stable schema, docs/status.md).
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

/// Companies listed one per line before the ok ones are summed up (a 24-line screen).
const SCREEN_ROWS: usize = 18;
/// Width of a cell: `warn 12d`, `ERR 3d`, `FAIL`.
const CELL: usize = 8;

pub fn run(ws: &Workspace, args: StatusArgs) -> Result<i32> {
    if !matches!(args.format, Format::Table | Format::Json) {
        return Err(Error::Usage(format!(
            "--format {}: status is a table or json",
            args.format.name()
        )));
    }
    loop {
        let m = current(ws)?;
        let mut out = std::io::stdout().lock();
        let text = match args.format {
            Format::Json => serde_json::to_string_pretty(&m).expect("plain data") + "\n",
            _ => {
                let stamp = crate::store::utc_now().format("%Y-%m-%d %H:%M").to_string();
                render(&m, args.all, &stamp)
            }
        };
        let Some(every) = args.watch else {
            out.write_all(text.as_bytes())
                .map_err(|e| Error::Runtime(format!("writing output: {e}")))?;
            return Ok(m.exit_code());
        };
        // Home and clear, then the screen: no colour, so it reads the same with NO_COLOR.
        write!(out, "\x1b[H\x1b[2J{text}")
            .and_then(|_| out.flush())
            .map_err(|e| Error::Runtime(format!("writing output: {e}")))?;
        drop(out);
        std::thread::sleep(std::time::Duration::from_secs(every.max(1)));
    }
}

fn current(ws: &Workspace) -> Result<Matrix> {
    let store = super::open_cache(ws, crate::store::Access::Read, None)?;
    let rows = crate::freshness::report(ws, store.conn(), crate::store::utc_now())?;
    let latest = crate::checks::record::latest(store.conn())?;
    let companies: Vec<String> = ws.config.companies.keys().cloned().collect();
    Ok(matrix_with_tests(&rows, &test_cells(&latest, &companies)))
}

/// `text` cut to `width` characters (… when cut), padded.
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return format!("{text:width$}");
    }
    let cut: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// A column's header: the entity for bronze (`invoices`), the layer otherwise.
fn header(column: &str) -> &str {
    column.strip_prefix("bronze.").unwrap_or(column)
}

/// The matrix as lines of at most 80 characters.
pub fn render(m: &Matrix, all: bool, now: &str) -> String {
    let name_width = m
        .companies
        .iter()
        .map(|c| c.company.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 14);
    let room = 80usize.saturating_sub(name_width + 1);
    let shown_columns = (room / (CELL + 1)).min(m.columns.len());
    let counts: Vec<String> = m.counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let mut out = format!(
        "{} companies: {} · {} UTC\n",
        m.companies.len(),
        counts.join(", "),
        now
    );
    let mut line = fit("company", name_width);
    for c in &m.columns[..shown_columns] {
        line.push(' ');
        line.push_str(&fit(header(c), CELL));
    }
    out.push_str(line.trim_end());
    out.push('\n');
    let listed = if all || m.companies.len() <= SCREEN_ROWS {
        m.companies.len()
    } else {
        let problems = m
            .companies
            .iter()
            .filter(|c| c.status != crate::freshness::Status::Ok)
            .count();
        problems.max(SCREEN_ROWS.min(m.companies.len()))
    };
    for c in &m.companies[..listed] {
        let mut line = fit(&c.company, name_width);
        for cell in &c.cells[..shown_columns] {
            line.push(' ');
            line.push_str(&fit(cell.as_ref().map_or("—", |x| x.text.as_str()), CELL));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let rest = m.companies.len() - listed;
    if rest > 0 {
        out.push_str(&format!(
            "… {rest} more companies, all ok (--all lists them)\n"
        ));
    }
    if shown_columns < m.columns.len() {
        out.push_str(&format!(
            "… {} more columns (--format json has them all)\n",
            m.columns.len() - shown_columns
        ));
    }
    out.push_str(&reasons(m, listed));
    out
}

/// One line per problem cell among the listed companies: where, and why (cut to 80).
fn reasons(m: &Matrix, listed: usize) -> String {
    let mut out = String::new();
    for c in &m.companies[..listed] {
        for (column, cell) in m.columns.iter().zip(&c.cells) {
            let Some(cell) = cell else { continue };
            if let Some(reason) = &cell.reason {
                let line = format!("{} {}: {} — {reason}", c.company, column, cell.text);
                out.push_str(&fit(&line.replace('\n', " "), 80));
                out.push('\n');
            }
        }
    }
    out.lines().map(|l| format!("{}\n", l.trim_end())).collect()
}
