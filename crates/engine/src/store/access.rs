//! Sharing the cache between processes. DuckDB lets one process write a database file or
//! any number of processes read it, never both, and refuses a conflicting open at once.
//! Its file locks are the operating system's, which never conflict within one process, so
//! the same rule is kept here between the threads of one process (`ProcessHold`). No assay
//! process keeps the cache open while idle: each piece of work opens it for reading or for
//! writing, and an open that meets a conflicting holder waits its turn — saying so, for at
//! most `workspace.cache_wait` — instead of failing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cancel::Cancel;
use crate::error::{Error, Result};

/// What a piece of work needs of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only: shared with any other reader.
    Read,
    /// Writes (extraction, builds, legacy imports, a writable console): alone.
    Write,
}

/// How long to wait for a conflicting holder, whom to tell, and what stops the wait.
#[derive(Clone)]
pub struct Wait {
    pub timeout: Duration,
    pub cancel: Option<Arc<Cancel>>,
    /// Called once when the cache is found busy, with a sentence saying who holds it.
    pub notify: Arc<dyn Fn(&str) + Send + Sync>,
}

impl Wait {
    /// A wait of `timeout` that tells no one.
    pub fn quiet(timeout: Duration) -> Wait {
        Wait {
            timeout,
            cancel: None,
            notify: Arc::new(|_| {}),
        }
    }

    /// The configured wait of a workspace (`workspace.cache_wait`).
    pub fn for_workspace(ws: &crate::config::Workspace) -> Wait {
        Wait::quiet(Duration::from_secs(ws.config.workspace.cache_wait.seconds))
    }

    pub fn notify(mut self, notify: impl Fn(&str) + Send + Sync + 'static) -> Wait {
        self.notify = Arc::new(notify);
        self
    }

    pub fn cancel(mut self, cancel: Arc<Cancel>) -> Wait {
        self.cancel = Some(cancel);
        self
    }
}

impl std::fmt::Debug for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wait")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Who holds the cache, from DuckDB's refusal: another process (its PID when DuckDB names
/// it), or another piece of work in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Process(Option<u32>),
    ThisProcess,
}

impl Holder {
    /// The holder a DuckDB open error names, or None when the error is not a conflict.
    pub fn from_error(text: &str) -> Option<Holder> {
        if text.contains("Unique file handle conflict") {
            return Some(Holder::ThisProcess);
        }
        if !(text.contains("Could not set lock on file") || text.contains("Conflicting lock")) {
            return None;
        }
        let pid = text
            .split("(PID ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|n| n.trim().parse().ok());
        Some(Holder::Process(pid))
    }

    fn describe(&self, access: Access) -> String {
        let doing = match access {
            Access::Read => "being written",
            Access::Write => "in use",
        };
        match self {
            Holder::Process(Some(pid)) => format!("{doing} by another process (PID {pid})"),
            Holder::Process(None) => format!("{doing} by another process"),
            Holder::ThisProcess => format!("{doing} by another task of this assay"),
        }
    }
}

/// What this process's threads hold of each cache file: readers, or one writer.
#[derive(Default)]
struct Holding {
    readers: usize,
    writer: bool,
}

static HOLDING: Mutex<BTreeMap<PathBuf, Holding>> = Mutex::new(BTreeMap::new());

/// This process's claim on a cache file for one open connection; released when dropped.
#[derive(Debug)]
pub struct ProcessHold {
    path: PathBuf,
    access: Access,
}

impl ProcessHold {
    /// The claim, unless another thread's conflicts with it.
    fn take(path: &Path, access: Access) -> Option<ProcessHold> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut all = HOLDING.lock().unwrap_or_else(|e| e.into_inner());
        let held = all.entry(key.clone()).or_default();
        match access {
            Access::Read if !held.writer => held.readers += 1,
            Access::Write if !held.writer && held.readers == 0 => held.writer = true,
            _ => return None,
        }
        Some(ProcessHold { path: key, access })
    }
}

impl Drop for ProcessHold {
    fn drop(&mut self) {
        let mut all = HOLDING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = all.get_mut(&self.path) {
            match self.access {
                Access::Read => held.readers = held.readers.saturating_sub(1),
                Access::Write => held.writer = false,
            }
            if held.readers == 0 && !held.writer {
                all.remove(&self.path);
            }
        }
    }
}

/// Run `open` until it meets no conflicting holder of the cache at `path` (another process,
/// or another thread of this one), waiting between tries; any other error is returned at
/// once, through `fail`. The hold goes with the opened connection and must live as long.
pub fn with_retry<T>(
    path: &Path,
    access: Access,
    wait: &Wait,
    mut open: impl FnMut() -> std::result::Result<T, duckdb::Error>,
    fail: impl Fn(duckdb::Error) -> Error,
) -> Result<(T, ProcessHold)> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    let mut told = false;
    loop {
        let holder = match ProcessHold::take(path, access) {
            None => Holder::ThisProcess,
            Some(hold) => {
                let error = match open() {
                    Ok(value) => return Ok((value, hold)),
                    Err(e) => e,
                };
                match Holder::from_error(&error.to_string()) {
                    Some(holder) => holder,
                    None => return Err(fail(error)),
                }
            }
        };
        let waited = started.elapsed();
        if waited >= wait.timeout {
            return Err(Error::CacheBusy(format!(
                "the cache {} is {}; waited {}s (workspace.cache_wait) — try again when that \
                 work has finished",
                path.display(),
                holder.describe(access),
                waited.as_secs()
            )));
        }
        if !told {
            told = true;
            (wait.notify)(&format!(
                "waiting for the cache: it is {} (up to {}s, workspace.cache_wait)",
                holder.describe(access),
                wait.timeout.as_secs()
            ));
        }
        // Sleep in small steps so a cancel ends the wait at once.
        let until = Instant::now() + pause.min(wait.timeout.saturating_sub(waited));
        while Instant::now() < until {
            if wait.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
                return Err(Error::Cancelled);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_of_one_process_keep_the_rule() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.duckdb");
        let a = ProcessHold::take(&path, Access::Read).unwrap();
        let b = ProcessHold::take(&path, Access::Read).unwrap();
        assert!(ProcessHold::take(&path, Access::Write).is_none());
        drop((a, b));
        let w = ProcessHold::take(&path, Access::Write).unwrap();
        assert!(ProcessHold::take(&path, Access::Read).is_none());
        assert!(ProcessHold::take(&path, Access::Write).is_none());
        drop(w);
        assert!(ProcessHold::take(&path, Access::Read).is_some());
    }

    #[test]
    fn holders_are_read_from_duckdb_refusals() {
        let other = "IO Error: Could not set lock on file \"/w/.assay/cache.duckdb\": Conflicting lock is held in /usr/bin/assay (PID 4242). However, you would be able to open this database in read-only mode";
        assert_eq!(Holder::from_error(other), Some(Holder::Process(Some(4242))));
        let same = "Binder Error: Unique file handle conflict: Cannot attach \"cache\" - the database file \"/w/c.duckdb\" is already attached by database \"cache\"";
        assert_eq!(Holder::from_error(same), Some(Holder::ThisProcess));
        assert_eq!(Holder::from_error("Catalog Error: no table"), None);
    }
}
