//! The two sides of a comparison: any DuckDB relation (a table, a view, `read_csv(…)`),
//! with its columns and types read once.

use duckdb::Connection;

use crate::error::{Error, Result};
use crate::sql::{ident, literal};

#[derive(Debug, Clone)]
pub struct Relation {
    /// SQL text usable after FROM: a quoted table name or a table function call.
    pub sql: String,
    /// (name, DuckDB type) in order.
    pub columns: Vec<(String, String)>,
    /// The scratch file `sql` reads, if any: kept while any relation reading it lives.
    pub keep: Option<std::sync::Arc<crate::store::scratch::Scratch>>,
}

impl Relation {
    pub fn describe(conn: &Connection, sql: &str) -> Result<Self> {
        let mut stmt = conn
            .prepare(&format!("DESCRIBE SELECT * FROM {sql}"))
            .map_err(|e| Error::Runtime(format!("cannot read {sql}: {e}")))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let columns = rows.collect::<Result<Vec<_>, _>>()?;
        Ok(Relation {
            sql: sql.to_string(),
            columns,
            keep: None,
        })
    }

    /// The column called `name`, matched case-insensitively (SQL identifiers usually are).
    pub fn find(&self, name: &str) -> Option<&(String, String)> {
        self.columns
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// This relation cut down to the rows whose key columns (as text) are among `keys`.
    pub fn only_keys(&self, key_columns: &[String], keys: &[Vec<Option<String>>]) -> Relation {
        let values: Vec<String> = keys
            .iter()
            .map(|k| {
                let parts: Vec<String> = k
                    .iter()
                    .map(|v| v.as_deref().map_or_else(|| "NULL".to_string(), literal))
                    .collect();
                format!("({})", parts.join(", "))
            })
            .collect();
        let names: Vec<String> = (0..key_columns.len()).map(|j| format!("p{j}")).collect();
        let on: Vec<String> = key_columns
            .iter()
            .enumerate()
            .map(|(j, k)| {
                format!(
                    "CAST(s.{} AS VARCHAR) IS NOT DISTINCT FROM p.p{j}",
                    ident(k)
                )
            })
            .collect();
        Relation {
            sql: format!(
                "(SELECT s.* FROM {} AS s SEMI JOIN (VALUES {}) AS p({}) ON {})",
                self.sql,
                values.join(", "),
                names.join(", "),
                on.join(" AND ")
            ),
            columns: self.columns.clone(),
            keep: self.keep.clone(),
        }
    }

    pub fn require(&self, name: &str, side: &str) -> Result<&(String, String)> {
        self.find(name).ok_or_else(|| {
            let known: Vec<&str> = self.columns.iter().map(|(n, _)| n.as_str()).collect();
            Error::Usage(format!(
                "column `{name}` is not in {side} ({}); it has: {}",
                self.sql,
                known.join(", ")
            ))
        })
    }
}

/// A number of any kind (integer, decimal, float): the types `decimal::Numeric` sums.
pub fn is_numeric(duck_type: &str) -> bool {
    crate::decimal::Numeric::of(duck_type).is_some()
        || duck_type.to_ascii_uppercase().starts_with("DECIMAL")
}

pub fn is_text(duck_type: &str) -> bool {
    duck_type.eq_ignore_ascii_case("VARCHAR")
}

#[cfg(test)]
mod tests {
    use super::is_numeric;

    // Both sides of every compare are DuckDB relations (a ClickHouse side is fetched into a
    // cache table first), so only DuckDB's type names reach this.
    #[test]
    fn numbers_are_told_from_text() {
        for t in [
            "DECIMAL(12,2)",
            "BIGINT",
            "HUGEINT",
            "UINTEGER",
            "DOUBLE",
            "FLOAT",
        ] {
            assert!(is_numeric(t), "{t}");
        }
        for t in ["VARCHAR", "INTERVAL", "UUID", "DATE", "TIMESTAMP"] {
            assert!(!is_numeric(t), "{t}");
        }
    }
}

/// The type two sides' columns are compared in when their types differ (None when they
/// agree). The rule, documented in the README:
/// - text against a typed value (date, timestamp, number, boolean): the typed one — ISO
///   dates exported as text meet their DATE column;
/// - integers of different widths: the wider; an integer against a DECIMAL: that DECIMAL
///   widened to 38 digits; DECIMALs of different scales: 38 digits at the larger scale;
/// - anything against a float: DOUBLE (a float holding whole numbers meets its integers);
/// - an instant (TIMESTAMP WITH TIME ZONE) against a naive timestamp or text: left to the
///   equality rules, which read the naive side at the comparison's `timezone` (None);
/// - anything else: text.
///
/// Values that do not convert become NULL on their side (`TRY_CAST`), so the row is a
/// changed one, never an error.
pub fn common_type(a: &str, b: &str) -> Option<String> {
    let (ua, ub) = (a.to_ascii_uppercase(), b.to_ascii_uppercase());
    let instant = |t: &str| t == "TIMESTAMP WITH TIME ZONE" || t == "TIMESTAMPTZ";
    if ua == ub || instant(&ua) || instant(&ub) {
        return None;
    }
    let text = |t: &str| t == "VARCHAR" || t.starts_with("VARCHAR(");
    if text(&ua) {
        return Some(b.to_string());
    }
    if text(&ub) {
        return Some(a.to_string());
    }
    let float = |t: &str| matches!(t, "DOUBLE" | "FLOAT" | "REAL");
    if float(&ua) || float(&ub) {
        let numbers = is_number(&ua) && is_number(&ub);
        return Some(if numbers { "DOUBLE" } else { "VARCHAR" }.into());
    }
    if let Some(w) = wider_integer(&ua, &ub) {
        return Some(w.to_string());
    }
    if let (Some(sa), Some(sb)) = (decimal_scale(&ua), decimal_scale(&ub)) {
        return Some(format!("DECIMAL(38, {})", sa.max(sb)));
    }
    if (ua == "DATE" && ub == "TIMESTAMP") || (ub == "DATE" && ua == "TIMESTAMP") {
        return Some("TIMESTAMP".into());
    }
    Some("VARCHAR".into())
}

const INTEGERS: [&str; 9] = [
    "TINYINT",
    "UTINYINT",
    "SMALLINT",
    "USMALLINT",
    "INTEGER",
    "UINTEGER",
    "BIGINT",
    "UBIGINT",
    "HUGEINT",
];

fn is_number(t: &str) -> bool {
    INTEGERS.contains(&t) || t.starts_with("DECIMAL") || matches!(t, "DOUBLE" | "FLOAT" | "REAL")
}

/// The scale of a DECIMAL type, or 0 for an integer (so integer × DECIMAL is a DECIMAL).
fn decimal_scale(t: &str) -> Option<u32> {
    if INTEGERS.contains(&t) {
        return Some(0);
    }
    let inner = t.strip_prefix("DECIMAL(")?.strip_suffix(')')?;
    inner.split(',').nth(1)?.trim().parse().ok()
}

fn wider_integer<'t>(a: &'t str, b: &'t str) -> Option<&'t str> {
    let rank = |t: &str| INTEGERS.iter().position(|i| *i == t);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => Some(if x >= y { a } else { b }),
        _ => None,
    }
}

#[cfg(test)]
mod common_type_tests {
    use super::common_type;

    #[test]
    fn each_drift_meets_in_the_documented_type() {
        let t = |a: &str, b: &str| common_type(a, b);
        assert_eq!(t("DATE", "DATE"), None);
        assert_eq!(t("DATE", "VARCHAR").as_deref(), Some("DATE"));
        assert_eq!(t("VARCHAR", "TIMESTAMP").as_deref(), Some("TIMESTAMP"));
        assert_eq!(t("INTEGER", "BIGINT").as_deref(), Some("BIGINT"));
        assert_eq!(t("HUGEINT", "SMALLINT").as_deref(), Some("HUGEINT"));
        assert_eq!(t("DOUBLE", "BIGINT").as_deref(), Some("DOUBLE"));
        assert_eq!(
            t("DECIMAL(10,2)", "DECIMAL(18,4)").as_deref(),
            Some("DECIMAL(38, 4)")
        );
        assert_eq!(
            t("INTEGER", "DECIMAL(12,2)").as_deref(),
            Some("DECIMAL(38, 2)")
        );
        assert_eq!(
            t("TIMESTAMP", "TIMESTAMP WITH TIME ZONE"),
            None,
            "the timezone rule"
        );
        assert_eq!(t("VARCHAR", "TIMESTAMPTZ"), None);
        assert_eq!(t("DATE", "TIMESTAMP").as_deref(), Some("TIMESTAMP"));
        assert_eq!(t("BOOLEAN", "DATE").as_deref(), Some("VARCHAR"));
        assert_eq!(t("DOUBLE", "DATE").as_deref(), Some("VARCHAR"));
    }
}
