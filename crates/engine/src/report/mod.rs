//! The ticket as a document people read: Markdown to paste into a pull request, a
//! self-contained HTML page for finance (print-friendly, the waterfall as a labelled chart),
//! or JSON for tools. Both text forms come from the same Markdown sections.

mod chart;
mod html;
mod markdown;
#[cfg(test)]
mod tests;
mod text;

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::rules::ticket::Ticket;

pub use markdown::tolerance;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Json,
}

impl Format {
    /// `md`, `html` or `json`, as `--format` takes them.
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "md" | "markdown" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// The ticket written as `format`.
pub fn render(t: &Ticket, format: Format) -> String {
    match format {
        Format::Markdown => markdown::document(t),
        Format::Html => html::page(t),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(t).expect("plain JSON");
            s.push('\n');
            s
        }
    }
}

/// The ticket of comparison `name` written as `reports/NAME.md` and `reports/NAME.html` in
/// the workspace at `root`, each whole or not at all (a reader never sees half a report);
/// the paths written.
pub fn write_files(root: &Path, name: &str, t: &Ticket) -> Result<Vec<PathBuf>> {
    let dir = root.join("reports");
    let mut written = Vec::new();
    for (format, ext) in [(Format::Html, "html"), (Format::Markdown, "md")] {
        let path = dir.join(format!("{name}.{ext}"));
        crate::rules::save::write_whole(&path, &render(t, format))?;
        written.push(path);
    }
    Ok(written)
}
