//! Database servers as sources. Rows stream from the server into a CSV file in the cache
//! folder (PostgreSQL's own `COPY … TO STDOUT`, MySQL's text protocol, ClickHouse's
//! CSVWithNames over HTTP), and DuckDB loads that file with the column types the server
//! declared, so nothing is re-guessed.

mod clickhouse;
mod firebird;
mod guard;
mod mysql;
mod postgres;
mod sink;

use std::path::{Path, PathBuf};

use guard::{guarded, Limits, Link};

use crate::config::{Source, SourceKind};
use crate::drift::ColumnDef;
use crate::error::{Error, Result};
use crate::sql::literal;

/// A query on a server source, with the names needed for messages. It owns its parts: the
/// driver call runs on a thread that may outlive the caller when a server stops answering.
#[derive(Clone)]
pub struct ServerQuery {
    pub source_name: String,
    pub source: Source,
    pub query: String,
}

impl ServerQuery {
    fn query_text(&self) -> &str {
        self.query.trim().trim_end_matches(';')
    }

    /// The password from the environment variable the config names; never from the file.
    fn password(&self) -> Result<Option<String>> {
        env_value(
            &self.source_name,
            "password_env",
            self.source.password_env.as_deref(),
        )
    }

    fn url(&self) -> Result<Option<String>> {
        env_value(&self.source_name, "url_env", self.source.url_env.as_deref())
    }

    fn place(&self) -> String {
        let default = match self.source.kind {
            SourceKind::Postgres => Some(5432),
            SourceKind::Mysql => Some(3306),
            SourceKind::Firebird => Some(3050),
            _ => None,
        };
        format!(
            "{}:{}",
            self.source.host.as_deref().unwrap_or("localhost"),
            self.source
                .port
                .or(default)
                .map_or_else(|| "default port".to_string(), |p| p.to_string())
        )
    }

    fn limits(&self) -> Limits {
        Limits {
            connect: self.source.connect_timeout(),
            statement: self.source.timeout(),
            setting: format!("sources.{}", self.source_name),
            place: format!("{} at {}", self.source.kind.as_str(), self.place()),
        }
    }
}

fn env_value(source: &str, key: &str, var: Option<&str>) -> Result<Option<String>> {
    let Some(var) = var else { return Ok(None) };
    std::env::var(var).map(Some).map_err(|_| {
        Error::Usage(format!(
            "sources.{source}.{key}: environment variable {var} is not set"
        ))
    })
}

/// PostgreSQL, MySQL, ClickHouse and Firebird: the kinds with a driver here.
fn check_server(q: &ServerQuery) -> Result<()> {
    match q.source.kind {
        SourceKind::Postgres
        | SourceKind::Mysql
        | SourceKind::Clickhouse
        | SourceKind::Firebird => Ok(()),
        other => Err(Error::Usage(format!(
            "sources.{}: {} is not a server source",
            q.source_name,
            other.as_str()
        ))),
    }
}

/// Columns (name, DuckDB type) the query will return. Bounded by the source's timeouts;
/// `cancelled` ends the wait (and the query on the server).
pub fn describe(q: &ServerQuery, cancelled: &dyn Fn() -> bool) -> Result<Vec<ColumnDef>> {
    check_server(q)?;
    let owned = q.clone();
    guarded(
        &q.limits(),
        cancelled,
        &mut |_| {},
        move |link| match owned.source.kind {
            SourceKind::Postgres => postgres::describe(&owned, link),
            SourceKind::Clickhouse => clickhouse::describe(&owned, link),
            SourceKind::Firebird => firebird::describe(&owned, link),
            _ => mysql::describe(&owned, link),
        },
    )
}

/// Stream the query's rows into `path` as CSV with a header; returns the row count.
pub fn fetch_csv(
    q: &ServerQuery,
    path: &Path,
    cancelled: &dyn Fn() -> bool,
    on_rows: &mut dyn FnMut(u64),
) -> Result<u64> {
    check_server(q)?;
    let (owned, path): (ServerQuery, PathBuf) = (q.clone(), path.to_path_buf());
    guarded(&q.limits(), cancelled, on_rows, move |link| {
        match owned.source.kind {
            SourceKind::Postgres => postgres::fetch_csv(&owned, &path, link),
            SourceKind::Clickhouse => clickhouse::fetch_csv(&owned, &path, link),
            SourceKind::Firebird => firebird::fetch_csv(&owned, &path, link),
            _ => mysql::fetch_csv(&owned, &path, link),
        }
    })
}

/// The DuckDB relation reading a CSV fetched from a `kind` server with the declared types.
/// PostgreSQL, MySQL and Firebird write NULL as an unquoted empty field (a quoted one is the empty
/// string); ClickHouse writes an unquoted `\N` and quotes every string, so "\N" is text.
pub fn csv_relation(path: &Path, columns: &[ColumnDef], kind: SourceKind) -> String {
    let types = columns
        .iter()
        .map(|c| format!("{}: {}", literal(&c.name), literal(&c.type_)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "read_csv({}, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', \
         allow_quoted_nulls = false{nulls}, columns = {{{types}}})",
        literal(&path.to_string_lossy()),
        nulls = match kind {
            SourceKind::Clickhouse => ", nullstr = '\\N'",
            _ => "",
        }
    )
}

/// Quote one CSV field the way DuckDB reads it back (RFC 4180).
pub fn csv_field(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => {}
        Some([]) => out.extend_from_slice(b"\"\""),
        Some(v) if v.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) => {
            out.push(b'"');
            for &b in v {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        }
        Some(v) => out.extend_from_slice(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_keep_null_and_empty_apart() {
        let mut out = Vec::new();
        for (i, v) in [
            None,
            Some(&b""[..]),
            Some(&b"a,b"[..]),
            Some(&b"say \"hi\""[..]),
            Some(&b"plain"[..]),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(b',');
            }
            csv_field(&mut out, *v);
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            ",\"\",\"a,b\",\"say \"\"hi\"\"\",plain"
        );
    }
}
