//! Legacy exports into the cache: each company's files read with their format hints into
//! `legacy."<export>__<company>"`, the view `legacy."<export>"` over all of them, and a
//! fingerprint of the files so an unchanged export is not read again.

pub mod age;
pub mod convert;
mod dates;
pub mod figures;
mod fixed;
pub mod from_source;
mod header;
pub mod json;
mod qvd;
pub mod sniff;
mod structure;
pub mod transcode;
pub mod workbook;

pub use structure::check as check_structure;
pub use structure::check_watching;

use std::path::{Path, PathBuf};

use duckdb::{params, Connection};
use serde::Serialize;

use crate::config::{CsvHints, Workspace};
use crate::error::{Error, Result};
use crate::sql::{ident, literal};
use crate::store::{table_exists, utc_now, Store};

#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub export: String,
    pub company: String,
    pub files: usize,
    pub rows: i64,
    /// True when the files had not changed since the last import.
    pub unchanged: bool,
}

pub use crate::config::legacy_table_name as table_name;

/// Whether the export is read from a `[sources.*]` database rather than from files.
pub fn is_from_source(ws: &Workspace, export: &str) -> bool {
    ws.config
        .legacy
        .get(export)
        .is_some_and(|d| d.source.is_some())
}

/// The files of one company's export, sorted (none for an export read from a source).
pub fn files_of(ws: &Workspace, export: &str, company: &str) -> Result<Vec<PathBuf>> {
    match ws.config.legacy.get(export) {
        Some(d) if d.source.is_none() => files_for(ws, &d.files, company),
        _ => Ok(Vec::new()),
    }
}

fn files_for(ws: &Workspace, pattern: &str, company: &str) -> Result<Vec<PathBuf>> {
    let full = ws.path(&pattern.replace("{company}", company));
    let text = full.to_string_lossy().to_string();
    let mut files: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| Error::Usage(format!("bad legacy glob `{text}`: {e}")))?
        .filter_map(|p| p.ok())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// What the import depends on: every file's path, size, modification time and content,
/// and the hints. The content counts because an export replaced in place can keep its size
/// and time (`cp -p`, `rsync -a`, an unzip restore the old time), and its new rows would
/// otherwise never be read.
fn fingerprint(files: &[PathBuf], hints: &CsvHints) -> Result<String> {
    let mut text = files_fingerprint(files)?;
    text.push('|');
    text.push_str(&serde_json::to_string(hints).unwrap_or_default());
    Ok(text)
}

/// Every file's path, size, modification time and content hash, as one text (extraction
/// skips files that have not changed by it too).
pub fn files_fingerprint(files: &[PathBuf]) -> Result<String> {
    let mut parts: Vec<String> = Vec::with_capacity(files.len());
    for f in files {
        let meta = f.metadata().ok();
        let size = meta.as_ref().map_or(0, |m| m.len());
        let modified = meta
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        parts.push(format!(
            "{}:{size}:{modified}:{:032x}",
            f.display(),
            content_hash(f)?
        ));
    }
    Ok(parts.join("|"))
}

/// XXH3-128 of the file's bytes, read in large blocks (GB/s: a fraction of an import).
fn content_hash(path: &Path) -> Result<u128> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)
        .map_err(|e| Error::Runtime(format!("cannot read {}: {e}", path.display())))?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::Runtime(format!("cannot read {}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.digest128())
}

/// The `read_csv(…)` call for these files and hints, with `extra` options.
pub fn csv_relation(files: &[PathBuf], hints: &CsvHints, extra: Option<String>) -> String {
    let list = files
        .iter()
        .map(|f| literal(&f.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut options = vec![
        "header = true".to_string(),
        "union_by_name = true".into(),
        "filename = true".into(),
    ];
    options.extend(csv_options(hints));
    options.extend(extra);
    format!("read_csv([{list}], {})", options.join(", "))
}

/// The single byte the structure check splits records on: the hints' delimiter (`\\t`
/// for a tab), a comma when none is given. A delimiter of several bytes is refused, since
/// the check would split on its first byte only.
pub fn delimiter_byte(hints: &CsvHints) -> Result<u8> {
    match hints.delimiter.as_deref() {
        None => Ok(b','),
        Some("\\t") => Ok(b'\t'),
        Some(d) if d.len() == 1 => Ok(d.as_bytes()[0]),
        Some(d) => Err(Error::Usage(format!(
            "delimiter `{d}`: one ASCII character, or \\t for a tab"
        ))),
    }
}

/// `read_csv` options for the format hints (delimiter, decimal mark, date format, encoding).
pub fn csv_options(hints: &CsvHints) -> Vec<String> {
    let mut options = Vec::new();
    if let Some(d) = &hints.delimiter {
        let d = if d == "\\t" { "\t" } else { d.as_str() };
        options.push(format!("delim = {}", literal(d)));
    }
    if let Some(d) = &hints.decimal {
        options.push(format!("decimal_separator = {}", literal(d)));
    }
    if let Some(f) = &hints.date_format {
        options.push(format!("dateformat = {}", literal(f)));
    }
    if let Some(e) = &hints.encoding {
        options.push(format!("encoding = {}", literal(&e.to_ascii_lowercase())));
    }
    options
}

/// One company's export: its files now, and what the cache holds of them.
struct Found {
    hints: CsvHints,
    files: Vec<PathBuf>,
    print: String,
    /// The rows imported, when the cache holds exactly these files.
    current_rows: Option<i64>,
}

fn find(ws: &Workspace, store: &Store, export: &str, company: &str) -> Result<Found> {
    let def = ws
        .config
        .legacy
        .get(export)
        .ok_or_else(|| Error::Usage(format!("unknown legacy export `{export}`")))?;
    let hints = def.hints_for(company);
    let files = files_for(ws, &def.files, company)?;
    if files.is_empty() {
        return Err(Error::Runtime(format!(
            "legacy.{export}: no file matches {} for company {company}",
            ws.path(&def.files.replace("{company}", company)).display()
        )));
    }
    let print = fingerprint(&files, &hints)?;
    let conn = store.conn();
    let previous: Option<(String, i64)> = conn
        .query_row(
            "SELECT fingerprint, rows FROM assay.legacy_imports WHERE export = ? AND company = ?",
            params![export, company],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let current_rows = match previous {
        Some((fp, rows)) if fp == print => {
            table_exists(conn, "legacy", &table_name(export, company))?.then_some(rows)
        }
        _ => None,
    };
    Ok(Found {
        hints,
        files,
        print,
        current_rows,
    })
}

/// Whether the cache holds one company's export as its files are now (reads only, so a
/// reader can tell whether an import, which writes, is needed).
pub fn is_current(ws: &Workspace, store: &Store, export: &str, company: &str) -> Result<bool> {
    if is_from_source(ws, export) {
        // A table has no file to fingerprint: it is read again at every compare.
        return Ok(false);
    }
    Ok(find(ws, store, export, company)?.current_rows.is_some())
}

/// Import one company's export if its files changed (or `force`).
pub fn import(
    ws: &Workspace,
    store: &Store,
    export: &str,
    company: &str,
    force: bool,
) -> Result<Imported> {
    if is_from_source(ws, export) {
        return from_source::import_unless_read(ws, store, (export, company), force);
    }
    let Found {
        hints,
        files,
        print,
        current_rows,
    } = find(ws, store, export, company)?;
    if let (false, Some(rows)) = (force, current_rows) {
        return Ok(Imported {
            export: export.into(),
            company: company.into(),
            files: files.len(),
            rows,
            unchanged: true,
        });
    }
    let conn = store.conn();
    let table = format!(
        "{}.{}",
        ident("legacy"),
        ident(&table_name(export, company))
    );
    let context = |e: Error| Error::Runtime(format!("legacy.{export} for {company}: {e}"));
    // Workbooks, QVD and fixed-width files: written as CSV first, then read as any export.
    let copies = convert::as_csv(&files, &hints, company).map_err(context)?;
    let (read, hints) = match &copies {
        Some((c, read_as)) => (c.files.clone(), read_as.clone()),
        None => (files.clone(), hints),
    };
    // What the structure check names: a transcoded copy has its original's lines.
    let shown = read.clone();
    // Windows-1252 text, which DuckDB does not read: UTF-8 copies are read instead.
    let utf8 = transcode::to_utf8(&read, &hints).map_err(context)?;
    let (read, hints) = match utf8 {
        Some((copies, read_as)) => (copies.files.clone(), (read_as, Some(copies))),
        None => (read, (hints, None)),
    };
    let (hints, _utf8_copies) = hints;
    let delimiter = delimiter_byte(&hints)?;
    let encoding = hints
        .encoding
        .as_deref()
        .unwrap_or("utf-8")
        .to_ascii_lowercase();
    // UTF-16 was transcoded above, so every file here is checked record by record.
    for (f, name) in read.iter().zip(&shown) {
        structure::check(f, name, delimiter, encoding == "utf-8").map_err(context)?;
    }
    let described = figures::describe(conn, &csv_relation(&read, &hints, None))
        .map_err(|e| Error::Runtime(format!("legacy.{export} for {company}: {e}")))?;
    let floats = figures::floats(&described);
    let relation = csv_relation(&read, &hints, figures::as_text_option(&floats));
    let columns: Vec<&String> = described.iter().map(|(name, _)| name).collect();
    let renamed = |c: &str| -> String {
        let header = c.trim_start_matches('\u{feff}');
        hints
            .rename
            .get(header)
            .map_or(header, String::as_str)
            .to_string()
    };
    let floats: Vec<String> = floats.iter().map(|c| renamed(c)).collect();
    let select: Vec<String> = columns
        .iter()
        .filter(|c| c.as_str() != "filename")
        .map(|c| format!("{} AS {}", ident(c), ident(&renamed(c))))
        .collect();
    let rows = store.transaction(|conn| {
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TABLE {table} AS SELECT {}, {} AS _company, {} AS _source FROM {relation}",
            select.join(", "),
            literal(company),
            source_of(&read, &files)
        ))
        .map_err(|e| Error::Runtime(format!("legacy.{export} for {company}: {e}")))?;
        let mark = hints.decimal.as_deref().unwrap_or(".");
        let label = format!("legacy.{export} for {company}");
        figures::type_figures(conn, &table, &floats, mark, &label)?;
        dates::refuse_mixed(conn, (export, company), hints.date_format.as_deref())
            .map_err(|m| Error::Runtime(format!("legacy.{export} for {company}: {m}")))?;
        let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        conn.execute(
            "INSERT OR REPLACE INTO assay.legacy_imports VALUES (?, ?, ?, ?, ?)",
            params![export, company, print, rows, utc_now()],
        )?;
        refresh_view(conn, export)?;
        Ok(rows)
    })?;
    // Into the main file at once: a process killed later in the compare otherwise leaves
    // the import only in the write-ahead log, which DuckDB could not always replay (the log
    // was then moved aside and the import lost with it).
    store.checkpoint()?;
    Ok(Imported {
        export: export.into(),
        company: company.into(),
        files: files.len(),
        rows,
        unchanged: false,
    })
}

/// The `_source` of an imported row: the file read, or the one its copy was made from (a
/// workbook's sheet, a QVD, a fixed-width or transcoded text); `read[i]` was made from
/// `files[i]`.
fn source_of(read: &[PathBuf], files: &[PathBuf]) -> String {
    if read == files {
        return "filename".into();
    }
    let cases: Vec<String> = read
        .iter()
        .zip(files)
        .map(|(copy, file)| {
            format!(
                "WHEN {} THEN {}",
                literal(&copy.to_string_lossy()),
                literal(&file.to_string_lossy())
            )
        })
        .collect();
    format!("CASE filename {} END", cases.join(" "))
}

/// `legacy."<export>"`: every imported company's table, columns matched by name. The
/// tables are the ones this export's imports recorded, never found by name pattern: with
/// exports `sales` and `sales__old`, `sales__%` would take the other's tables too.
fn refresh_view(conn: &Connection, export: &str) -> Result<()> {
    let tables: Vec<String> = {
        let mut stmt = conn.prepare(
            "SELECT i.company FROM assay.legacy_imports AS i WHERE i.export = ? ORDER BY i.company",
        )?;
        let rows = stmt.query_map(params![export], |r| r.get::<_, String>(0))?;
        let companies = rows.collect::<Result<Vec<_>, _>>()?;
        let mut tables = Vec::new();
        for company in companies {
            let table = table_name(export, company.as_str());
            if table_exists(conn, "legacy", &table)? {
                tables.push(table);
            }
        }
        tables
    };
    let parts: Vec<String> = tables
        .iter()
        .map(|t| format!("SELECT * FROM {}.{}", ident("legacy"), ident(t)))
        .collect();
    conn.execute_batch(&format!(
        "CREATE OR REPLACE VIEW {}.{} AS {}",
        ident("legacy"),
        ident(export),
        parts.join(" UNION ALL BY NAME ")
    ))?;
    Ok(())
}

/// Import every company's export (all exports when `export` is None).
pub fn import_all(
    ws: &Workspace,
    store: &Store,
    export: Option<&str>,
    force: bool,
) -> Result<Vec<Imported>> {
    let mut out = Vec::new();
    for (name, _) in ws
        .config
        .legacy
        .iter()
        .filter(|(n, _)| export.is_none_or(|e| e == n.as_str()))
    {
        for company in ws.config.companies.keys() {
            out.push(import(ws, store, name, company, force)?);
        }
    }
    Ok(out)
}
