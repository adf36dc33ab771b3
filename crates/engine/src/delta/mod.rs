//! Delta Lake tables on local disk, read with the Delta kernel (delta-rs's own core).
//!
//! A Delta table's folder is not its data: files removed by later versions stay on disk until
//! VACUUM, deletion vectors hide rows inside files that stay active, column mapping gives the
//! Parquet columns other names than the table's, and partition values live in the log, not in
//! the files. Reading the folder as a Parquet glob counts removed rows again and brings
//! deletes back. The kernel replays the log for the version asked and hands over the rows of
//! that version only, with the table's own column names; assay stages them as one Parquet file
//! that DuckDB reads like any other (see `stage`).

mod company;
mod stage;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use delta_kernel::history_manager::{latest_version_as_of, HistoryCommitType};
use delta_kernel::object_store::local::LocalFileSystem;
use delta_kernel::snapshot::{Snapshot, SnapshotRef};
use delta_kernel::Engine;
use delta_kernel_default_engine::executor::tokio::TokioBackgroundExecutor;
use delta_kernel_default_engine::DefaultEngine;

pub use crate::config::parse_timestamp;
pub use company::{open_for, Configured};
pub use stage::{parquet_relation, write_schema, Filter};

use crate::error::{Error, Result};

/// Which version of a table to read: the latest when neither is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct At {
    pub version: Option<u64>,
    /// Milliseconds since the Unix epoch (see `parse_timestamp`): the latest version
    /// committed by then.
    pub timestamp: Option<i64>,
}

/// The settings a table was named by, so every message names the one to change.
#[derive(Debug, Clone)]
pub struct Named {
    /// Where the folder was given (`entities.invoices.table`, `--legacy`).
    pub table: String,
    /// Where a version was asked (`entities.invoices.version`, `--legacy-version`).
    pub version: String,
    /// Where a time was asked (`entities.invoices.timestamp`).
    pub timestamp: String,
}

impl Named {
    /// The settings of a configured entity or legacy export (`entities.invoices`).
    pub fn under(prefix: &str) -> Named {
        Named {
            table: format!("{prefix}.table"),
            version: format!("{prefix}.version"),
            timestamp: format!("{prefix}.timestamp"),
        }
    }
}

/// True when `dir` holds a Delta table (its `_delta_log` folder).
pub fn is_table(dir: &Path) -> bool {
    dir.join("_delta_log").is_dir()
}

/// One version of a table, opened: its log replayed up to that version.
pub struct Table {
    path: PathBuf,
    snapshot: SnapshotRef,
    engine: Arc<DefaultEngine<TokioBackgroundExecutor>>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Table {
    /// Open `path` at `at`. A folder that is not a Delta table, a version the log does not
    /// have, a time before the first commit, or a feature the kernel cannot read is refused
    /// naming the setting.
    pub fn open(path: &Path, at: &At, named: &Named) -> Result<Table> {
        if !path.is_dir() {
            return Err(Error::Usage(format!(
                "{}: {} is not a folder",
                named.table,
                path.display()
            )));
        }
        if !is_table(path) {
            return Err(Error::Usage(format!(
                "{}: {} is not a Delta table (it has no _delta_log folder)",
                named.table,
                path.display()
            )));
        }
        let root = std::fs::canonicalize(path)
            .map_err(|e| Error::Runtime(format!("{}: {}: {e}", named.table, path.display())))?;
        let url = url::Url::from_directory_path(&root).map_err(|()| {
            Error::Usage(format!(
                "{}: {} cannot be a table URL",
                named.table,
                root.display()
            ))
        })?;
        let engine = Arc::new(DefaultEngine::builder(Arc::new(LocalFileSystem::new())).build());
        let unreadable = |e: delta_kernel::Error| {
            Error::Runtime(format!(
                "{}: cannot read the Delta table {}: {e}",
                named.table,
                path.display()
            ))
        };
        let latest = Snapshot::builder_for(url.as_str())
            .build(engine.as_ref())
            .map_err(unreadable)?;
        let version = match (at.version, at.timestamp) {
            (Some(v), _) => Some(v),
            (None, Some(ms)) => Some(version_at(&latest, engine.as_ref(), ms, named)?),
            (None, None) => None,
        };
        let snapshot = match version {
            None => latest,
            Some(v) if v == latest.version() => latest,
            Some(v) if v > latest.version() => {
                return Err(Error::Usage(format!(
                    "{}: the table {} has no version {v}; its latest is {}",
                    named.version,
                    path.display(),
                    latest.version()
                )))
            }
            Some(v) => Snapshot::builder_for(url.as_str())
                .at_version(v)
                .build(engine.as_ref())
                .map_err(|e| {
                    Error::Usage(format!(
                        "{}: version {v} of {} cannot be read (its log may have been cleaned up; \
                         the latest is {}): {e}",
                        named.version,
                        path.display(),
                        latest.version()
                    ))
                })?,
        };
        Ok(Table {
            path: path.to_path_buf(),
            snapshot,
            engine,
        })
    }

    /// The version read.
    pub fn version(&self) -> u64 {
        self.snapshot.version()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the table is, for a run's `source` and messages.
    pub fn describe(&self) -> String {
        format!(
            "delta {} version {}",
            self.path.display(),
            self.snapshot.version()
        )
    }
}

/// What a read of `table` took, for a run's `source` and an import's record.
pub fn describe_read(table: &Table, filter: Option<&Filter>) -> String {
    match filter {
        Some(f) => format!("{} where {} = {}", table.describe(), f.column, f.value),
        None => table.describe(),
    }
}

/// The latest version committed at or before `ms`.
fn version_at(latest: &Snapshot, engine: &dyn Engine, ms: i64, named: &Named) -> Result<u64> {
    latest_version_as_of(latest, engine, ms, HistoryCommitType::Recreatable)
        .map(|c| c.version)
        .map_err(|e| {
            Error::Usage(format!(
                "{}: no version of the table was committed by then: {e}",
                named.timestamp
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_a_log_is_named_as_not_a_table() {
        let dir = tempfile::tempdir().unwrap();
        let named = Named::under("entities.invoices");
        let Err(e) = Table::open(dir.path(), &At::default(), &named) else {
            panic!("opened a folder with no log");
        };
        let text = e.to_string();
        assert!(text.starts_with("entities.invoices.table: "), "{text}");
        assert!(text.contains("not a Delta table"), "{text}");
        let Err(e) = Table::open(&dir.path().join("nope"), &At::default(), &named) else {
            panic!("opened a missing folder");
        };
        assert!(e.to_string().contains("is not a folder"), "{e}");
    }
}
