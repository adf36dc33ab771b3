//! Files a compare writes for itself: an ad hoc CSV or JSON side read once and kept as
//! Parquet beside the cache, so the compare's passes read compact, typed columns without
//! parsing the text again and without holding the whole side in memory (a temporary table
//! of TPC-H lineitem at SF1 takes 1.1 GB; its Parquet copy is read from the page cache).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use duckdb::Connection;

/// Name prefix of scratch files: `adhoc-<pid>-<n>-<role>.parquet`.
pub const PREFIX: &str = "adhoc-";

/// A scratch file, removed when the last relation reading it is dropped.
#[derive(Debug, PartialEq, Eq)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// A new, unused path for side `role` in `dir` (made if missing).
    pub fn new(dir: &Path, role: &str) -> std::io::Result<Scratch> {
        Scratch::with_extension(dir, role, "parquet")
    }

    /// The same with another extension (`duckdb` for a database file of its own).
    pub fn with_extension(dir: &Path, role: &str, extension: &str) -> std::io::Result<Scratch> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(dir)?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let role: String = role
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let name = format!("{PREFIX}{}-{n}-{role}.{extension}", std::process::id());
        Ok(Scratch {
            path: dir.join(name),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        // A database file's log, if it was left open.
        let mut wal = self.path.clone().into_os_string();
        wal.push(".wal");
        let _ = std::fs::remove_file(wal);
    }
}

/// Where `conn`'s scratch files go: `tmp/` beside its database file (the workspace's
/// `.assay/tmp`), or the system's temporary folder for an in-memory database.
pub fn dir(conn: &Connection) -> PathBuf {
    let path: Option<String> = conn
        .query_row(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()",
            [],
            |r| r.get(0),
        )
        .ok()
        .flatten();
    match path.as_deref().map(Path::new).and_then(Path::parent) {
        Some(parent) if !path.as_deref().unwrap_or_default().is_empty() => parent.join("tmp"),
        _ => std::env::temp_dir(),
    }
}

/// Remove the scratch files in `dir` of processes that are gone (a compare killed before
/// its files were dropped); how many went. A process's liveness is read from `/proc`, so
/// elsewhere only files older than a day are taken.
pub fn remove_orphans(dir: &Path) -> usize {
    remove_where(dir, |e| {
        let name = e.file_name().to_string_lossy().to_string();
        name.strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| !alive(pid, e))
    })
}

/// Remove the files of `dir` that `doomed` picks; how many went.
pub(super) fn remove_where(dir: &Path, doomed: impl Fn(&std::fs::DirEntry) -> bool) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| doomed(e))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

fn alive(pid: u32, entry: &std::fs::DirEntry) -> bool {
    let proc = Path::new("/proc");
    if proc.is_dir() {
        return pid == std::process::id() || proc.join(pid.to_string()).exists();
    }
    let day = std::time::Duration::from_secs(24 * 3600);
    entry
        .metadata()
        .and_then(|m| m.modified())
        .map(|t| t.elapsed().unwrap_or_default() < day)
        .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scratch_file_goes_with_its_guard_and_orphans_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = Scratch::new(dir.path(), "legacy side").unwrap();
        std::fs::write(scratch.path(), "x").unwrap();
        let kept = scratch.path().to_path_buf();
        assert!(kept
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-legacy_side.parquet"));
        // A file of this (live) process stays; one of a process that cannot exist goes.
        let orphan = dir.path().join(format!("{PREFIX}4294967295-0-new.parquet"));
        std::fs::write(&orphan, "x").unwrap();
        let other = dir.path().join("run_1.csv");
        std::fs::write(&other, "x").unwrap();
        assert_eq!(remove_orphans(dir.path()), 1);
        assert!(kept.exists() && other.exists() && !orphan.exists());
        drop(scratch);
        assert!(!kept.exists());
    }

    #[test]
    fn scratch_files_go_beside_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("cache.duckdb")).unwrap();
        assert_eq!(super::dir(&conn), dir.path().join("tmp"));
        let memory = Connection::open_in_memory().unwrap();
        assert_eq!(super::dir(&memory), std::env::temp_dir());
    }
}
