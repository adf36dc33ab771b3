//! `[tests.*]`: each kind's required settings, tables that exist, severities that make sense.

use std::path::Path;

use super::model::{Config, DataTest, TestKind};

type Findings = Vec<(String, String)>;

pub fn tests(c: &Config, root: &Path, f: &mut Findings) {
    for (name, t) in &c.tests {
        let key = |field: &str| format!("tests.{name}.{field}");
        for (field, table) in [("table", Some(&t.table)), ("to", t.to.as_ref())] {
            let Some(table) = table else { continue };
            if table.starts_with("legacy.") {
                f.push((
                    key(field),
                    "data tests read layer tables (bronze, silver, gold)".into(),
                ));
            } else if let Some(problem) = super::tables::table_problem(c, root, table) {
                f.push((key(field), problem));
            }
        }
        for (field, message) in required(t) {
            f.push((key(field), message));
        }
    }
}

/// What the kind needs and the test lacks: (field, message).
fn required(t: &DataTest) -> Vec<(&'static str, String)> {
    let kind = t.kind.as_str();
    let mut out = Vec::new();
    let needs_columns = !matches!(t.kind, TestKind::Expression | TestKind::RowCount);
    if needs_columns && t.columns.is_empty() {
        out.push(("columns", format!("a {kind} test names its columns")));
    }
    match t.kind {
        TestKind::AcceptedValues if t.values.is_empty() => {
            out.push(("values", "accepted_values lists the values allowed".into()))
        }
        TestKind::AcceptedValues if t.columns.len() > 1 => out.push((
            "columns",
            "accepted_values tests one column; write one test per column".into(),
        )),
        TestKind::Relationships if t.to.is_none() => out.push((
            "to",
            "relationships names the table holding the keys, e.g. to = \"silver.customers\"".into(),
        )),
        TestKind::Relationships
            if !t.to_columns.is_empty() && t.to_columns.len() != t.columns.len() =>
        {
            out.push((
                "to_columns",
                format!(
                    "{} columns for {} in `columns`",
                    t.to_columns.len(),
                    t.columns.len()
                ),
            ))
        }
        TestKind::Expression if t.expression.as_deref().is_none_or(|e| e.trim().is_empty()) => out
            .push((
                "expression",
                "an expression test needs its predicate".into(),
            )),
        TestKind::RowCount if t.min.is_none() && t.max.is_none() => {
            out.push(("min", "row_count needs min, max or both".into()))
        }
        TestKind::RowCount if t.min.zip(t.max).is_some_and(|(a, b)| a > b) => {
            out.push(("min", "min is larger than max".into()))
        }
        _ => {}
    }
    let unused: [(&str, bool); 5] = [
        (
            "values",
            !t.values.is_empty() && t.kind != TestKind::AcceptedValues,
        ),
        ("to", t.to.is_some() && t.kind != TestKind::Relationships),
        (
            "expression",
            t.expression.is_some() && t.kind != TestKind::Expression,
        ),
        ("min", t.min.is_some() && t.kind != TestKind::RowCount),
        ("max", t.max.is_some() && t.kind != TestKind::RowCount),
    ];
    for (field, set) in unused {
        if set {
            out.push((field, format!("means nothing to a {kind} test")));
        }
    }
    out
}
