//! A date column whose rows use two formats is read by DuckDB as text, silently: the compare
//! would then see every date as changed. After an import, each text column is tried against
//! the configured `date_format` (or the usual formats when none is set); one that is mostly
//! dates, but not all, is refused with a value that does not parse and the setting to fix.

use duckdb::{params, Connection};

use crate::sql::{ident, literal};

/// Formats tried when the export configures none.
const USUAL: [&str; 4] = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"];

/// Err is a message naming the column, a value, its file and the setting.
pub fn refuse_mixed(
    conn: &Connection,
    (export, company): (&str, &str),
    configured: Option<&str>,
) -> Result<(), String> {
    let table = &super::table_name(export, company);
    let text_columns: Vec<String> = {
        let mut stmt = conn
            .prepare(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'legacy' \
                 AND table_name = ? AND data_type = 'VARCHAR' AND column_name NOT LIKE '\\_%' ESCAPE '\\' \
                 ORDER BY ordinal_position",
            )
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map(params![table], |r| r.get::<_, String>(0))
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())?
    };
    let formats: Vec<&str> = configured.map_or_else(|| USUAL.to_vec(), |f| vec![f]);
    for column in &text_columns {
        for format in &formats {
            // A look at the first rows first: most text columns are not dates at all, and a
            // full scan per column and format would cost seconds on a large export.
            if !looks_like_dates(conn, table, column, format)? {
                continue;
            }
            if let Some(problem) = mixed(conn, table, column, format)? {
                return Err(format!(
                    "{problem}: set legacy.{export}.format.date_format, or \
                     legacy.{export}.overrides.{company}.date_format for this company's files"
                ));
            }
        }
    }
    Ok(())
}

/// Whether at least half of the first 1,000 filled values parse with `format`.
fn looks_like_dates(
    conn: &Connection,
    table: &str,
    column: &str,
    format: &str,
) -> Result<bool, String> {
    let c = ident(column);
    let sql = format!(
        "SELECT coalesce(count(*) FILTER (WHERE try_strptime(trim(v), {f}) IS NOT NULL) * 2 >= count(*) \
         AND count(*) > 0, false) FROM (SELECT {c} AS v FROM legacy.{t} \
         WHERE {c} IS NOT NULL AND trim({c}) <> '' LIMIT 1000)",
        f = literal(format),
        t = ident(table)
    );
    conn.query_row(&sql, [], |r| r.get(0))
        .map_err(|e| e.to_string())
}

fn mixed(
    conn: &Connection,
    table: &str,
    column: &str,
    format: &str,
) -> Result<Option<String>, String> {
    let c = ident(column);
    let fails = format!("try_strptime(trim({c}), {f}) IS NULL", f = literal(format));
    let filled = format!("{c} IS NOT NULL AND trim({c}) <> ''");
    let sql = format!(
        "SELECT count(*) FILTER (WHERE {filled}), count(*) FILTER (WHERE {filled} AND NOT ({fails})), \
         any_value({c}) FILTER (WHERE {filled} AND {fails}), any_value(_source) FILTER (WHERE {filled} AND {fails}) \
         FROM legacy.{t}",
        t = ident(table)
    );
    let (filled_n, dates, sample, file): (i64, i64, Option<String>, Option<String>) = conn
        .query_row(&sql, [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .map_err(|e| e.to_string())?;
    if filled_n == 0 || dates == filled_n || dates * 2 < filled_n {
        return Ok(None);
    }
    Ok(Some(format!(
        "column `{column}` was read as text: {dates} of {filled_n} values are dates in {format}, \
         but `{}`{} is not. The files mix date formats; make them agree, or give the one they use",
        sample.unwrap_or_default(),
        file.map(|f| format!(" (in {f})")).unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_of_mixed_date_formats_is_refused_with_a_sample() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE SCHEMA legacy; CREATE TABLE legacy.sales__acme AS SELECT * FROM (VALUES \
             ('2024-01-31', 'a', 'x.csv'), ('2024-02-01', 'b', 'x.csv'), ('03/02/2024', 'c', 'y.csv'), (NULL, 'd', 'y.csv')) \
             v(invoice_date, note, _source)",
        )
        .unwrap();
        let err = refuse_mixed(&conn, ("sales", "acme"), None).unwrap_err();
        assert!(err.contains("`invoice_date`"), "{err}");
        assert!(err.contains("2 of 3 values are dates in %Y-%m-%d"), "{err}");
        assert!(err.contains("`03/02/2024` (in y.csv)"), "{err}");
        assert!(
            err.contains("legacy.sales.overrides.acme.date_format"),
            "{err}"
        );
        conn.execute_batch(
            "UPDATE legacy.sales__acme SET invoice_date = '2024-02-03' WHERE note = 'c'",
        )
        .unwrap();
        assert!(refuse_mixed(&conn, ("sales", "acme"), Some("%Y-%m-%d")).is_ok());
    }
}
