//! The two sides of a comparison: any DuckDB relation (a table, a view, `read_csv(…)`),
//! with its columns and types read once.

use duckdb::Connection;

use crate::error::{Error, Result};

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
