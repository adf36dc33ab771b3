//! Whether the columns marked `pii` exist: asked of the tables the cache holds (legacy
//! imports, and the layers when the cache is the warehouse). A table not there yet (never
//! extracted or built) says nothing.

use duckdb::Connection;

use crate::config::{pii_lists, Config};
use crate::error::Result;

/// Marked columns a table of the cache does not have: (key path of the list entry, message).
pub fn unknown_columns(config: &Config, conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (key, table, cols) in pii_lists(config) {
        let Some((schema, name)) = table.split_once('.') else {
            continue;
        };
        let have = columns_of(conn, schema, name)?;
        if have.is_empty() {
            continue;
        }
        for (i, col) in cols.iter().enumerate() {
            if !have.iter().any(|h| h.eq_ignore_ascii_case(col)) {
                out.push((
                    format!("{key}.pii.{i}"),
                    format!(
                        "`{col}` is not a column of {table} (it has: {})",
                        have.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// The columns of `schema.name` in the cache, in order (none: no such table or view).
fn columns_of(conn: &Connection, schema: &str, name: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT column_name FROM information_schema.columns \
         WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
    )?;
    let names = stmt
        .query_map([schema, name], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(names)
}
