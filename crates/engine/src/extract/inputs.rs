//! Incremental extraction of files, DuckDB database files and Delta tables: a company ×
//! entity whose files (paths, sizes, times and contents; a DuckDB source's database file and
//! its log, with the query) or Delta table version, and definition (renames, format, source
//! root), are what its last successful run read is not read again. The run is still recorded — the source was looked at now, so the
//! data is as fresh as the check — but no version is made: the current one stays, and its
//! rows are the run's.
//!
//! Why a run and not nothing: freshness, the volume and schema alerts and `runs` read the
//! runs; a cron extraction every five minutes that found nothing new must say "fresh", not
//! let the entity age into a warning.

use duckdb::{params, Connection};

use super::source_sql::Plan;
use crate::config::Workspace;
use crate::drift::ColumnDef;
use crate::error::Result;
use crate::store::utc_now;

/// What a files plan reads, as one text: each file's path, size, time and content hash (or
/// the Delta table's folder and version), then the entity's definition and the company's
/// override. None for a database server's plan, or a query reading the clock.
pub(super) fn fingerprint(
    ws: &Workspace,
    (entity, company): (&str, &str),
    plan: &Plan,
) -> Result<Option<String>> {
    let mut text = match plan {
        Plan::Files { files, .. } => {
            let paths: Vec<std::path::PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
            crate::legacy::files_fingerprint(&paths)?
        }
        // A Delta version never changes once committed: the same version is the same rows.
        Plan::Delta { .. } => plan.describe(),
        // The same query over the same database file (and its log) gives the same rows,
        // unless it reads the clock or draws random numbers.
        Plan::Duckdb { path, query, .. } if !reads_the_clock(query) => {
            format!("{}|{query}", database_fingerprint(path)?)
        }
        _ => return Ok(None),
    };
    let def = &ws.config.entities[entity];
    text.push_str(&serde_json::to_string(def).unwrap_or_default());
    if let Some(source) = ws.config.sources.get(&def.source) {
        text.push_str(&serde_json::to_string(source).unwrap_or_default());
    }
    text.push_str(company);
    Ok(Some(format!(
        "{:032x}",
        xxhash_rust::xxh3::xxh3_128(text.as_bytes())
    )))
}

type Prints = std::collections::HashMap<std::path::PathBuf, (String, String)>;

/// Database files fingerprinted in this extraction: every company's query reads the same
/// file, and hashing it once per company would cost more than the queries it saves.
static DATABASES: std::sync::Mutex<Option<Prints>> = std::sync::Mutex::new(None);

/// Forget the database files fingerprinted so far: an extraction starts looking afresh.
pub(super) fn forget_databases() {
    *DATABASES.lock().expect("database prints") = None;
}

/// A DuckDB source's file and its log (uncommitted writes live there), fingerprinted once
/// per extraction while their sizes and times stay as they were.
fn database_fingerprint(path: &std::path::Path) -> Result<String> {
    let mut files = vec![path.to_path_buf()];
    let wal = std::path::PathBuf::from(format!("{}.wal", path.display()));
    if wal.exists() {
        files.push(wal);
    }
    let stamp = files
        .iter()
        .map(|f| {
            let m = f.metadata().ok();
            let at = m.as_ref().and_then(|m| m.modified().ok());
            format!("{:?}:{:?}", m.map(|m| m.len()), at)
        })
        .collect::<Vec<_>>()
        .join("|");
    let mut seen = DATABASES.lock().expect("database prints");
    if let Some((was, print)) = seen.as_ref().and_then(|s| s.get(path)) {
        if *was == stamp {
            return Ok(print.clone());
        }
    }
    let print = crate::legacy::files_fingerprint(&files)?;
    seen.get_or_insert_with(Prints::new)
        .insert(path.to_path_buf(), (stamp, print.clone()));
    Ok(print)
}

/// Whether a source query's rows can change with nothing in the database changed: it reads
/// the date or time, or draws random values.
fn reads_the_clock(query: &str) -> bool {
    let q = query.to_ascii_lowercase();
    [
        "current_date",
        "current_time",
        "localtime",
        "now(",
        "today(",
        "get_current",
        "epoch_ms(",
        "random(",
        "uuid(",
        "setseed",
    ]
    .iter()
    .any(|word| q.contains(word))
}

/// The company × entity's last successful run, when it read exactly `print` and its version
/// (or the one it kept) is current: (that run, the current version's rows).
pub(super) fn unchanged(
    conn: &Connection,
    (entity, company): (&str, &str),
    print: &str,
) -> Result<Option<(i64, i64)>> {
    let last: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT r.id, i.fingerprint FROM assay.runs r \
             LEFT JOIN assay.run_inputs i ON i.run_id = r.id \
             WHERE r.kind = 'extract' AND r.entity = ? AND r.company = ? AND r.status = 'ok' \
             ORDER BY r.id DESC LIMIT 1",
            params![entity, company],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let Some((run, Some(was))) = last else {
        return Ok(None);
    };
    if was != print {
        return Ok(None);
    }
    let current = super::versions::current(conn, entity, company)?;
    Ok(current.map(|(_, rows)| (run, rows)))
}

/// The columns run `run` recorded (what an unchanged run delivers again).
pub(super) fn columns_of(conn: &Connection, run: i64) -> Result<Vec<ColumnDef>> {
    let mut stmt =
        conn.prepare("SELECT name, type FROM assay.run_columns WHERE run_id = ? ORDER BY ordinal")?;
    let rows = stmt.query_map(params![run], |r| {
        Ok(ColumnDef::new(
            &r.get::<_, String>(0)?,
            &r.get::<_, String>(1)?,
        ))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// What run `run_id` read, kept for the next run to compare with.
pub(super) fn record(conn: &Connection, run_id: i64, print: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO assay.run_inputs VALUES (?, ?)",
        params![run_id, print],
    )?;
    Ok(())
}

/// Run `run_id` closed as successful without a version of its own: the files were those of
/// run `same_as`, whose version (`rows`) stays current.
pub(super) fn finish_unchanged(
    conn: &Connection,
    run_id: i64,
    (same_as, rows): (i64, i64),
    print: &str,
) -> Result<()> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    let work = || -> Result<()> {
        conn.execute(
            "UPDATE assay.runs SET status = 'ok', rows = ?, finished = ?, \
             source = coalesce(source, '') || ? WHERE id = ?",
            params![
                rows,
                utc_now(),
                format!(" (unchanged since run {same_as}: not read again)"),
                run_id
            ],
        )?;
        record(conn, run_id, print)
    };
    match work() {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_reading_the_clock_is_always_read_again() {
        assert!(reads_the_clock(
            "SELECT * FROM t WHERE d > CURRENT_DATE - 30"
        ));
        assert!(reads_the_clock("SELECT now() AS at, * FROM t"));
        assert!(reads_the_clock(
            "SELECT * FROM t USING SAMPLE 10 WHERE random() < 0.5"
        ));
        assert!(!reads_the_clock(
            "SELECT * EXCLUDE (company_id) FROM invoice_lines WHERE company_id = 'acme'"
        ));
    }
}
