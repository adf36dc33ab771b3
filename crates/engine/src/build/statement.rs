//! What a model file may hold: one query. The file is cut into statements by a small lexer
//! (strings, quoted names and comments skipped), so a second statement is found and named
//! by its line before anything runs; on DuckDB the parser then confirms it is a SELECT.

use duckdb::Connection;

/// The one query of a model file, as it will run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<'a> {
    /// The statement with its leading lines kept, so the database's line numbers are the file's.
    pub text: &'a str,
}

/// The statements in `sql` that hold more than blanks and comments: where each ends (its
/// `;` or the end of the text) and the offset of its first word.
fn statements(sql: &str) -> Vec<(usize, usize)> {
    let bytes = sql.as_bytes();
    // The byte after the next `end` from `from` (or the end of the text).
    let skip_to = |from: usize, end: &str| {
        sql[from..]
            .find(end)
            .map_or(bytes.len(), |p| from + p + end.len())
    };
    let mut out = Vec::new();
    let mut first_word = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_to(i + 2, "\n"),
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_to(i + 2, "*/"),
            b'\'' | b'"' | b'`' => {
                first_word.get_or_insert(i);
                i = closing_quote(bytes, i);
            }
            b';' => {
                if let Some(w) = first_word.take() {
                    out.push((i, w));
                }
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                first_word.get_or_insert(i);
                i += 1;
            }
        }
    }
    if let Some(w) = first_word {
        out.push((bytes.len(), w));
    }
    out
}

/// The byte after the quote that closes the one at `open` (a doubled quote stays inside).
fn closing_quote(bytes: &[u8], open: usize) -> usize {
    let q = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == q {
            if bytes.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        if bytes[i] == b'\\' && q != b'"' {
            i += 1; // ClickHouse escapes with a backslash inside strings
        }
        i += 1;
    }
    bytes.len()
}

fn line_of(sql: &str, offset: usize) -> usize {
    sql[..offset].matches('\n').count() + 1
}

/// The single query of a model file, or why the file is refused (with a line).
pub fn single_query(sql: &str) -> Result<Query<'_>, String> {
    let found = statements(sql);
    let Some(&(end, w)) = found.first() else {
        return Err("holds no query (a model is one SELECT)".into());
    };
    if let Some(&(_, second)) = found.get(1) {
        return Err(format!(
            "line {}: a second statement; a model is exactly one SELECT (or WITH … SELECT), \
             nothing may run before or after it",
            line_of(sql, second)
        ));
    }
    let word: String = sql[w..]
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    let opens_with_bracket = sql[w..].starts_with('(');
    if !opens_with_bracket && !["SELECT", "WITH", "FROM", "VALUES"].contains(&word.as_str()) {
        return Err(format!(
            "line {}: starts with `{word}`; a model is one SELECT (or WITH … SELECT) and \
             cannot change data",
            line_of(sql, w)
        ));
    }
    Ok(Query { text: &sql[..end] })
}

/// DuckDB's parser confirms the query is a SELECT (a `WITH … DELETE` passes the lexer).
/// The text goes as a parameter, never into the SQL.
pub fn confirm_select(conn: &Connection, query: &Query) -> Result<(), String> {
    let json: String = conn
        .query_row("SELECT json_serialize_sql(?::VARCHAR)", [query.text], |r| {
            r.get(0)
        })
        .map_err(|e| e.to_string())?;
    let parsed: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    if parsed["error"].as_bool() == Some(true) {
        let message = parsed["error_message"].as_str().unwrap_or("not a query");
        return Err(if message.contains("Only SELECT") {
            "is not a SELECT; a model is one SELECT (or WITH … SELECT) and cannot change data"
                .into()
        } else {
            message.to_string()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_select_passes_with_its_lines_kept() {
        let sql = "-- revenue\n\nWITH x AS (SELECT ';' AS s /* ; */)\nSELECT * FROM x;\n-- end\n";
        let q = single_query(sql).unwrap();
        assert!(q.text.starts_with("-- revenue\n\nWITH"));
        assert!(q.text.trim_end().ends_with("FROM x"));
        assert!(single_query("(SELECT 1) UNION ALL (SELECT 2)").is_ok());
        assert!(single_query("SELECT 'it''s; fine', \"a;b\" FROM t").is_ok());
    }

    #[test]
    fn a_second_statement_or_a_write_is_refused_with_its_line() {
        let err = single_query(
            "SELECT 1 AS x;\nDELETE FROM bronze.invoices__data WHERE _company = 'acme'",
        )
        .unwrap_err();
        assert!(err.starts_with("line 2: a second statement"), "{err}");
        let err = single_query("\n\nDROP TABLE gold.x").unwrap_err();
        assert!(err.starts_with("line 3: starts with `DROP`"), "{err}");
        assert!(single_query("  -- only a comment\n;").is_err());
    }

    #[test]
    fn duckdb_confirms_a_select() {
        let conn = Connection::open_in_memory().unwrap();
        let ok = single_query("SELECT 1 AS x").unwrap();
        assert!(confirm_select(&conn, &ok).is_ok());
        let cte_delete = Query {
            text: "WITH x AS (SELECT 1) DELETE FROM t",
        };
        assert!(confirm_select(&conn, &cte_delete).is_err());
    }
}
