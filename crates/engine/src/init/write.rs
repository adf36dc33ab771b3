//! A proposal written as `assay.toml`, each choice under a comment saying why it was made.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Choice, ComparisonPlan, ExportPlan, Plan};
use crate::config::CsvHints;

/// A TOML string (quoted and escaped by toml_edit).
fn q(text: &str) -> String {
    toml_edit::Value::from(text).to_string()
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

fn map(items: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = items
        .iter()
        .map(|(k, v)| format!("{} = {}", q(k), q(v)))
        .collect();
    format!("{{ {} }}", pairs.join(", "))
}

fn why(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "# {line}");
    }
}

/// The lines of a format: only what differs from the defaults, and the renames.
fn hints(out: &mut String, h: &CsvHints) {
    for (key, value) in [
        ("delimiter", &h.delimiter),
        ("decimal", &h.decimal),
        ("date_format", &h.date_format),
        ("encoding", &h.encoding),
    ] {
        if let Some(v) = value {
            let _ = writeln!(out, "{key} = {}", q(v));
        }
    }
    if let Some(crate::config::SheetRef::Name(sheet)) = &h.sheet {
        let _ = writeln!(out, "sheet = {}", q(sheet));
    }
    if !h.rename.is_empty() {
        let _ = writeln!(out, "rename = {}", map(&h.rename));
    }
}

fn export(out: &mut String, e: &ExportPlan) {
    let _ = writeln!(out, "[legacy.{}]\nfiles = {}\n", e.name, q(&e.pattern));
    why(out, &e.format.why);
    let _ = writeln!(out, "[legacy.{}.format]", e.name);
    hints(out, &e.format.value);
    out.push('\n');
    for (company, o) in &e.overrides {
        why(out, &o.why);
        let _ = writeln!(out, "[legacy.{}.overrides.{company}]", e.name);
        hints(out, &o.value);
        out.push('\n');
    }
}

fn entry<T>(out: &mut String, key: &str, c: &Choice<T>, value: String) {
    why(out, &c.why);
    let _ = writeln!(out, "{key} = {value}");
}

fn comparison(out: &mut String, c: &ComparisonPlan) {
    let _ = writeln!(out, "[comparisons.{}]\nlegacy = {}", c.name, q(&c.legacy));
    entry(out, "table", &c.table, q(&c.table.value));
    entry(out, "keys", &c.keys, list(&c.keys.value));
    if !c.columns.value.is_empty() {
        entry(out, "columns", &c.columns, map(&c.columns.value));
    }
    if !c.measures.value.is_empty() {
        entry(out, "measures", &c.measures, list(&c.measures.value));
    }
    if !c.dimensions.value.is_empty() {
        entry(out, "dimensions", &c.dimensions, list(&c.dimensions.value));
    }
    entry(
        out,
        "normalize_text",
        &c.normalize_text,
        c.normalize_text.value.to_string(),
    );
    out.push('\n');
}

/// The whole file.
pub fn to_toml(plan: &Plan) -> String {
    let mut out = String::new();
    why(
        &mut out,
        "Proposed by `assay init`: each choice says why it was made above it. Check them,\n\
         then `assay validate` and `assay compare NAME`.",
    );
    for note in &plan.notes {
        why(&mut out, &format!("Not proposed: {note}"));
    }
    let _ = writeln!(out, "\n[workspace]\nname = {}\n", q(&plan.workspace));
    if let Some(w) = &plan.warehouse {
        let _ = writeln!(
            out,
            "# bronze, silver and gold are in ClickHouse (given at `assay init`)"
        );
        let _ = writeln!(out, "[warehouse]\nkind = \"clickhouse\"");
        for (key, value) in [
            ("url", &w.url),
            ("database", &w.database),
            ("user", &w.user),
        ] {
            if let Some(v) = value {
                let _ = writeln!(out, "{key} = {}", q(v));
            }
        }
        out.push('\n');
    }
    why(&mut out, &plan.companies.why);
    for c in &plan.companies.value {
        let _ = writeln!(out, "[companies.{c}]\nname = {}\n", q(c));
    }
    for e in &plan.exports {
        export(&mut out, e);
    }
    for c in &plan.comparisons {
        comparison(&mut out, c);
    }
    out
}
