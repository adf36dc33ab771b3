//! Running a user's SQL statement, the one implementation behind `assay sql` and the
//! workbench's console: how a statement is classified, where it runs, what is capped and
//! what is read-only.
//! - On the cache, queries become the temporary view `sql_result` (paged by whoever shows
//!   them), inspections (DESCRIBE, SHOW, …) answer a small frame, and anything else runs.
//! - On a ClickHouse warehouse everything is asked under the server's read-only mode (the
//!   server refuses writes, and says so); `bronze.`/`silver.`/`gold.` name the workspace's
//!   layer databases, as in the models; a query's answer, up to `WAREHOUSE_ROWS` rows, lands
//!   in a temporary table of the cache behind the same `sql_result` view.

use duckdb::Connection;
use polars::prelude::DataFrame;

use crate::error::{Error, Result};
use crate::frame;
use crate::sql::ident;
use crate::warehouse::browse::{query_into_cache, Browser, Table, View};
use crate::warehouse::{qualify_layers, ClickHouse};

/// The view a query's answer is read from (on the connection that ran it).
pub const SQL_RESULT: &str = "sql_result";
/// Rows of a warehouse query's answer brought into the cache by default.
pub const WAREHOUSE_ROWS: u64 = 100_000;

/// What kind of statement the user wrote, by its first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Answers rows that may be many: SELECT, WITH, FROM, VALUES, TABLE.
    Query,
    /// Answers a small description: DESCRIBE, SUMMARIZE, SHOW, EXPLAIN, PRAGMA, EXISTS.
    Inspect,
    /// Anything else (DDL, DML, SET …).
    Other,
}

/// A statement ready to run: its text without a trailing `;`, and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    pub kind: Kind,
}

impl Statement {
    pub fn parse(text: &str) -> Result<Statement> {
        let text = text.trim().trim_end_matches(';').trim();
        if text.is_empty() {
            return Err(Error::Usage("nothing to run".into()));
        }
        let first = text
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let kind = match first.as_str() {
            "SELECT" | "WITH" | "FROM" | "VALUES" | "TABLE" => Kind::Query,
            "DESCRIBE" | "DESC" | "SUMMARIZE" | "SHOW" | "EXPLAIN" | "PRAGMA" | "EXISTS" => {
                Kind::Inspect
            }
            _ => Kind::Other,
        };
        Ok(Statement {
            text: text.to_string(),
            kind,
        })
    }
}

/// Whether the console may change the cache. The workbench's console is read-only until
/// the user asks for a writable one; `assay sql` writes, as a command line does. A
/// ClickHouse warehouse is always asked read-only (its server enforces it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    Write,
}

/// A statement the cache may run under `access`: in a read-only console, queries only —
/// checked by DuckDB's parser, so `WITH … DELETE` or a second statement is refused too.
fn permitted(conn: &Connection, statement: &Statement, access: Access) -> Result<()> {
    if access == Access::Write || statement.kind == Kind::Inspect {
        return Ok(());
    }
    // Short enough for an 80-column status line; the console's title says how to write.
    let refused = |why: String| Error::Usage(format!("read-only console: {why}"));
    if statement.kind == Kind::Other {
        let first = statement.text.split_whitespace().next().unwrap_or_default();
        return Err(refused(format!("`{first}` changes the cache")));
    }
    let query = crate::build::statement::single_query(&statement.text).map_err(refused)?;
    crate::build::statement::confirm_select(conn, &query).map_err(refused)
}

/// What a statement answered.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Rows behind the `sql_result` view: how many, and whether a cap left some out.
    Rows { total: i64, capped: bool },
    /// A small answer, whole.
    Frame(DataFrame),
    /// A statement that changed something.
    Done { changed: usize },
}

/// Run `text` on the cache, or on the warehouse when one is given (see the module).
pub fn run(
    conn: &Connection,
    warehouse: Option<&ClickHouse>,
    text: &str,
    warehouse_rows: u64,
    access: Access,
) -> Result<Answer> {
    match warehouse {
        Some(ch) => on_warehouse(ch, conn, text, warehouse_rows),
        None => on_cache(conn, text, access),
    }
}

fn on_cache(conn: &Connection, text: &str, access: Access) -> Result<Answer> {
    let statement = Statement::parse(text)?;
    permitted(conn, &statement, access)?;
    match statement.kind {
        Kind::Query => {
            conn.execute_batch(&format!(
                "CREATE OR REPLACE TEMP VIEW {SQL_RESULT} AS {}",
                statement.text
            ))?;
            let total = Browser::Cache(conn).count(&Table::cache(SQL_RESULT), &View::default())?;
            Ok(Answer::Rows {
                total,
                capped: false,
            })
        }
        Kind::Inspect => Ok(Answer::Frame(frame::query(conn, &statement.text, [])?)),
        Kind::Other => Ok(Answer::Done {
            changed: conn.execute(&statement.text, [])?,
        }),
    }
}

fn on_warehouse(ch: &ClickHouse, conn: &Connection, text: &str, cap: u64) -> Result<Answer> {
    let statement = Statement::parse(&qualify_layers(ch.database(), text))?;
    if statement.kind != Kind::Query {
        // SHOW, DESCRIBE, EXISTS answer small; anything that writes is refused by the server.
        return Ok(Answer::Frame(ch.query_readonly(&statement.text)?.0));
    }
    let table = format!("{SQL_RESULT}_rows");
    let capped = query_into_cache(ch, conn, &table, &statement.text, cap)?;
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP VIEW {SQL_RESULT} AS SELECT * FROM {}",
        ident(&table)
    ))?;
    let total = Browser::Cache(conn).count(&Table::cache(SQL_RESULT), &View::default())?;
    Ok(Answer::Rows { total, capped })
}

/// A statement's whole answer, for a driver that prints it (`assay sql`).
#[derive(Debug, Clone)]
pub enum Whole {
    /// The rows, and whether the warehouse cap left some out.
    Rows {
        frame: DataFrame,
        capped: bool,
    },
    Done {
        changed: usize,
    },
}

/// Run `text` as `run` does, but read the whole answer, running the query once.
pub fn run_whole(
    conn: &Connection,
    warehouse: Option<&ClickHouse>,
    text: &str,
    warehouse_rows: u64,
    access: Access,
) -> Result<Whole> {
    match warehouse {
        Some(ch) => match on_warehouse(ch, conn, text, warehouse_rows)? {
            Answer::Rows { capped, .. } => Ok(Whole::Rows {
                frame: frame::query(conn, &format!("SELECT * FROM {SQL_RESULT}"), [])?,
                capped,
            }),
            Answer::Frame(frame) => Ok(Whole::Rows {
                frame,
                capped: false,
            }),
            Answer::Done { changed } => Ok(Whole::Done { changed }),
        },
        None => {
            let statement = Statement::parse(text)?;
            permitted(conn, &statement, access)?;
            match statement.kind {
                Kind::Query | Kind::Inspect => Ok(Whole::Rows {
                    frame: frame::query(conn, &statement.text, [])?,
                    capped: false,
                }),
                Kind::Other => Ok(Whole::Done {
                    changed: conn.execute(&statement.text, [])?,
                }),
            }
        }
    }
}

/// Rows `offset .. offset + limit` of the last query's answer.
pub fn page(conn: &Connection, offset: u64, limit: u64) -> Result<DataFrame> {
    Browser::Cache(conn).page(&Table::cache(SQL_RESULT), &View::default(), offset, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_classified_by_their_first_word() {
        let kind = |t: &str| Statement::parse(t).unwrap().kind;
        assert_eq!(kind("  select 1;"), Kind::Query);
        assert_eq!(kind("WITH x AS (SELECT 1) SELECT * FROM x"), Kind::Query);
        assert_eq!(kind("VALUES(1)"), Kind::Query);
        assert_eq!(kind("describe gold.t"), Kind::Inspect);
        assert_eq!(kind("DROP TABLE t"), Kind::Other);
        assert!(Statement::parse(" ; ").is_err());
    }

    #[test]
    fn queries_become_a_paged_view_and_writes_say_what_changed() {
        let conn = Connection::open_in_memory().unwrap();
        run(
            &conn,
            None,
            "CREATE TABLE t AS SELECT range AS i FROM range(7)",
            0,
            Access::Write,
        )
        .unwrap();
        let Answer::Done { changed } =
            run(&conn, None, "DELETE FROM t WHERE i > 4;", 0, Access::Write).unwrap()
        else {
            panic!("a write answers Done")
        };
        assert_eq!(changed, 2);
        let Answer::Rows { total, capped } =
            run(&conn, None, "SELECT * FROM t", 0, Access::ReadOnly).unwrap()
        else {
            panic!("a query answers rows")
        };
        assert_eq!((total, capped), (5, false));
        assert_eq!(page(&conn, 3, 10).unwrap().height(), 2);
        assert!(matches!(
            run(&conn, None, "DESCRIBE t", 0, Access::ReadOnly).unwrap(),
            Answer::Frame(_)
        ));
    }

    #[test]
    fn a_whole_answer_runs_the_query_once() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE SEQUENCE seen START 1").unwrap();
        let Whole::Rows { frame, capped } =
            run_whole(&conn, None, "SELECT nextval('seen') AS n", 0, Access::Write).unwrap()
        else {
            panic!("a query answers rows")
        };
        assert_eq!((frame.height(), capped), (1, false));
        let next: i64 = conn
            .query_row("SELECT nextval('seen')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(next, 2, "the query ran exactly once");
    }

    /// The workbench's console does not change the cache unless asked: writes, a write in a
    /// CTE and a second statement after a query are refused, saying how to write.
    #[test]
    fn a_read_only_console_refuses_writes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t AS SELECT range AS i FROM range(3)")
            .unwrap();
        for text in [
            "DELETE FROM t",
            "DROP TABLE t",
            "WITH x AS (SELECT 1) DELETE FROM t",
            "SELECT 1; DROP TABLE t",
        ] {
            let err = run(&conn, None, text, 0, Access::ReadOnly)
                .unwrap_err()
                .to_string();
            assert!(err.contains("read-only"), "{text}: {err}");
        }
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3, "nothing changed");
        assert!(run(&conn, None, "DELETE FROM t WHERE i = 0", 0, Access::Write).is_ok());
    }
}
