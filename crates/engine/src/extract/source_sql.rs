//! How each kind of source is read inside DuckDB: a relation (SQL text) per company.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{infer_format, Entity, FileFormat, Source, SourceKind, Workspace};
use crate::delta;
use crate::error::{Error, Result};
use crate::sql::{ident, literal, render_company_template};

/// What to read for one company and entity.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Files, each read as its own relation (so progress can advance file by file).
    Files {
        format: FileFormat,
        files: Vec<(PathBuf, u64)>,
    },
    /// A query on an attached DuckDB database.
    Duckdb {
        path: PathBuf,
        alias: String,
        query: String,
    },
    /// A query on a database server (PostgreSQL, MySQL, ClickHouse, Firebird), fetched to a
    /// file first.
    Server { source_name: String, query: String },
    /// One version of a Delta table (opened: the version is fixed when the run is planned),
    /// staged as Parquet first; one company's rows of it with `filter`.
    Delta {
        table: Arc<delta::Table>,
        filter: Option<delta::Filter>,
    },
}

impl Plan {
    /// Describes the source for the `_source` column and messages.
    pub fn describe(&self) -> String {
        match self {
            Plan::Files { files, .. } => format!("{} file(s)", files.len()),
            Plan::Duckdb { path, query, .. } => format!("{}: {query}", path.display()),
            Plan::Server { source_name, query } => format!("{source_name}: {query}"),
            Plan::Delta { table, filter } => delta::describe_read(table, filter.as_ref()),
        }
    }
}

pub fn plan(ws: &Workspace, entity_name: &str, entity: &Entity, company: &str) -> Result<Plan> {
    let source: &Source = ws.config.sources.get(&entity.source).ok_or_else(|| {
        Error::Usage(format!(
            "entities.{entity_name}.source: unknown source `{}`",
            entity.source
        ))
    })?;
    match source.kind {
        SourceKind::Files => {
            let pattern = entity
                .files
                .as_deref()
                .unwrap_or_default()
                .replace("{company}", company);
            let root = ws.path(source.root.as_deref().unwrap_or("."));
            let full = root.join(&pattern);
            let files = list_files(&full)?;
            if files.is_empty() {
                return Err(Error::Runtime(format!(
                    "entities.{entity_name}: no file matches {} for company {company}",
                    full.display()
                )));
            }
            let format = entity
                .format
                .or_else(|| infer_format(&pattern))
                .unwrap_or(FileFormat::Csv);
            if format == FileFormat::Json {
                for (file, _) in &files {
                    crate::legacy::json::check(file)?;
                }
            }
            Ok(Plan::Files { format, files })
        }
        SourceKind::Duckdb => {
            let path = ws.path(source.path.as_deref().unwrap_or_default());
            if !path.is_file() {
                return Err(Error::Runtime(format!(
                    "sources.{}.path: {} does not exist",
                    entity.source,
                    path.display()
                )));
            }
            Ok(Plan::Duckdb {
                path,
                alias: format!("src_{}", entity.source),
                query: render_company_template(
                    entity.query.as_deref().unwrap_or_default(),
                    company,
                ),
            })
        }
        SourceKind::Postgres
        | SourceKind::Mysql
        | SourceKind::Clickhouse
        | SourceKind::Firebird => Ok(Plan::Server {
            source_name: entity.source.clone(),
            query: render_company_template(entity.query.as_deref().unwrap_or_default(), company),
        }),
        SourceKind::Delta => delta_plan(ws, (entity_name, entity), source, company),
    }
}

/// The entity's table for one company, opened at the version asked (the latest by default).
fn delta_plan(
    ws: &Workspace,
    (entity_name, entity): (&str, &Entity),
    source: &Source,
    company: &str,
) -> Result<Plan> {
    let at = delta::At {
        version: entity.version,
        timestamp: entity.timestamp.as_deref().and_then(delta::parse_timestamp),
    };
    let prefix = format!("entities.{entity_name}");
    let named = delta::Configured {
        folder: entity.table.as_deref().unwrap_or_default(),
        company_column: entity.company_column.as_deref(),
        prefix: &prefix,
    };
    let root = ws.path(source.root.as_deref().unwrap_or("."));
    let (table, filter) = delta::open_for(&root, &named, company, &at)?;
    Ok(Plan::Delta {
        table: Arc::new(table),
        filter,
    })
}

fn list_files(pattern: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let text = pattern.to_string_lossy();
    let paths =
        glob::glob(&text).map_err(|e| Error::Usage(format!("bad file glob `{text}`: {e}")))?;
    let mut files = Vec::new();
    for p in paths {
        let p = p.map_err(|e| Error::Runtime(format!("reading {text}: {e}")))?;
        if p.is_file() {
            let size = p.metadata().map(|m| m.len()).unwrap_or(0);
            files.push((p, size));
        }
    }
    files.sort();
    Ok(files)
}

/// The relation for one file.
pub fn file_relation(format: FileFormat, file: &Path) -> String {
    let path = literal(&file.to_string_lossy());
    match format {
        FileFormat::Csv => format!("read_csv({path}, header = true, auto_detect = true)"),
        FileFormat::Parquet => format!("read_parquet({path})"),
        FileFormat::Json => format!("read_json_auto({path})"),
    }
}

/// The relation for a DuckDB source query.
/// It runs with the attached database as the default catalog (see `in_source_catalog`).
pub fn duckdb_relation(query: &str) -> String {
    // The query is the user's own SQL on their own source; it is wrapped, not escaped.
    format!("({query})")
}

/// `ATTACH` statement for a DuckDB source, read-only.
pub fn attach(path: &Path, alias: &str) -> String {
    format!(
        "ATTACH IF NOT EXISTS {} AS {} (READ_ONLY)",
        literal(&path.to_string_lossy()),
        ident(alias)
    )
}
