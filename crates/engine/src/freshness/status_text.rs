//! The status matrix as lines of text of a given width: the same grid for `assay status`
//! and the workbench's Sources screen (plain text; each driver styles it its own way).

use super::status::Matrix;
use super::Status;

/// Narrowest cell: `warn 12d`, `ERR 3d`, `FAIL`; wider when the columns leave room, so
/// more of each header shows.
const CELL: usize = 8;
const WIDEST_CELL: usize = 14;

/// The grid: a header, one line per listed company (with its state, to style it), and
/// notes on what did not fit.
#[derive(Debug, Clone, PartialEq)]
pub struct GridText {
    pub header: String,
    pub rows: Vec<(Status, String)>,
    pub notes: Vec<String>,
}

/// `text` cut to `width` characters (… when cut), padded.
pub fn fit(text: &str, width: usize) -> String {
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

/// The grid in `width` columns, listing at most `max_rows` companies (every company with a
/// problem regardless; None: all).
pub fn grid(m: &Matrix, width: usize, max_rows: Option<usize>) -> GridText {
    let name_width = m
        .companies
        .iter()
        .map(|c| c.company.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 14);
    let room = width.saturating_sub(name_width + 1);
    let shown_columns = (room / (CELL + 1)).min(m.columns.len());
    let cell = (room / shown_columns.max(1))
        .saturating_sub(1)
        .clamp(CELL, WIDEST_CELL);
    let mut head = fit("company", name_width);
    for c in &m.columns[..shown_columns] {
        head.push(' ');
        head.push_str(&fit(header(c), cell));
    }
    let problems = m
        .companies
        .iter()
        .filter(|c| c.status != Status::Ok)
        .count();
    let listed = match max_rows {
        Some(n) if n < m.companies.len() => problems.max(n),
        _ => m.companies.len(),
    };
    let rows = m.companies[..listed]
        .iter()
        .map(|c| {
            let mut line = fit(&c.company, name_width);
            for x in &c.cells[..shown_columns] {
                line.push(' ');
                line.push_str(&fit(x.as_ref().map_or("—", |x| x.text.as_str()), cell));
            }
            (c.status, line.trim_end().to_string())
        })
        .collect();
    let mut notes = Vec::new();
    let rest = m.companies.len() - listed;
    if rest > 0 {
        notes.push(format!("… {rest} more companies, all ok"));
    }
    if shown_columns < m.columns.len() {
        notes.push(format!(
            "… {} more columns, too narrow to show",
            m.columns.len() - shown_columns
        ));
    }
    GridText {
        header: head.trim_end().to_string(),
        rows,
        notes,
    }
}

/// One line per problem cell among the first `listed` companies: where, and why, cut to
/// `width` (a terminal's screen), or whole (None: piped into a log or a mail).
pub fn reasons(m: &Matrix, listed: usize, width: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    for c in m.companies.iter().take(listed) {
        for (column, cell) in m.columns.iter().zip(&c.cells) {
            let Some(cell) = cell else { continue };
            if let Some(reason) = &cell.reason {
                let line = format!("{} {}: {} — {reason}", c.company, column, cell.text);
                let line = line.replace('\n', " ");
                out.push(match width {
                    Some(w) => fit(&line, w).trim_end().to_string(),
                    None => line,
                });
            }
        }
    }
    out
}
