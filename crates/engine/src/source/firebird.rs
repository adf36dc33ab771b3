//! Firebird (legacy billing databases), over its own wire protocol (the pure-Rust client: no
//! native library to install).
//!
//! The client hands NUMERIC and DECIMAL values over as floats, so exact values come as text:
//! the query is wrapped and every value that is not already text is cast to VARCHAR on the
//! server (`123456789012.34`, never `123456789012.33999`). The column types come from the
//! server's own catalogue: the query is made a view inside a transaction that is rolled
//! back, and the view's fields (type, scale, precision) are read before the rollback, so
//! nothing is left in the database.

use std::path::Path;

use rsfbclient::{prelude::*, Charset, Connection, FbError, Row, SqlType};
use rsfbclient_rust::RustFbClient;

use super::sink::CsvSink;
use super::{Link, ServerQuery};
use crate::drift::ColumnDef;
use crate::error::{Error, Result};
use crate::sql::ident;

type Conn = Connection<RustFbClient>;

/// Log in and hand the guard a way to end the query from outside: the attachment is
/// deleted from `MON$ATTACHMENTS` by a second connection, which ends its statement on the
/// server.
fn connect<T>(q: &ServerQuery, link: &Link<T>) -> Result<Conn> {
    let mut conn = login(q)?;
    let id: Option<(i64,)> = conn
        .query_first("SELECT CURRENT_CONNECTION FROM RDB$DATABASE", ())
        .map_err(|e| query_error(q, &e))?;
    let owned = q.clone();
    if let Some((id,)) = id {
        link.connected(move || {
            if let Ok(mut other) = login(&owned) {
                let sql = format!("DELETE FROM MON$ATTACHMENTS WHERE MON$ATTACHMENT_ID = {id}");
                let _ = other.execute(&sql, ());
                let _ = other.commit();
            }
        });
    }
    Ok(conn)
}

fn login(q: &ServerQuery) -> Result<Conn> {
    let database = q.source.database.clone().ok_or_else(|| {
        Error::Usage(format!(
            "sources.{}: a firebird source needs `database` (the file path on the server, or its alias)",
            q.source_name
        ))
    })?;
    let mut builder = rsfbclient::builder_pure_rust();
    builder
        .host(q.source.host.as_deref().unwrap_or("localhost"))
        .port(q.source.port.unwrap_or(3050))
        .db_name(database)
        .user(user_name(q.source.user.as_deref().unwrap_or("SYSDBA")))
        .charset(charset(q)?);
    if let Some(p) = q.password()? {
        builder.pass(p);
    }
    builder.connect().map_err(|e| {
        Error::Runtime(format!(
            "sources.{}: cannot connect to firebird at {}: {}",
            q.source_name,
            q.place(),
            reason(&e)
        ))
    })
}

/// The user as the server knows it: Firebird folds a user name to upper case unless it was
/// created quoted, and the SRP login hashes the name as it is sent.
fn user_name(user: &str) -> String {
    match user.strip_prefix('"').and_then(|u| u.strip_suffix('"')) {
        Some(quoted) => quoted.to_string(),
        None => user.to_uppercase(),
    }
}

/// The connection's character set: the server turns every column's own into it. UTF8
/// unless `charset` names another (for a database whose text is declared `NONE`).
fn charset(q: &ServerQuery) -> Result<Charset> {
    use rsfbclient::charset::*;
    let name = q.source.charset.as_deref().unwrap_or("UTF8");
    // In the order of `Source::FIREBIRD_CHARSETS`, which validation checks names against.
    let sets = [
        UTF_8, WIN_1252, WIN_1250, WIN_1251, ISO_8859_1, ISO_8859_2, ASCII,
    ];
    crate::config::Source::FIREBIRD_CHARSETS
        .iter()
        .zip(sets)
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, c)| c)
        .ok_or_else(|| {
            Error::Usage(format!(
                "sources.{}.charset: `{name}` is not one assay reads (one of {})",
                q.source_name,
                crate::config::Source::FIREBIRD_CHARSETS.join(", ")
            ))
        })
}

/// The server's message, without the client's wrapping.
fn reason(e: &FbError) -> String {
    e.to_string().trim().replace('\n', " ")
}

fn query_error(q: &ServerQuery, e: &FbError) -> Error {
    Error::Runtime(format!(
        "sources.{}: query failed on firebird: {}",
        q.source_name,
        reason(e)
    ))
}

/// One output column as the catalogue declares it.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: String,
    /// `RDB$FIELD_TYPE`.
    kind: i16,
    /// Negative for NUMERIC/DECIMAL: digits after the point.
    scale: i16,
    precision: i16,
}

impl Field {
    /// The DuckDB type the column is loaded as.
    fn duckdb_type(&self) -> String {
        let decimal = |default: i16| {
            let p = if self.precision > 0 {
                self.precision
            } else {
                default
            };
            format!("DECIMAL({}, {})", p.min(38), -self.scale)
        };
        match (self.kind, self.scale < 0) {
            (7, true) => decimal(4),
            (8, true) => decimal(9),
            (16, true) => decimal(18),
            (26, true) => decimal(38),
            (7, false) => "SMALLINT".into(),
            (8, false) => "INTEGER".into(),
            (16, false) => "BIGINT".into(),
            (26, false) => "HUGEINT".into(),
            (10, _) => "FLOAT".into(),
            (27, _) => "DOUBLE".into(),
            (12, _) => "DATE".into(),
            (13, _) => "TIME".into(),
            (35, _) => "TIMESTAMP".into(),
            (23, _) => "BOOLEAN".into(),
            // Text, text blobs, DECFLOAT and times with a zone: kept as the server writes them.
            _ => "VARCHAR".into(),
        }
    }

    /// How the wrapped query selects it: as the server's own text when the client would
    /// turn it into a float (or a date-time of its own making).
    fn select(&self) -> String {
        let column = format!("q.{}", ident(&self.name));
        let as_text = !matches!(self.kind, 14 | 37 | 40 | 261 | 23);
        let value = if as_text {
            format!("CAST({column} AS VARCHAR(64))")
        } else {
            column
        };
        format!("{value} AS {}", ident(&self.name))
    }
}

/// A name for the describing view that no one else's can be (31 characters at most).
fn view_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("ASSAY_D{:08X}{nanos:08X}", std::process::id())
}

/// The query's columns, from a view made of it and rolled back.
fn fields(q: &ServerQuery, conn: &mut Conn) -> Result<Vec<Field>> {
    let view = view_name();
    conn.begin_transaction().map_err(|e| query_error(q, &e))?;
    let made = conn.execute(
        &format!("CREATE VIEW {} AS {}", ident(&view), q.query_text()),
        (),
    );
    let read = made.and_then(|_| {
        conn.query::<_, (String, i16, Option<i16>, Option<i16>)>(
            "SELECT TRIM(f.RDB$FIELD_NAME), t.RDB$FIELD_TYPE, \
             t.RDB$FIELD_SCALE, t.RDB$FIELD_PRECISION \
             FROM RDB$RELATION_FIELDS f JOIN RDB$FIELDS t ON t.RDB$FIELD_NAME = f.RDB$FIELD_SOURCE \
             WHERE f.RDB$RELATION_NAME = ? ORDER BY f.RDB$FIELD_POSITION",
            (view.as_str(),),
        )
    });
    let _ = conn.rollback();
    let rows = read.map_err(|e| {
        Error::Runtime(format!(
            "sources.{}: firebird could not describe the query's columns (assay reads them \
             through a view it rolls back, so every column needs a name of its own, `AS …`): {}",
            q.source_name,
            reason(&e)
        ))
    })?;
    Ok(rows
        .into_iter()
        .map(|(name, kind, scale, precision)| Field {
            name,
            kind,
            scale: scale.unwrap_or(0),
            precision: precision.unwrap_or(0),
        })
        .collect())
}

pub fn describe(q: &ServerQuery, link: &Link<Vec<ColumnDef>>) -> Result<Vec<ColumnDef>> {
    let mut conn = connect(q, link)?;
    Ok(fields(q, &mut conn)?
        .iter()
        .map(|f| ColumnDef::new(&f.name, &f.duckdb_type()))
        .collect())
}

/// One value as a CSV field: text as it is, a binary blob as hex.
fn write_value(sink: &mut CsvSink, value: &SqlType) {
    match value {
        SqlType::Null => sink.field(None),
        SqlType::Text(t) => sink.field(Some(t.as_bytes())),
        SqlType::Integer(i) => sink.field(Some(i.to_string().as_bytes())),
        SqlType::Boolean(b) => sink.field(Some(b.to_string().as_bytes())),
        SqlType::Binary(bytes) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            sink.field(Some(hex.as_bytes()))
        }
        // Never met: these are selected as text. Written plainly all the same.
        SqlType::Floating(f) => sink.field(Some(f.to_string().as_bytes())),
        SqlType::Timestamp(t) => sink.field(Some(t.to_string().as_bytes())),
    }
}

pub fn fetch_csv(q: &ServerQuery, path: &Path, link: &Link<u64>) -> Result<u64> {
    let mut conn = connect(q, link)?;
    let fields = fields(q, &mut conn)?;
    let select: Vec<String> = fields.iter().map(Field::select).collect();
    let sql = format!("SELECT {} FROM ({}) q", select.join(", "), q.query_text());
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let mut sink = CsvSink::create(path, &names)?;
    let rows = conn
        .query_iter::<_, Row>(&sql, ())
        .map_err(|e| query_error(q, &e))?;
    for row in rows {
        let row = row.map_err(|e| query_error(q, &e))?;
        for col in &row.cols {
            write_value(&mut sink, &col.value);
        }
        sink.end_row(link)?;
    }
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: i16, scale: i16, precision: i16) -> Field {
        Field {
            name: "AMOUNT".into(),
            kind,
            scale,
            precision,
        }
    }

    #[test]
    fn exact_numbers_keep_their_scale_and_travel_as_text() {
        assert_eq!(field(16, -2, 18).duckdb_type(), "DECIMAL(18, 2)");
        assert_eq!(field(8, -3, 0).duckdb_type(), "DECIMAL(9, 3)");
        assert_eq!(field(7, -1, 4).duckdb_type(), "DECIMAL(4, 1)");
        assert_eq!(field(16, 0, 0).duckdb_type(), "BIGINT");
        assert_eq!(field(12, 0, 0).duckdb_type(), "DATE");
        assert_eq!(field(37, 0, 0).duckdb_type(), "VARCHAR");
        assert_eq!(
            field(16, -2, 18).select(),
            "CAST(q.\"AMOUNT\" AS VARCHAR(64)) AS \"AMOUNT\""
        );
        assert_eq!(field(37, 0, 0).select(), "q.\"AMOUNT\" AS \"AMOUNT\"");
        assert!(view_name().len() <= 31, "{}", view_name());
    }
}
