//! A legacy side that is a database table (`[legacy.NAME] source = "…"` with `table` or
//! `query`): read the way extraction reads a source — a DuckDB file attached read-only, or a
//! server's rows streamed to a CSV file under the source's timeouts and Ctrl-C — into the
//! same `legacy."<export>__<company>"` table a file export fills, with the types the source
//! declared (a DECIMAL stays a DECIMAL).
//!
//! There is no file to fingerprint, so the source is read again at every compare; the
//! recorded fingerprint is of the rows read, so the history tells a changed table from an
//! unchanged one.

use duckdb::params;

use super::{refresh_view, table_name, Imported};
use crate::config::{LegacyExport, SourceKind, Workspace};
use crate::error::{Error, Result};
use crate::source::{self, ServerQuery};
use crate::sql::{ident, literal, render_company_template};
use crate::store::{utc_now, Store};

/// The SQL run on the source for one company.
pub fn query_for(export: &str, def: &LegacyExport, company: &str) -> Result<String> {
    match (&def.table, &def.query) {
        (Some(t), _) => {
            // Validated as plain identifiers (`config::validate_legacy`): written unquoted.
            let table = t.replace("{company}", company);
            Ok(match &def.company_column {
                Some(col) => format!("SELECT * FROM {table} WHERE {col} = {}", literal(company)),
                None => format!("SELECT * FROM {table}"),
            })
        }
        (None, Some(q)) => Ok(render_company_template(q, company)),
        (None, None) => Err(Error::Usage(format!(
            "legacy.{export}.source needs a `table` or a `query`"
        ))),
    }
}

/// As `import`, except on a cache opened for reading that holds the rows already: they were
/// read from the source when the command opened the cache (a compare imports with a
/// writer, then reads), and reading the source twice per compare would be for nothing.
pub fn import_unless_read(
    ws: &Workspace,
    store: &Store,
    (export, company): (&str, &str),
    force: bool,
) -> Result<Imported> {
    let conn = store.conn();
    let read_only: bool = conn.query_row(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()",
        [],
        |r| r.get(0),
    )?;
    let held: Option<i64> = conn
        .query_row(
            "SELECT rows FROM assay.legacy_imports WHERE export = ? AND company = ?",
            params![export, company],
            |r| r.get(0),
        )
        .ok();
    match (force, read_only, held) {
        (false, true, Some(rows)) => Ok(Imported {
            export: export.into(),
            company: company.into(),
            files: 0,
            rows,
            unchanged: true,
        }),
        _ => import(ws, store, export, company),
    }
}

/// Read one company's legacy rows from the export's source into the cache.
pub fn import(ws: &Workspace, store: &Store, export: &str, company: &str) -> Result<Imported> {
    let def = &ws.config.legacy[export];
    let source_name = def.source.as_deref().unwrap_or_default();
    let source = ws.config.sources.get(source_name).ok_or_else(|| {
        Error::Usage(format!(
            "legacy.{export}.source: unknown source `{source_name}`"
        ))
    })?;
    // A Delta table is opened first: its version is what the import says it read.
    let delta = match source.kind {
        SourceKind::Delta => Some(open_delta(ws, (export, def), source, company)?),
        _ => None,
    };
    let query = match &delta {
        Some((table, filter)) => crate::delta::describe_read(table, filter.as_ref()),
        None => query_for(export, def, company)?,
    };
    let context = |e: Error| match e {
        Error::Cancelled => Error::Cancelled,
        e => e.context(format!(
            "legacy.{export} for {company} (sources.{source_name})"
        )),
    };
    let table = format!(
        "{}.{}",
        ident("legacy"),
        ident(&table_name(export, company))
    );
    // The company column names whose rows they are; `_company` says it for every export.
    let exclude = def
        .company_column
        .as_ref()
        .map_or(String::new(), |c| format!(" EXCLUDE ({})", ident(c)));
    let select = |relation: &str| {
        format!(
            "CREATE OR REPLACE TABLE {table} AS SELECT *{exclude}, {} AS _company, {} AS _source \
             FROM {relation} AS q",
            literal(company),
            literal(&format!("{source_name}: {query}"))
        )
    };
    match source.kind {
        SourceKind::Duckdb => {
            let path = ws.path(source.path.as_deref().unwrap_or_default());
            from_duckdb(store, (&path, source_name), &select(&format!("({query})")))
                .map_err(context)?
        }
        SourceKind::Postgres
        | SourceKind::Mysql
        | SourceKind::Clickhouse
        | SourceKind::Firebird => {
            let q = ServerQuery {
                source_name: source_name.to_string(),
                source: source.clone(),
                query: query.clone(),
            };
            from_server(store, &q, &select).map_err(context)?
        }
        SourceKind::Delta => {
            let (table, filter) = delta.as_ref().expect("opened above");
            from_delta(store, (table, filter.as_ref()), &select).map_err(context)?
        }
        SourceKind::Files => {
            return Err(Error::Usage(format!(
            "legacy.{export}.source: `{source_name}` is a files source; use legacy.{export}.files"
        )))
        }
    }
    record(store, (export, company), &table, &query)
}

/// Runs `create` with the DuckDB source attached read-only as the default catalog, so the
/// query's unqualified names are the source's.
fn from_duckdb(store: &Store, (path, name): (&std::path::Path, &str), create: &str) -> Result<()> {
    if !path.is_file() {
        return Err(Error::Runtime(format!(
            "sources.{name}.path: {} does not exist",
            path.display()
        )));
    }
    let conn = store.conn();
    let catalog: String = conn.query_row("SELECT current_database()", [], |r| r.get(0))?;
    let alias = format!("legacy_src_{name}");
    conn.execute_batch(&format!(
        "ATTACH IF NOT EXISTS {} AS {} (READ_ONLY)",
        literal(&path.to_string_lossy()),
        ident(&alias)
    ))
    .map_err(|e| Error::Runtime(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch(&format!("USE {}", ident(&alias)))?;
    // The table goes into the cache's own catalog, named in full.
    let create = create.replacen(
        "CREATE OR REPLACE TABLE ",
        &format!("CREATE OR REPLACE TABLE {}.", ident(&catalog)),
        1,
    );
    let made = store.transaction(|c| Ok(c.execute_batch(&create)?));
    conn.execute_batch(&format!(
        "USE {}; DETACH {}",
        ident(&catalog),
        ident(&alias)
    ))?;
    made
}

/// Streams the server's rows to a CSV file beside the cache (bounded by the source's
/// timeouts, ended by Ctrl-C), then loads it with the declared column types.
fn from_server(store: &Store, q: &ServerQuery, create: &dyn Fn(&str) -> String) -> Result<()> {
    let cancel = crate::cancel::process();
    let cancelled = || cancel.is_cancelled();
    let columns = source::describe(q, &cancelled)?;
    // A scratch file of this process: removed when done, or by the next open after a kill.
    let scratch = crate::store::scratch::Scratch::with_extension(
        &crate::store::scratch::dir(store.conn()),
        "legacy",
        "csv",
    )
    .map_err(|e| Error::Runtime(format!("cannot write beside the cache: {e}")))?;
    let path = scratch.path().to_path_buf();
    source::fetch_csv(q, &path, &cancelled, &mut |_| {})?;
    let relation = source::csv_relation(&path, &columns, q.source.kind);
    store.transaction(|c| Ok(c.execute_batch(&create(&relation))?))
}

/// The export's Delta table for one company (latest version), and the filter picking the
/// company's rows when one table holds every company's.
fn open_delta(
    ws: &Workspace,
    (export, def): (&str, &LegacyExport),
    source: &crate::config::Source,
    company: &str,
) -> Result<(crate::delta::Table, Option<crate::delta::Filter>)> {
    let prefix = format!("legacy.{export}");
    let named = crate::delta::Configured {
        folder: def.table.as_deref().unwrap_or_default(),
        company_column: def.company_column.as_deref(),
        prefix: &prefix,
    };
    let root = ws.path(source.root.as_deref().unwrap_or("."));
    crate::delta::open_for(&root, &named, company, &crate::delta::At::default())
}

/// Stages the table's rows (the company's) as a Parquet scratch file and loads them.
fn from_delta(
    store: &Store,
    (table, filter): (&crate::delta::Table, Option<&crate::delta::Filter>),
    create: &dyn Fn(&str) -> String,
) -> Result<()> {
    let dir = crate::store::scratch::dir(store.conn());
    let staged = table.stage_scratch(&dir, "legacy", filter)?;
    let relation = crate::delta::parquet_relation(staged.path());
    store.transaction(|c| Ok(c.execute_batch(&create(&relation))?))
}

/// The import recorded: its rows, and a fingerprint of the query and the rows read.
fn record(
    store: &Store,
    (export, company): (&str, &str),
    table: &str,
    query: &str,
) -> Result<Imported> {
    let conn = store.conn();
    let (rows, content): (i64, String) = conn.query_row(
        &format!("SELECT count(*), coalesce(sum(hash(q))::VARCHAR, '0') FROM {table} AS q"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let print = format!("source|{query}|{rows}|{content}");
    let previous: Option<String> = conn
        .query_row(
            "SELECT fingerprint FROM assay.legacy_imports WHERE export = ? AND company = ?",
            params![export, company],
            |r| r.get(0),
        )
        .ok();
    store.transaction(|c| {
        c.execute(
            "INSERT OR REPLACE INTO assay.legacy_imports VALUES (?, ?, ?, ?, ?)",
            params![export, company, print, rows, utc_now()],
        )?;
        refresh_view(c, export)
    })?;
    store.checkpoint()?;
    Ok(Imported {
        export: export.into(),
        company: company.into(),
        files: 0,
        rows,
        unchanged: previous.as_deref() == Some(print.as_str()),
    })
}
