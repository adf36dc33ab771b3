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

pub fn is_numeric(duck_type: &str) -> bool {
    let t = duck_type.to_ascii_uppercase();
    [
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "FLOAT",
        "DOUBLE",
        "REAL",
    ]
    .contains(&t.as_str())
        || t.starts_with("DECIMAL")
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
