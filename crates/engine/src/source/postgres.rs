//! PostgreSQL: types from the prepared statement, rows through `COPY (query) TO STDOUT`.

use std::io::{BufWriter, Read, Write};
use std::path::Path;

use postgres::types::Type;
use postgres::{Client, Config, NoTls};

use super::{Link, ServerQuery};
use crate::drift::ColumnDef;
use crate::error::{Error, IoContext, Result};

/// Log in, with the statement timeout also set on the server, and hand the guard a way to
/// cancel the query from outside (PostgreSQL's cancel request).
fn connect<T>(q: &ServerQuery, link: &Link<T>) -> Result<Client> {
    let mut client = login(q)?;
    let token = client.cancel_token();
    link.connected(move || {
        let _ = token.cancel_query(NoTls);
    });
    let ms = q.source.timeout().as_millis();
    client
        .batch_execute(&format!("SET statement_timeout = {ms}"))
        .map_err(|e| query_error(q, &e))?;
    Ok(client)
}

fn login(q: &ServerQuery) -> Result<Client> {
    let fail = |place: String, e: postgres::Error| {
        Error::Runtime(format!(
            "sources.{}: cannot connect to postgres at {place}: {}",
            q.source_name,
            reason(&e)
        ))
    };
    if let Some(url) = q.url()? {
        // The URL may hold a password: it is parsed, never echoed.
        let mut config: Config = url.parse().map_err(|_| {
            Error::Usage(format!(
                "sources.{}.url_env: not a valid postgres URL",
                q.source_name
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(q.source.connect_timeout());
        }
        let place = format!("{} (sources.{}.url_env)", url_place(&config), q.source_name);
        return config.connect(NoTls).map_err(|e| fail(place, e));
    }
    let mut config = Config::new();
    config
        .host(q.source.host.as_deref().unwrap_or("localhost"))
        .port(q.source.port.unwrap_or(5432))
        .dbname(q.source.database.as_deref().unwrap_or("postgres"))
        .user(q.source.user.as_deref().unwrap_or("postgres"))
        .connect_timeout(q.source.connect_timeout());
    if let Some(p) = q.password()? {
        config.password(p);
    }
    config.connect(NoTls).map_err(|e| fail(q.place(), e))
}

/// Where a URL points, without its credentials: `host:port/database`.
fn url_place(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{host}:{port}/{}",
        config.get_dbname().unwrap_or("(the user's database)")
    )
}

/// The server's own words for a failure (`password authentication failed for user "x"`),
/// or the client's with its cause (`error connecting to server: Connection refused`): the
/// client's Display says only "db error" for the first.
fn reason(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

fn query_error(q: &ServerQuery, e: &postgres::Error) -> Error {
    // The server's own statement_timeout (set from timeout_secs) is named like the client's.
    if e.as_db_error().is_some_and(|d| {
        *d.code() == postgres::error::SqlState::QUERY_CANCELED
            && d.message().contains("statement timeout")
    }) {
        return Error::Runtime(format!(
            "sources.{name}: the query did not finish within {} s (sources.{name}.timeout_secs); \
             PostgreSQL cancelled it",
            q.source.timeout().as_secs(),
            name = q.source_name
        ));
    }
    let detail = reason(e);
    Error::Runtime(format!(
        "sources.{}: query failed on postgres: {detail}",
        q.source_name
    ))
}

/// PostgreSQL type → DuckDB type. NUMERIC keeps its declared precision and scale.
fn duckdb_type(t: &Type, modifier: i32) -> String {
    match *t {
        Type::BOOL => "BOOLEAN".into(),
        Type::INT2 => "SMALLINT".into(),
        Type::INT4 => "INTEGER".into(),
        Type::INT8 => "BIGINT".into(),
        Type::FLOAT4 => "FLOAT".into(),
        Type::FLOAT8 => "DOUBLE".into(),
        Type::NUMERIC if modifier >= 4 => {
            let precision = ((modifier - 4) >> 16) & 0xffff;
            let scale = (modifier - 4) & 0xffff;
            if precision <= 38 {
                format!("DECIMAL({precision}, {scale})")
            } else {
                "DOUBLE".into()
            }
        }
        Type::NUMERIC => "DOUBLE".into(),
        Type::DATE => "DATE".into(),
        Type::TIMESTAMP => "TIMESTAMP".into(),
        Type::TIMESTAMPTZ => "TIMESTAMPTZ".into(),
        Type::TIME => "TIME".into(),
        Type::UUID => "UUID".into(),
        Type::BYTEA => "BLOB".into(),
        _ => "VARCHAR".into(),
    }
}

pub fn describe(q: &ServerQuery, link: &Link<Vec<ColumnDef>>) -> Result<Vec<ColumnDef>> {
    let mut client = connect(q, link)?;
    let stmt = client
        .prepare(q.query_text())
        .map_err(|e| query_error(q, &e))?;
    Ok(stmt
        .columns()
        .iter()
        .map(|c| ColumnDef::new(c.name(), &duckdb_type(c.type_(), c.type_modifier())))
        .collect())
}

pub fn fetch_csv(q: &ServerQuery, path: &Path, link: &Link<u64>) -> Result<u64> {
    let mut client = connect(q, link)?;
    let copy = format!(
        "COPY ({}) TO STDOUT (FORMAT csv, HEADER true)",
        q.query_text()
    );
    let mut reader = client
        .copy_out(copy.as_str())
        .map_err(|e| query_error(q, &e))?;
    let file =
        std::fs::File::create(path).io_context(|| format!("cannot write {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut buf = vec![0u8; 1 << 20];
    let mut newlines = 0u64;
    let mut reported = 0u64;
    loop {
        // The reader wraps the server's error (a statement timeout, a failing cast) in an
        // I/O error whose text is only "db error": unwrap it to say what happened.
        let n = reader.read(&mut buf).map_err(|e| {
            match e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<postgres::Error>())
            {
                Some(server) => query_error(q, server),
                None => Error::Runtime(format!(
                    "sources.{}: reading from postgres: {e}",
                    q.source_name
                )),
            }
        })?;
        if n == 0 {
            break;
        }
        newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        out.write_all(&buf[..n])
            .io_context(|| format!("cannot write {}", path.display()))?;
        if newlines - reported >= 100_000 {
            reported = newlines;
            link.rows(newlines.saturating_sub(1));
        }
    }
    out.flush()
        .io_context(|| format!("cannot write {}", path.display()))?;
    Ok(newlines.saturating_sub(1))
}
