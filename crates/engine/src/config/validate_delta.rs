//! What a Delta table source's entities need: the table's folder (per company, or one table
//! with a company column), and at most one of a version or a time to read it at. The same
//! settings on any other source are named as unread.

use super::model::{Config, Entity, SourceKind};
use crate::sql::is_plain_identifier;

type Findings = Vec<(String, String)>;

fn push(f: &mut Findings, key: String, message: impl Into<String>) {
    f.push((key, message.into()));
}

pub(super) fn entities(c: &Config, f: &mut Findings) {
    for (name, e) in &c.entities {
        match c.sources.get(&e.source).map(|s| s.kind) {
            Some(SourceKind::Delta) => entity(name, e, f),
            Some(_) => {
                for (k, set) in unread(e) {
                    if set {
                        push(
                            f,
                            format!("entities.{name}.{k}"),
                            "is read by delta sources only",
                        );
                    }
                }
            }
            None => {}
        }
    }
}

fn unread(e: &Entity) -> [(&'static str, bool); 4] {
    [
        ("table", e.table.is_some()),
        ("company_column", e.company_column.is_some()),
        ("version", e.version.is_some()),
        ("timestamp", e.timestamp.is_some()),
    ]
}

fn entity(name: &str, e: &Entity, f: &mut Findings) {
    let key = |k: &str| format!("entities.{name}.{k}");
    for (k, set) in [("query", e.query.is_some()), ("files", e.files.is_some())] {
        if set {
            push(f, key(k), "a delta source reads its `table` folder");
        }
    }
    if e.incremental.is_some() {
        push(
            f,
            key("incremental"),
            "a Delta table is read again only when its version changes; no cursor is needed",
        );
    }
    match e.table.as_deref().map(str::trim) {
        None | Some("") => push(
            f,
            format!("entities.{name}"),
            "a delta source needs `table`, the table's folder under the source root, such as \
             \"invoices_{company}\"",
        ),
        Some(t) => company_column(t, e.company_column.as_deref(), &key, f),
    }
    if e.version.is_some() && e.timestamp.is_some() {
        push(
            f,
            key("timestamp"),
            "give `version` or `timestamp`, not both",
        );
    }
    if let Some(t) = &e.timestamp {
        if super::parse_timestamp(t).is_none() {
            push(
                f,
                key("timestamp"),
                format!("`{t}` is not a time: write 2026-03-01, 2026-03-01 12:00:00 (UTC) or 2026-03-01T12:00:00+01:00"),
            );
        }
    }
}

/// A table without `{company}` in its folder holds every company's rows: a column must say
/// whose each is. Shared with a legacy export read from a Delta source.
pub(super) fn company_column(
    table: &str,
    column: Option<&str>,
    key: &dyn Fn(&str) -> String,
    f: &mut Findings,
) {
    match column {
        Some(col) if !is_plain_identifier(col) => push(
            f,
            key("company_column"),
            format!("`{col}`: letters, digits and _ only"),
        ),
        None if !table.contains("{company}") => push(
            f,
            key("company_column"),
            "is needed: a table without {company} in its folder holds every company's rows, \
             and this column says whose each is",
        ),
        _ => {}
    }
}
