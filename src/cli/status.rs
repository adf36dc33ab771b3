//! `assay status`: every company's health on one screen (80 columns, no colour needed),
//! problems first; the same as JSON for scripts; exit code = the worst state.

use std::io::{IsTerminal, Write};

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::frame::Format;
use crate::freshness::status::{matrix_with_tests, workspace_tests, Matrix};
use crate::freshness::status_text::{grid, reasons};

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
                // On a screen the reasons fit its 80 columns; piped (cron mails, logs)
                // they are whole: cut there, the reason was lost.
                let on_screen = args.watch.is_some() || std::io::stdout().is_terminal();
                render(&m, args.all, &stamp, on_screen.then_some(80))
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
        // Ctrl-C is how a watch is left: it ends at once with the last screen's code.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(every.max(1));
        while std::time::Instant::now() < until {
            if super::interrupt().is_cancelled() {
                return Ok(m.exit_code());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

fn current(ws: &Workspace) -> Result<Matrix> {
    let store = super::open_cache(ws, crate::store::Access::Read, None)?;
    let rows = crate::freshness::report(ws, store.conn(), crate::store::utc_now())?;
    let tests = workspace_tests(ws, store.conn())?;
    Ok(matrix_with_tests(&rows, &tests))
}

/// The matrix as lines of at most 80 characters: a summary, the grid, what did not fit,
/// then one line per problem with its reason.
/// The reasons are cut to `reason_width` (None: whole, for a pipe or a log).
pub fn render(m: &Matrix, all: bool, now: &str, reason_width: Option<usize>) -> String {
    let counts: Vec<String> = m.counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let mut out = format!(
        "{} companies: {} · {} UTC\n",
        m.companies.len(),
        counts.join(", "),
        now
    );
    let grid = grid(m, 80, (!all).then_some(SCREEN_ROWS));
    out.push_str(&grid.header);
    out.push('\n');
    for (_, line) in &grid.rows {
        out.push_str(line);
        out.push('\n');
    }
    for note in &grid.notes {
        let hint = if note.contains("companies") {
            " (--all lists them)"
        } else {
            " (--format json has them all)"
        };
        out.push_str(&format!("{note}{hint}\n"));
    }
    for line in reasons(m, grid.rows.len(), reason_width) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
