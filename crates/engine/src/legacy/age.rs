//! How old a legacy export is: the newest of its files (when the old system last wrote
//! one), its rows as last imported, and whether it is past its `warn_after`/`error_after`.
//! A stale export gives a false gap silently; this is what says so.

use chrono::{DateTime, NaiveDateTime, Utc};
use duckdb::params;

use crate::config::{Duration, Workspace};
use crate::error::Result;

/// One company's export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportAge {
    /// When the newest file was written (for an export read from a source: when it was
    /// last read), UTC.
    pub newest: Option<NaiveDateTime>,
    pub newest_file: Option<String>,
    pub files: usize,
    /// Rows as last imported.
    pub rows: Option<i64>,
}

/// How far past its thresholds an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Over {
    Fresh,
    Warn(Duration),
    Error(Duration),
}

pub fn of(
    ws: &Workspace,
    conn: &duckdb::Connection,
    export: &str,
    company: &str,
) -> Result<ExportAge> {
    let imported: Option<(i64, NaiveDateTime)> = conn
        .query_row(
            "SELECT rows, imported FROM assay.legacy_imports WHERE export = ? AND company = ?",
            params![export, company],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let files = super::files_of(ws, export, company)?;
    let newest = files
        .iter()
        .filter_map(|f| Some((f.metadata().ok()?.modified().ok()?, f)))
        .max_by_key(|(t, _)| *t);
    let (newest, newest_file) = match newest {
        Some((t, f)) => (
            Some(DateTime::<Utc>::from(t).naive_utc()),
            Some(f.strip_prefix(&ws.root).unwrap_or(f).display().to_string()),
        ),
        None if super::is_from_source(ws, export) => (imported.map(|(_, at)| at), None),
        None => (None, None),
    };
    Ok(ExportAge {
        newest,
        newest_file,
        files: files.len(),
        rows: imported.map(|(rows, _)| rows),
    })
}

/// Whether `age_seconds` is past the export's thresholds.
pub fn over(ws: &Workspace, export: &str, age_seconds: i64) -> Over {
    let Some(def) = ws.config.legacy.get(export) else {
        return Over::Fresh;
    };
    let past = |d: Option<Duration>| d.filter(|d| age_seconds > d.seconds as i64);
    match (past(def.error_after), past(def.warn_after)) {
        (Some(e), _) => Over::Error(e),
        (None, Some(w)) => Over::Warn(w),
        (None, None) => Over::Fresh,
    }
}

/// A line for each of `companies` whose export is past a threshold, for a compare to say
/// on stderr and in its report.
pub fn warnings(
    ws: &Workspace,
    conn: &duckdb::Connection,
    export: &str,
    companies: &[String],
    now: NaiveDateTime,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for company in companies {
        let age = of(ws, conn, export, company)?;
        let Some(newest) = age.newest else { continue };
        let seconds = (now - newest).num_seconds().max(0);
        let (word, limit) = match over(ws, export, seconds) {
            Over::Fresh => continue,
            Over::Warn(d) => ("warn_after", d),
            Over::Error(d) => ("error_after", d),
        };
        out.push(format!(
            "legacy.{export} for {company} is {} old{}, past its {word} of {}: the gap may be \
             the export's age, not the new side",
            crate::config::duration::human(seconds),
            age.newest_file
                .map_or(String::new(), |f| format!(" (newest file {f})")),
            crate::config::duration::human(limit.seconds as i64)
        ));
    }
    Ok(out)
}
