//! The DuckDB cache: `.assay/cache.duckdb` in the workspace. It holds the legacy imports,
//! the layer tables when DuckDB is the warehouse, and the `assay` catalog.

pub mod access;
mod catalog;
mod leftovers;
pub mod memory;
pub mod migrate;
pub mod notice;
pub mod scratch;
mod session;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use duckdb::{AccessMode, Config, Connection, InterruptHandle};

use crate::error::{Error, IoContext, Result};
pub use access::{Access, Wait};
pub use catalog::{record_run_columns, utc_now, Run, RunFilter, RunStatus};
pub use memory::set_memory_limit;
pub use session::{Lease, Session};

/// How long an open waits for another process's work on the cache when no workspace says.
pub const DEFAULT_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    /// This process's claim on the file, released after the connection closes (fields drop
    /// in order). None for in-memory stores and siblings (their parent holds it).
    _hold: Option<access::ProcessHold>,
}

impl Store {
    /// Open (creating if needed) the cache at `path` for writing, migrating an older schema.
    /// A cache written by a newer assay, or a file that is not an assay cache, is refused
    /// untouched. Another process's work on the cache is waited for (`DEFAULT_WAIT`).
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, Access::Write, &Wait::quiet(DEFAULT_WAIT))
    }

    /// Open the cache for `access`, waiting for a conflicting holder as `wait` says. A
    /// reader shares the file with other readers; a cache that does not exist yet or needs
    /// migrating is first opened for writing, briefly, to make it current.
    pub fn open_with(path: &Path, access: Access, wait: &Wait) -> Result<Self> {
        match access {
            Access::Write => Self::open_writing(path, migrate::LATEST, wait),
            Access::Read => {
                if let Some(store) = Self::open_reading(path, wait)? {
                    return Ok(store);
                }
                drop(Self::open_writing(path, migrate::LATEST, wait)?);
                Self::open_reading(path, wait)?.ok_or_else(|| {
                    Error::Runtime(format!(
                        "{} was migrated but still reads as an older schema",
                        path.display()
                    ))
                })
            }
        }
    }

    /// The cache opened read-only, or None when it must first be created or migrated.
    fn open_reading(path: &Path, wait: &Wait) -> Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let opened = access::with_retry(
            path,
            Access::Read,
            wait,
            || {
                let config = Config::default().access_mode(AccessMode::ReadOnly)?;
                Connection::open_with_flags(path, config)
            },
            Error::Database,
        );
        let (conn, hold) = match opened {
            Ok(opened) => opened,
            // A log a killed writer left that cannot be replayed: the writing open sets it
            // aside (a reader changes nothing on disk).
            Err(Error::Database(e)) if is_wal_replay_failure(&e.to_string()) => return Ok(None),
            Err(Error::Database(e)) => return Err(open_error(path, e)),
            Err(other) => return Err(other),
        };
        let store = Store {
            conn,
            path: Some(path.to_path_buf()),
            _hold: Some(hold),
        };
        match migrate::current_version(&store.conn)? {
            Some(v) if v >= migrate::LATEST => {
                store.bring_to(migrate::LATEST)?;
                Ok(Some(store))
            }
            // Not current (or not a cache at all): the write open migrates it or says why.
            _ => Ok(None),
        }
    }

    /// Open and bring the schema to `target` (tests build older caches with this).
    pub fn open_at_version(path: &Path, target: u32) -> Result<Self> {
        Self::open_writing(path, target, &Wait::quiet(DEFAULT_WAIT))
    }

    fn open_writing(path: &Path, target: u32, wait: &Wait) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .io_context(|| format!("cannot create the cache folder {}", dir.display()))?;
        }
        let (conn, hold) = open_or_set_wal_aside(path, wait)?;
        let store = Store {
            conn,
            path: Some(path.to_path_buf()),
            _hold: Some(hold),
        };
        let before = migrate::current_version(&store.conn)?;
        store.bring_to(target)?;
        if before != migrate::current_version(&store.conn)? {
            // A new or migrated catalog goes into the main file before any long work: DDL
            // left only in the write-ahead log (a column added to a table whose default
            // calls a sequence) is what DuckDB failed to replay ("GetDefaultDatabase with
            // no default database set") after a kill during a first extraction.
            store.checkpoint()?;
        }
        // A writer holds the file alone and every writer holds it for all of its run, so
        // nothing another process started can still be running: its leftovers are stale.
        leftovers::recover(&store)?;
        Ok(store)
    }

    /// Write everything committed so far into the main file and empty the write-ahead log.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .execute_batch("CHECKPOINT")
            .map_err(|e| Error::runtime("checkpointing the cache", e))
    }

    /// A throwaway cache in memory, at the latest schema.
    pub fn in_memory() -> Result<Self> {
        let store = Store {
            conn: Connection::open_in_memory()?,
            path: None,
            _hold: None,
        };
        store.bring_to(migrate::LATEST)?;
        Ok(store)
    }

    fn bring_to(&self, target: u32) -> Result<()> {
        let shown = self.path.as_ref().map_or_else(
            || "the in-memory cache".to_string(),
            |p| p.display().to_string(),
        );
        match migrate::current_version(&self.conn)? {
            None if migrate::has_user_tables(&self.conn)? => Err(Error::CacheVersion(format!(
                "{shown} is a DuckDB database but not an assay cache (it has no assay.meta); \
                 refusing to touch it. Point `workspace.cache` at another file."
            ))),
            None => migrate::migrate(&self.conn, 0, target),
            Some(v) if v > migrate::LATEST => Err(Error::CacheVersion(format!(
                "{shown} has cache schema v{v}, written by assay {}; this assay ({}) knows up to \
                 v{}. Upgrade assay, or move the cache aside to rebuild it.",
                self.meta("written_by")?.unwrap_or_else(|| "?".into()),
                env!("CARGO_PKG_VERSION"),
                migrate::LATEST
            ))),
            Some(v) if v < target => migrate::migrate(&self.conn, v, target),
            Some(_) => Ok(()),
        }
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Another connection to the same open database (its own transactions, temporary
    /// tables and interrupt handle), for work on another thread. It starts in the same
    /// default database (a session's attached cache).
    pub fn sibling(&self) -> Result<Store> {
        let conn = self.conn.try_clone()?;
        let current: String = self
            .conn
            .query_row("SELECT current_database()", [], |r| r.get(0))?;
        conn.execute_batch(&format!("USE {}", crate::sql::ident(&current)))?;
        Ok(Store {
            conn,
            path: self.path.clone(),
            _hold: None,
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A handle that cancels the statement running on this connection, from any thread.
    pub fn interrupt_handle(&self) -> Arc<InterruptHandle> {
        self.conn.interrupt_handle()
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(migrate::current_version(&self.conn)?.unwrap_or(0))
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        match self
            .conn
            .query_row("SELECT value FROM assay.meta WHERE key = ?", [key], |r| {
                r.get(0)
            }) {
            Ok(v) => Ok(Some(v)),
            Err(duckdb::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Run `work` in one transaction: all of it lands, or none of it.
    pub fn transaction<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        match work(&self.conn) {
            Ok(value) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(value)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// Whether `schema.table` (a table or a view) exists in the cache.
pub fn table_exists(conn: &Connection, schema: &str, table: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
        |r| r.get(0),
    )?)
}

/// Open the database; when its write-ahead log cannot be replayed (a process killed in the
/// middle of DDL, see duckdb#19712), move the log aside and open what the main file holds
/// (everything up to the last checkpoint), saying where the log went.
fn open_or_set_wal_aside(path: &Path, wait: &Wait) -> Result<(Connection, access::ProcessHold)> {
    let open = |fail: fn(&Path, duckdb::Error) -> Error| {
        access::with_retry(
            path,
            Access::Write,
            wait,
            || Connection::open(path),
            |e| fail(path, e),
        )
    };
    match open(|_, e| Error::Database(e)) {
        Ok(conn) => Ok(conn),
        Err(Error::Database(e)) if is_wal_replay_failure(&e.to_string()) => {
            let wal = wal_path(path);
            let aside = wal.with_file_name(format!(
                "{}.unreplayable-{}",
                wal.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().to_string()),
                chrono::Utc::now().format("%Y%m%dT%H%M%S")
            ));
            std::fs::rename(&wal, &aside).io_context(|| {
                format!(
                    "the write-ahead log {} cannot be replayed and could not be moved aside",
                    wal.display()
                )
            })?;
            let conn = open(open_error)?;
            notice::push(format!(
                "the cache's write-ahead log could not be replayed (an earlier process was killed \
                 mid-write); it was moved to {} and the cache opened as of its last checkpoint. \
                 Work since then (the interrupted run and any run after the last checkpoint) must \
                 be run again.",
                aside.display()
            ));
            Ok(conn)
        }
        Err(Error::Database(e)) => Err(open_error(path, e)),
        Err(other) => Err(other),
    }
}

fn is_wal_replay_failure(text: &str) -> bool {
    text.contains("replaying WAL")
}

fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".wal");
    PathBuf::from(name)
}

fn open_error(path: &Path, e: duckdb::Error) -> Error {
    let text = e.to_string();
    if text.contains("not a valid DuckDB database")
        || text.contains("Serialization")
        || text.contains("version")
    {
        Error::CacheVersion(format!(
            "{} cannot be opened as a DuckDB cache ({text}); it was left untouched",
            path.display()
        ))
    } else {
        Error::Runtime(format!("cannot open the cache {}: {text}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_cache_has_the_catalog() {
        let store = Store::in_memory().unwrap();
        assert_eq!(store.schema_version().unwrap(), migrate::LATEST);
        let id = store
            .begin_run("extract", Some("acme"), Some("invoices"))
            .unwrap();
        store.finish_run(id, RunStatus::Ok, Some(42), None).unwrap();
        let runs = store.runs(10).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].status, RunStatus::Ok);
        assert_eq!(runs[0].rows, Some(42));
    }

    #[test]
    fn transactions_roll_back_on_error() {
        let store = Store::in_memory().unwrap();
        let result: Result<()> = store.transaction(|c| {
            c.execute_batch("CREATE TABLE bronze.t AS SELECT 1 AS x")?;
            Err(Error::Runtime("boom".into()))
        });
        assert!(result.is_err());
        let exists: bool = store
            .conn()
            .query_row(
                "SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = 't'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!exists);
    }
}

#[cfg(test)]
mod wal_tests {
    use super::*;

    /// A cache whose catalog is still only in the write-ahead log, as a process killed during
    /// its first extraction left it (before the catalog was checkpointed at creation).
    fn killed_during_creation(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "PRAGMA disable_checkpoint_on_shutdown; SET checkpoint_threshold = '10GB';",
        )
        .unwrap();
        migrate::migrate(&conn, 0, migrate::LATEST).unwrap();
        drop(conn);
    }

    #[test]
    fn a_log_that_cannot_be_replayed_is_set_aside_and_the_cache_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.duckdb");
        killed_during_creation(&path);
        assert!(wal_path(&path).exists(), "the test needs a log left behind");
        // DuckDB itself refuses it (duckdb#19712): this is the log the kills left.
        let direct = Connection::open(&path).err().map(|e| e.to_string());
        let error = direct.expect("DuckDB replayed the log; the fixture no longer reproduces");
        assert!(is_wal_replay_failure(&error), "{error}");
        let store = Store::open(&path).unwrap();
        // The catalog was never checkpointed, so the cache opens empty and is made anew.
        assert_eq!(store.schema_version().unwrap(), migrate::LATEST);
        let notices = notice::take();
        assert!(
            notices.iter().any(|n| n.contains("could not be replayed")),
            "{notices:?}"
        );
        let aside = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains("unreplayable"));
        assert!(aside);
    }

    #[test]
    fn which_statement_the_replay_cannot_take() {
        // Each migration alone, left in the log: only the one that adds a column to a table
        // whose default calls a sequence (v2's ALTER TABLE assay.runs) breaks the replay.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.duckdb");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(migrate::MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "CHECKPOINT; PRAGMA disable_checkpoint_on_shutdown; SET checkpoint_threshold = '10GB';",
        )
        .unwrap();
        conn.execute_batch("CREATE TABLE bronze.t (x INTEGER); CREATE VIEW bronze.v AS SELECT * FROM bronze.t; INSERT INTO assay.runs (kind, started, status) VALUES ('extract', now()::TIMESTAMP, 'ok')")
            .unwrap();
        drop(conn);
        assert!(Connection::open(&path).is_ok(), "plain DDL and rows replay");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CHECKPOINT; PRAGMA disable_checkpoint_on_shutdown; SET checkpoint_threshold = '10GB';",
        )
        .unwrap();
        conn.execute_batch("ALTER TABLE assay.runs ADD COLUMN source VARCHAR")
            .unwrap();
        drop(conn);
        let error = Connection::open(&path).err().map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(is_wal_replay_failure),
            "{error:?}"
        );
    }
}
