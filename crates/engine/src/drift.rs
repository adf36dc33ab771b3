//! Schema drift between what bronze expects and what a source delivers today.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
}

impl ColumnDef {
    pub fn new(name: &str, type_: &str) -> Self {
        ColumnDef {
            name: name.to_string(),
            type_: type_.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Drift {
    /// A new column: merged into bronze.
    Added { name: String, type_: String },
    /// An expected column is gone.
    Missing { name: String },
    /// The same column with another type.
    TypeChanged {
        name: String,
        was: String,
        now: String,
    },
    /// A missing column and a new one that look like the same column renamed.
    Renamed { was: String, now: String },
}

impl Drift {
    /// Added columns are merged; everything else risks loading NULLs or wrong values.
    pub fn is_breaking(&self) -> bool {
        !matches!(self, Drift::Added { .. })
    }
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Added { name, type_ } => write!(f, "new column `{name}` ({type_}) added to bronze"),
            Drift::Missing { name } => write!(f, "expected column `{name}` is missing"),
            Drift::TypeChanged { name, was, now } => write!(f, "column `{name}` changed type from {was} to {now}"),
            Drift::Renamed { was, now } => write!(
                f,
                "column `{was}` looks renamed to `{now}`; map it with rename = {{ {now} = \"{was}\" }}"
            ),
        }
    }
}

/// Letters and digits only, lower case: `customerId` and `customer_id` meet here.
fn squash(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Similarity of two names in 0..=1 (1 - edit distance / longer length) after squashing.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (squash(a).chars().collect(), squash(b).chars().collect());
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    1.0 - previous[b.len()] as f64 / longest as f64
}

fn integer_rank(t: &str) -> Option<u8> {
    ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"]
        .iter()
        .position(|x| *x == t)
        .map(|p| p as u8)
}

/// One spelling per type, so types are compared by what they are, not how a server or
/// DuckDB's catalog writes them: `DECIMAL(12, 2)` (PostgreSQL, MySQL) and `DECIMAL(12,2)`
/// (information_schema) are one type; `int4`, `INT` and `INTEGER` too.
pub fn canonical_type(t: &str) -> String {
    let upper = t.trim().to_ascii_uppercase();
    // Spaces only where they separate words, never beside brackets or commas.
    let mut squeezed = String::with_capacity(upper.len());
    for word in upper.split_whitespace() {
        let joins = squeezed.ends_with(['(', ',']) || word.starts_with([')', ',', '(']);
        if !squeezed.is_empty() && !joins {
            squeezed.push(' ');
        }
        squeezed.push_str(word);
    }
    let (base, args) = match squeezed.split_once('(') {
        Some((b, rest)) if !b.contains(['<', '[']) => (
            b.trim_end().to_string(),
            Some(rest.trim_end_matches(')').to_string()),
        ),
        _ => (squeezed.clone(), None),
    };
    let base = match base.as_str() {
        "INT" | "INT4" | "SIGNED" | "INTEGER" => "INTEGER",
        "INT8" | "LONG" | "BIGINT" => "BIGINT",
        "INT2" | "SHORT" | "SMALLINT" => "SMALLINT",
        "INT1" | "TINYINT" => "TINYINT",
        "NUMERIC" | "DEC" | "DECIMAL" => "DECIMAL",
        "FLOAT8" | "DOUBLE PRECISION" | "DOUBLE" => "DOUBLE",
        "FLOAT4" | "REAL" | "FLOAT" => "FLOAT",
        "TEXT" | "STRING" | "CHAR" | "BPCHAR" | "CHARACTER VARYING" | "VARCHAR" => "VARCHAR",
        "BOOL" | "LOGICAL" | "BOOLEAN" => "BOOLEAN",
        "TIMESTAMP WITH TIME ZONE" | "TIMESTAMPTZ" => "TIMESTAMPTZ",
        "DATETIME" | "TIMESTAMP WITHOUT TIME ZONE" | "TIMESTAMP" => "TIMESTAMP",
        "BYTEA" | "BINARY" | "VARBINARY" | "BLOB" => "BLOB",
        _ => return squeezed,
    };
    match (base, args) {
        // DuckDB's defaults for a bare DECIMAL and for DECIMAL(p).
        ("DECIMAL", None) => "DECIMAL(18,3)".into(),
        ("DECIMAL", Some(a)) if !a.contains(',') => format!("DECIMAL({a},0)"),
        ("DECIMAL", Some(a)) => format!("DECIMAL({a})"),
        // DuckDB keeps no length for text.
        (b, _) => b.into(),
    }
}

/// A type bronze can keep holding: the same, or a narrower integer into a wider one.
fn compatible(expected: &str, actual: &str) -> bool {
    let (expected, actual) = (canonical_type(expected), canonical_type(actual));
    expected == actual
        || matches!((integer_rank(&expected), integer_rank(&actual)), (Some(e), Some(a)) if a <= e)
}

pub fn detect(expected: &[ColumnDef], actual: &[ColumnDef]) -> Vec<Drift> {
    let find = |cols: &[ColumnDef], name: &str| cols.iter().find(|c| c.name == name).cloned();
    let mut missing: Vec<ColumnDef> = expected
        .iter()
        .filter(|c| find(actual, &c.name).is_none())
        .cloned()
        .collect();
    let mut added: Vec<ColumnDef> = actual
        .iter()
        .filter(|c| find(expected, &c.name).is_none())
        .cloned()
        .collect();
    let mut drift = Vec::new();
    // Pair each missing column with the most similar new one of a compatible type.
    missing.retain(|m| {
        let best = added
            .iter()
            .enumerate()
            .filter(|(_, a)| compatible(&m.type_, &a.type_) || compatible(&a.type_, &m.type_))
            .map(|(i, a)| (i, similarity(&m.name, &a.name)))
            .filter(|(_, s)| *s >= 0.7)
            .max_by(|x, y| x.1.total_cmp(&y.1));
        match best {
            Some((i, _)) => {
                let a = added.remove(i);
                drift.push(Drift::Renamed {
                    was: m.name.clone(),
                    now: a.name,
                });
                false
            }
            None => true,
        }
    });
    // One column gone and one new of a compatible type, however unlike their names
    // (`net_amount` → `amount_net`): most likely the same column renamed.
    if let ([m], [a]) = (missing.as_slice(), added.as_slice()) {
        if compatible(&m.type_, &a.type_) || compatible(&a.type_, &m.type_) {
            drift.push(Drift::Renamed {
                was: m.name.clone(),
                now: a.name.clone(),
            });
            missing.clear();
            added.clear();
        }
    }
    drift.extend(missing.into_iter().map(|m| Drift::Missing { name: m.name }));
    for e in expected {
        if let Some(a) = find(actual, &e.name) {
            if !compatible(&e.type_, &a.type_) {
                drift.push(Drift::TypeChanged {
                    name: e.name.clone(),
                    was: e.type_.clone(),
                    now: a.type_,
                });
            }
        }
    }
    drift.extend(added.into_iter().map(|a| Drift::Added {
        name: a.name,
        type_: a.type_,
    }));
    drift
}

/// The column a table names its companies by: `company`, else `_company` (bronze's).
pub fn company_column(columns: &[(String, String)]) -> Option<&str> {
    ["company", "_company"].into_iter().find_map(|want| {
        columns
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(want))
            .map(|(c, _)| c.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(list: &[(&str, &str)]) -> Vec<ColumnDef> {
        list.iter().map(|(n, t)| ColumnDef::new(n, t)).collect()
    }

    #[test]
    fn detects_a_camel_case_rename() {
        let expected = cols(&[("invoice_id", "VARCHAR"), ("customer_id", "VARCHAR")]);
        let actual = cols(&[("invoice_id", "VARCHAR"), ("customerId", "VARCHAR")]);
        let d = detect(&expected, &actual);
        assert_eq!(
            d,
            vec![Drift::Renamed {
                was: "customer_id".into(),
                now: "customerId".into()
            }]
        );
        assert!(d[0]
            .to_string()
            .contains("rename = { customerId = \"customer_id\" }"));
    }

    #[test]
    fn separates_added_missing_and_type_changes() {
        let expected = cols(&[
            ("a", "VARCHAR"),
            ("amount", "DOUBLE"),
            ("n", "BIGINT"),
            ("gone", "DATE"),
        ]);
        let actual = cols(&[
            ("a", "VARCHAR"),
            ("amount", "VARCHAR"),
            ("n", "INTEGER"),
            ("brand_new", "BIGINT"),
        ]);
        let d = detect(&expected, &actual);
        assert_eq!(
            d,
            vec![
                Drift::Missing {
                    name: "gone".into()
                },
                Drift::TypeChanged {
                    name: "amount".into(),
                    was: "DOUBLE".into(),
                    now: "VARCHAR".into()
                },
                Drift::Added {
                    name: "brand_new".into(),
                    type_: "BIGINT".into()
                },
            ]
        );
        assert!(!d[2].is_breaking() && d[0].is_breaking());
    }

    #[test]
    fn types_are_compared_by_what_they_are_not_how_they_are_spelled() {
        // PostgreSQL and MySQL describe `DECIMAL(12, 2)`; DuckDB's catalog says `DECIMAL(12,2)`.
        let expected = cols(&[
            ("amount", "DECIMAL(12,2)"),
            ("n", "INTEGER"),
            ("t", "TIMESTAMP WITH TIME ZONE"),
        ]);
        let actual = cols(&[
            ("amount", "DECIMAL(12, 2)"),
            ("n", "int4"),
            ("t", "timestamptz"),
        ]);
        assert_eq!(detect(&expected, &actual), vec![]);
        assert_eq!(canonical_type("numeric"), "DECIMAL(18,3)");
        assert_eq!(canonical_type("decimal( 9 )"), "DECIMAL(9,0)");
        assert_eq!(
            canonical_type("STRUCT(a INTEGER, b VARCHAR)"),
            "STRUCT(A INTEGER,B VARCHAR)"
        );
        // A real change is still one.
        let changed = cols(&[
            ("amount", "DECIMAL(12, 3)"),
            ("n", "INTEGER"),
            ("t", "TIMESTAMPTZ"),
        ]);
        assert_eq!(detect(&expected, &changed).len(), 1);
    }

    #[test]
    fn similarity_is_symmetric_and_bounded() {
        assert_eq!(similarity("customer_id", "customerId"), 1.0);
        assert!(similarity("customer_id", "amount") < 0.5);
        assert_eq!(similarity("abc", "abd"), similarity("abd", "abc"));
    }
}
