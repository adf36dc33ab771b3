//! Rows of a ClickHouse table brought into the cache: a temporary table with the DuckDB
//! types of the ClickHouse columns, filled from CSV answers (ClickHouse 18.16 has no
//! Parquet or Arrow output), one page of slices at a time.

use duckdb::Connection;

use crate::error::{Error, Result};
use crate::sql::{ident, literal};
use crate::warehouse::{ClickHouse, Wire};

/// The DuckDB type that holds a ClickHouse column's values (text where there is no
/// faithful match: enums, arrays, UUIDs and the like compare as their text).
pub fn duck_type(ch_type: &str) -> String {
    let mut t = ch_type.trim();
    while let Some(inner) = t
        .strip_prefix("Nullable(")
        .or_else(|| t.strip_prefix("LowCardinality("))
    {
        t = inner.strip_suffix(')').unwrap_or(inner);
    }
    let decimal = |p: u32, rest: &str| -> String {
        let scale = rest.trim_end_matches(')').trim();
        format!("DECIMAL({p},{scale})")
    };
    match t {
        "Int8" => "TINYINT".into(),
        "Int16" => "SMALLINT".into(),
        "Int32" => "INTEGER".into(),
        "Int64" => "BIGINT".into(),
        "UInt8" => "UTINYINT".into(),
        "UInt16" => "USMALLINT".into(),
        "UInt32" => "UINTEGER".into(),
        "UInt64" => "UBIGINT".into(),
        "Float32" => "FLOAT".into(),
        "Float64" => "DOUBLE".into(),
        "Int128" => "HUGEINT".into(),
        "UInt128" => "UHUGEINT".into(),
        "Bool" => "BOOLEAN".into(),
        "Date" | "Date32" => "DATE".into(),
        _ if t.starts_with("DateTime") => "TIMESTAMP".into(),
        _ if t.starts_with("Decimal32(") => decimal(9, &t[10..]),
        _ if t.starts_with("Decimal64(") => decimal(18, &t[10..]),
        _ if t.starts_with("Decimal128(") => decimal(38, &t[11..]),
        _ if t.starts_with("Decimal(") => {
            let inner = t[8..].trim_end_matches(')');
            match inner.split_once(',') {
                Some((p, s)) => {
                    let p: u32 = p.trim().parse().unwrap_or(38);
                    format!("DECIMAL({},{})", p.min(38), s.trim())
                }
                None => "DOUBLE".into(),
            }
        }
        _ => "VARCHAR".into(),
    }
}

/// A temporary table in the cache shaped like the ClickHouse columns `columns` (name,
/// ClickHouse type), replacing any earlier one of that name.
pub fn create_table(conn: &Connection, table: &str, columns: &[(String, String)]) -> Result<()> {
    let defs: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!("{} {}", ident(n), duck_type(t)))
        .collect();
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {} ({})",
        ident(table),
        defs.join(", ")
    ))?;
    Ok(())
}

/// Append the answer of `select` (a ClickHouse SELECT of exactly the table's columns, in
/// order) to the temporary table; the rows appended and the bytes received.
pub fn append(
    ch: &ClickHouse,
    conn: &Connection,
    table: &str,
    columns: &[(String, String)],
    select: &str,
) -> Result<Wire> {
    let file = tempfile::Builder::new()
        .prefix("assay-fetch-")
        .suffix(".csv")
        .tempfile()
        .map_err(|e| Error::Runtime(format!("cannot make a temporary file: {e}")))?;
    let bytes = ch.fetch_to_file(select, "CSVWithNames", file.path())?;
    let sql = insert_csv_sql(table, &file.path().to_string_lossy(), columns);
    let n = conn.execute(&sql, []).map_err(|e| {
        Error::Runtime(format!(
            "reading ClickHouse's answer into the cache ({table}): {e}"
        ))
    })?;
    Ok(Wire {
        rows: n as u64,
        bytes,
    })
}

/// INSERT of a ClickHouse CSVWithNames answer saved at `path` into `table`. ClickHouse
/// writes NULL as an unquoted \N and every string quoted, so a quoted "\N" is text.
/// Headers are skipped, not matched: the SELECT fixed the order.
fn insert_csv_sql(table: &str, path: &str, columns: &[(String, String)]) -> String {
    let types: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!("{}: {}", literal(n), literal(&duck_type(t))))
        .collect();
    format!(
        "INSERT INTO {t} SELECT * FROM read_csv({f}, header = true, delim = ',', quote = '\"', escape = '\"', \
         nullstr = '\\N', allow_quoted_nulls = false, auto_detect = false, columns = {{{cols}}})",
        t = ident(table),
        f = literal(path),
        cols = types.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clickhouse_types_map_to_duckdb() {
        assert_eq!(duck_type("Nullable(Decimal(18, 2))"), "DECIMAL(18,2)");
        assert_eq!(duck_type("Decimal64(4)"), "DECIMAL(18,4)");
        assert_eq!(duck_type("LowCardinality(Nullable(String))"), "VARCHAR");
        assert_eq!(duck_type("LowCardinality(Nullable(Int64))"), "BIGINT");
        assert_eq!(duck_type("Nullable(Int128)"), "HUGEINT");
        assert_eq!(duck_type("Bool"), "BOOLEAN");
        assert_eq!(duck_type("DateTime('Europe/Paris')"), "TIMESTAMP");
        assert_eq!(duck_type("Nullable(Date)"), "DATE");
        assert_eq!(duck_type("UInt8"), "UTINYINT");
        assert_eq!(duck_type("Enum8('a' = 1)"), "VARCHAR");
    }

    #[test]
    fn ch_csv_answers_load_with_nulls_quotes_and_newlines() {
        // What ClickHouse's CSVWithNames looks like, read the way `append` reads it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(
            &path,
            "\"k\",\"s\",\"d\",\"x\"\n1,\"a,\"\"b\"\"\nc\",\"2024-01-05\",1.50\n2,\\N,\\N,\\N\n3,\"\\N\",\"2024-01-06\",2\n",
        )
        .unwrap();
        let conn = Connection::open_in_memory().unwrap();
        let cols = vec![
            ("k".to_string(), "Int64".to_string()),
            ("s".to_string(), "Nullable(String)".to_string()),
            ("d".to_string(), "Nullable(Date)".to_string()),
            ("x".to_string(), "Nullable(Decimal(18, 2))".to_string()),
        ];
        create_table(&conn, "t", &cols).unwrap();
        conn.execute_batch(&insert_csv_sql("t", &path.to_string_lossy(), &cols))
            .unwrap();
        let rows: Vec<(i64, Option<String>, Option<String>)> = conn
            .prepare("SELECT k, s, CAST(x AS VARCHAR) FROM t ORDER BY k")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        assert_eq!(rows[0].1.as_deref(), Some("a,\"b\"\nc"));
        assert_eq!(rows[0].2.as_deref(), Some("1.50"));
        assert_eq!(rows[1].1, None);
        assert_eq!(rows[2].1.as_deref(), Some("\\N"));
    }
}
