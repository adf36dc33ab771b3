//! MySQL / MariaDB: types from the prepared statement, rows through the text protocol.

use std::path::Path;

use mysql::consts::{ColumnFlags, ColumnType};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, Value};

use super::sink::CsvSink;
use super::{Link, ServerQuery};
use crate::drift::ColumnDef;
use crate::error::{Error, Result};

/// Log in and hand the guard a way to cancel the query from outside: `KILL QUERY` from a
/// second connection.
fn connect<T>(q: &ServerQuery, link: &Link<T>) -> Result<Conn> {
    let (conn, opts) = login(q)?;
    let id = conn.connection_id();
    link.connected(move || {
        if let Ok(mut other) = Conn::new(opts) {
            let _ = other.query_drop(format!("KILL QUERY {id}"));
        }
    });
    Ok(conn)
}

fn login(q: &ServerQuery) -> Result<(Conn, Opts)> {
    let opts: Opts = match q.url()? {
        Some(url) => Opts::from_url(&url).map_err(|_| {
            Error::Usage(format!(
                "sources.{}.url_env: not a valid mysql URL",
                q.source_name
            ))
        })?,
        None => OptsBuilder::new()
            .ip_or_hostname(Some(
                q.source.host.clone().unwrap_or_else(|| "localhost".into()),
            ))
            .tcp_port(q.source.port.unwrap_or(3306))
            .db_name(q.source.database.clone())
            .user(q.source.user.clone())
            .pass(q.password()?)
            .tcp_connect_timeout(Some(q.source.connect_timeout()))
            .into(),
    };
    Conn::new(opts.clone()).map(|c| (c, opts)).map_err(|e| {
        Error::Runtime(format!(
            "sources.{}: cannot connect to mysql at {}: {e}",
            q.source_name,
            q.place()
        ))
    })
}

fn query_error(q: &ServerQuery, e: mysql::Error) -> Error {
    Error::Runtime(format!(
        "sources.{}: query failed on mysql: {e}",
        q.source_name
    ))
}

fn duckdb_type(c: &mysql::Column) -> String {
    let unsigned = c.flags().contains(ColumnFlags::UNSIGNED_FLAG);
    let pick = |signed: &str, uns: &str| {
        if unsigned {
            uns.to_string()
        } else {
            signed.to_string()
        }
    };
    match c.column_type() {
        ColumnType::MYSQL_TYPE_TINY => pick("TINYINT", "UTINYINT"),
        ColumnType::MYSQL_TYPE_SHORT => pick("SMALLINT", "USMALLINT"),
        ColumnType::MYSQL_TYPE_LONG | ColumnType::MYSQL_TYPE_INT24 => pick("INTEGER", "UINTEGER"),
        ColumnType::MYSQL_TYPE_LONGLONG => pick("BIGINT", "UBIGINT"),
        ColumnType::MYSQL_TYPE_YEAR => "INTEGER".into(),
        ColumnType::MYSQL_TYPE_FLOAT => "FLOAT".into(),
        ColumnType::MYSQL_TYPE_DOUBLE => "DOUBLE".into(),
        ColumnType::MYSQL_TYPE_NEWDECIMAL | ColumnType::MYSQL_TYPE_DECIMAL => {
            let scale = c.decimals() as u32;
            // The display length counts the sign and the decimal point.
            let precision = c
                .column_length()
                .saturating_sub(u32::from(scale > 0) + u32::from(!unsigned));
            if (1..=38).contains(&precision) {
                format!("DECIMAL({precision}, {scale})")
            } else {
                "DOUBLE".into()
            }
        }
        ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE => "DATE".into(),
        ColumnType::MYSQL_TYPE_DATETIME | ColumnType::MYSQL_TYPE_TIMESTAMP => "TIMESTAMP".into(),
        ColumnType::MYSQL_TYPE_TIME => "VARCHAR".into(),
        _ => "VARCHAR".into(),
    }
}

pub fn describe(q: &ServerQuery, link: &Link<Vec<ColumnDef>>) -> Result<Vec<ColumnDef>> {
    let mut conn = connect(q, link)?;
    let stmt = conn.prep(q.query_text()).map_err(|e| query_error(q, e))?;
    Ok(stmt
        .columns()
        .iter()
        .map(|c| ColumnDef::new(&c.name_str(), &duckdb_type(c)))
        .collect())
}

pub fn fetch_csv(q: &ServerQuery, path: &Path, link: &Link<u64>) -> Result<u64> {
    let mut conn = connect(q, link)?;
    let mut result = conn
        .query_iter(q.query_text())
        .map_err(|e| query_error(q, e))?;
    let names: Vec<String> = result
        .columns()
        .as_ref()
        .iter()
        .map(|c| c.name_str().to_string())
        .collect();
    let mut sink = CsvSink::create(path, &names)?;
    let set = result.iter().ok_or_else(|| {
        Error::Runtime(format!(
            "sources.{}: the query returned no result set",
            q.source_name
        ))
    })?;
    for row in set {
        let row = row.map_err(|e| query_error(q, e))?;
        for i in 0..names.len() {
            match row.as_ref(i) {
                None | Some(Value::NULL) => sink.field(None),
                Some(Value::Bytes(b)) => sink.field(Some(b)),
                Some(other) => sink.field(Some(other.as_sql(true).trim_matches('\'').as_bytes())),
            }
        }
        sink.end_row(link)?;
    }
    sink.finish()
}
