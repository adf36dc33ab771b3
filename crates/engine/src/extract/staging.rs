//! Files a run stages beside the cache before DuckDB loads them (a server's rows as CSV, a
//! Delta version as Parquet): where they go, the progress they report while written, and
//! their removal however the run ends.

use std::path::PathBuf;
use std::time::Instant;

use super::{Event, Job};
use crate::config::Workspace;
use crate::error::{Error, Result};

/// `tmp/run_<id>.<extension>` beside the cache (made if missing).
pub(super) fn run_file(ws: &Workspace, run_id: i64, extension: &str) -> Result<PathBuf> {
    let dir = ws
        .cache_path()
        .parent()
        .map_or_else(std::env::temp_dir, |p| p.join("tmp"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Runtime(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir.join(format!("run_{run_id}.{extension}")))
}

/// Writes the file with `write`, reporting its rows as progress of `job`; a failed or
/// cancelled write leaves no file.
pub(super) fn stage_with(
    path: PathBuf,
    (job, started): (&Job, Instant),
    sink: &(dyn Fn(Event) + Sync),
    write: impl FnOnce(&std::path::Path, &mut dyn FnMut(u64)) -> Result<u64>,
) -> Result<PathBuf> {
    let mut report = |rows: u64| {
        sink(Event::Progress {
            company: job.company.clone(),
            entity: job.entity.clone(),
            rows: rows as i64,
            done_fraction: None,
            rows_per_sec: rows as f64 / started.elapsed().as_secs_f64().max(1e-9),
        })
    };
    match write(&path, &mut report) {
        Ok(_) => Ok(path),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

/// Removes a staged file when the run is done with it, however it ends.
pub(super) struct TempFile<'a>(pub(super) &'a PathBuf);

impl Drop for TempFile<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}
