//! Where a legacy export comes from: files (a glob), or a source read as extraction reads
//! (`source` with `table` or `query`); and its freshness thresholds.

use super::model::{Config, LegacyExport, SourceKind};
use super::tables::unknown;
use crate::sql::is_plain_identifier;

type Findings = Vec<(String, String)>;

fn push(f: &mut Findings, key: String, message: impl Into<String>) {
    f.push((key, message.into()));
}

/// `schema.table` or `table`, each part a plain identifier (it is written into the source's
/// SQL unquoted, which every engine reads alike), `{company}` allowed inside.
fn plain_table(name: &str) -> bool {
    let bare = name.replace("{company}", "c");
    !bare.is_empty() && bare.split('.').all(is_plain_identifier) && bare.split('.').count() <= 2
}

pub fn origin(c: &Config, f: &mut Findings) {
    for (name, l) in &c.legacy {
        let key = |k: &str| format!("legacy.{name}.{k}");
        match (&l.source, l.files.trim().is_empty()) {
            (None, true) => push(
                f,
                key("files"),
                "is empty; give a glob such as \"legacy/{company}/*.csv\", or a `source` with a \
                 `table` or `query`",
            ),
            (Some(_), false) => push(f, key("source"), "give `files` or `source`, not both"),
            (Some(s), true) => from_source(c, name, l, s, f),
            (None, false) => {
                for k in ["table", "query", "company_column"] {
                    let set = match k {
                        "table" => l.table.is_some(),
                        "query" => l.query.is_some(),
                        _ => l.company_column.is_some(),
                    };
                    if set {
                        push(f, key(k), "is read only with `source`");
                    }
                }
            }
        }
        if let (Some(w), Some(e)) = (l.warn_after, l.error_after) {
            if w > e {
                push(f, key("warn_after"), "is longer than error_after");
            }
        }
    }
}

fn from_source(c: &Config, name: &str, l: &LegacyExport, source: &str, f: &mut Findings) {
    let key = |k: &str| format!("legacy.{name}.{k}");
    match c.sources.get(source) {
        None => push(
            f,
            key("source"),
            unknown("source", source, c.sources.keys()),
        ),
        Some(s) if s.kind == SourceKind::Files => push(
            f,
            key("source"),
            format!("`{source}` is a files source; give the glob as legacy.{name}.files instead"),
        ),
        Some(s) if s.kind == SourceKind::Delta => return from_delta(name, l, f),
        Some(_) => {}
    }
    match (&l.table, &l.query) {
        (None, None) => push(f, key("source"), "needs a `table` or a `query`"),
        (Some(_), Some(_)) => push(f, key("table"), "give `table` or `query`, not both"),
        (Some(t), None) => {
            if !plain_table(t) {
                push(
                    f,
                    key("table"),
                    format!("`{t}`: letters, digits and _ only, as table or schema.table"),
                );
            }
            match &l.company_column {
                Some(col) if !is_plain_identifier(col) => push(
                    f,
                    key("company_column"),
                    format!("`{col}`: letters, digits and _ only"),
                ),
                None if !t.contains("{company}") => push(
                    f,
                    key("company_column"),
                    "is needed: a table without {company} in its name holds every company's \
                     rows, and this column says whose each is",
                ),
                _ => {}
            }
        }
        (None, Some(q)) => {
            if !q.contains("{company}") {
                push(
                    f,
                    key("query"),
                    "must select one company's rows: write {company} where its id goes",
                );
            }
        }
    }
}

/// A Delta source's `table` is a folder under the source root, not a name in SQL.
fn from_delta(name: &str, l: &LegacyExport, f: &mut Findings) {
    let key = |k: &str| format!("legacy.{name}.{k}");
    if l.query.is_some() {
        push(f, key("query"), "a delta source reads its `table` folder");
    }
    match l.table.as_deref().map(str::trim) {
        None | Some("") => push(
            f,
            key("source"),
            "needs a `table`: the folder under the source root",
        ),
        Some(t) => super::validate_delta::company_column(t, l.company_column.as_deref(), &key, f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain() {
        assert!(plain_table("legacy.sales_{company}"));
        assert!(plain_table("sales"));
        assert!(!plain_table("sales; DROP TABLE x"));
        assert!(!plain_table("a.b.c"));
        assert!(!plain_table("\"Sales\""));
    }
}
