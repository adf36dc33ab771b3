//! The ticket as a document people read: Markdown to paste into a pull request, a
//! self-contained HTML page for finance (print-friendly, the waterfall as a labelled chart),
//! or JSON for tools. Both text forms come from the same Markdown sections.

mod chart;
mod html;
mod markdown;
#[cfg(test)]
mod tests;
mod text;

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
