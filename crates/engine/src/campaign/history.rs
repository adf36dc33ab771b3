//! The history on disk: one JSON file per compare, `<cache folder>/history/<comparison>/`.
//!
//! Why files and not the cache: a compare reads the cache (others keep reading beside it);
//! recording in the cache would make every compare a writer, waiting behind the workbench or
//! an extraction. A file written aside and renamed into place is all or nothing, so a killed
//! compare never leaves half a record, and two processes recording at once never meet.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use super::record::Run;
use crate::config::Workspace;
use crate::error::{Error, Result};

/// The history folder of a workspace.
pub fn folder(ws: &Workspace) -> PathBuf {
    let cache = ws.path(&ws.config.workspace.cache);
    cache
        .parent()
        .map_or_else(|| ws.root.join(".assay"), Path::to_path_buf)
        .join("history")
}

fn comparison_folder(ws: &Workspace, name: &str) -> PathBuf {
    folder(ws).join(name)
}

/// A run's file name: its time (sorts as it reads) and the process, so two processes
/// finishing in the same microsecond write two files.
/// The record's file: its time, then the process and a number of the process's own, so two
/// compares of one comparison finishing in the same second — two lanes of the workbench, or
/// two processes — never share a file (or its partial one) and both are kept, in order.
fn file_name(run: &Run) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let stamp: String = run
        .at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{stamp}-{}-{n:06}.json", std::process::id())
}

/// Write `run` into the history: to a temporary name first, then renamed, so a reader sees
/// the whole record or none. Records older than `workspace.history_retention` go.
pub fn save(ws: &Workspace, run: &Run) -> Result<PathBuf> {
    let dir = comparison_folder(ws, &run.comparison);
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Error::Runtime(format!("history: cannot {what} {}: {e}", path.display()))
    };
    std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
    let path = dir.join(file_name(run));
    let partial = path.with_extension("json.partial");
    let text = serde_json::to_string_pretty(run).expect("plain JSON");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&partial).map_err(|e| io("write", &partial, e))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| io("write", &partial, e))?;
    }
    std::fs::rename(&partial, &path).map_err(|e| io("write", &path, e))?;
    prune(ws, &dir)?;
    Ok(path)
}

/// Remove records past the retention, and partial files a killed process left (older than
/// an hour: a live one is being written now).
fn prune(ws: &Workspace, dir: &Path) -> Result<()> {
    let keep = ws.config.workspace.history_retention.seconds;
    let now = std::time::SystemTime::now();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let path = e.path();
        let age = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .map_or(0, |d| d.as_secs());
        let partial = path.extension().is_some_and(|x| x == "partial");
        if (partial && age > 3600) || (!partial && age > keep) {
            // Another process may have removed it first.
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(())
}

/// A day, as `--since` takes it.
pub type Day = NaiveDate;

/// `2026-12-01` as a day; anything else said.
pub fn parse_day(text: &str) -> std::result::Result<Day, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a day; write e.g. 2026-12-01"))
}

/// Which records to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only runs that compared this company.
    pub company: Option<String>,
    /// Only runs on or after this day (UTC).
    pub since: Option<NaiveDate>,
}

impl Filter {
    fn keeps(&self, run: &Run) -> bool {
        let company = self.company.as_ref().is_none_or(|c| run.scope.contains(c));
        let since = self
            .since
            .is_none_or(|d| at_of(run).is_some_and(|t| t.date_naive() >= d));
        company && since
    }
}

/// A run's time.
pub fn at_of(run: &Run) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&run.at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Every recorded compare of `name` that `filter` keeps, newest first. A record that is
/// not a run (edited by hand, from a newer assay) is an error naming the file, line and
/// column, not skipped: the board would silently fall back to an older run.
pub fn load(ws: &Workspace, name: &str, filter: &Filter) -> Result<Vec<Run>> {
    let dir = comparison_folder(ws, name);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut runs = Vec::with_capacity(paths.len());
    for path in paths.iter().rev() {
        let run = read(path)?;
        if filter.keeps(&run) {
            runs.push(run);
        }
    }
    Ok(runs)
}

fn read(path: &Path) -> Result<Run> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Runtime(format!("history: cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Runtime(format!(
            "history: {}:{}:{}: not a compare record: {e} (move the file aside to go on)",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Before: the file was named by the second and the process only, so two compares of
    /// one comparison finishing in the same second shared it: one record was lost, and the
    /// second rename of the shared partial file failed the compare (a workbench lane's).
    #[test]
    fn records_of_the_same_second_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("assay.toml"),
            "[companies.acme]\nname = \"Acme\"\n\n[legacy.sales]\nfiles = \"l/*.csv\"\n\n\
             [comparisons.revenue]\nlegacy = \"sales\"\ntable = \"gold.sales\"\nkeys = [\"id\"]\n",
        )
        .unwrap();
        let ws = Workspace::load(dir.path()).unwrap();
        let failed = crate::error::Error::Runtime("down".into());
        let run = super::super::recorder::of_failure(
            &ws,
            ("revenue", &[]),
            &failed,
            super::super::Via("cli"),
        )
        .unwrap();
        let saved: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| save(&ws, &run))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        assert_eq!(saved.len(), 4);
        let kept = load(&ws, "revenue", &Filter::default()).unwrap();
        assert_eq!(kept.len(), 4, "{saved:?}");
    }
}
