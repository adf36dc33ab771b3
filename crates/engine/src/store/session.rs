//! A long-lived connection that holds the cache only while it works: an in-memory DuckDB
//! database (its temporary tables — the workbench's classified join, the console's result
//! view — live there and survive between jobs) to which the cache file is attached for the
//! length of one lease, read-only or for writing, and detached afterwards. An idle
//! workbench so holds nothing another process could wait for.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use duckdb::{Connection, InterruptHandle};

use super::access::{self, Access, Wait};
use super::{migrate, Store};
use crate::error::{Error, Result};
use crate::sql::{ident, literal};

/// The name the cache is attached under while a lease is held.
const ALIAS: &str = "cache";

pub struct Session {
    store: Store,
    path: PathBuf,
}

impl Session {
    /// A session on the cache at `path`; nothing is opened until the first lease.
    pub fn new(path: &Path) -> Result<Session> {
        let conn = Connection::open_in_memory()?;
        // An in-memory database spills to `.tmp` in the current folder by default; the
        // cache's folder is the workspace's own.
        if let Some(dir) = path.parent() {
            let spill = dir.join("tmp").join("spill");
            // DuckDB makes the last folder only: a workspace where nothing made `tmp` yet
            // failed its first spill ("Failed to create directory"). If this cannot be
            // made either, DuckDB's own error names the folder when it first spills.
            let _ = std::fs::create_dir_all(&spill);
            conn.execute_batch(&format!(
                "SET temp_directory = {}",
                literal(&spill.to_string_lossy())
            ))?;
        }
        Ok(Session {
            store: Store {
                conn,
                path: Some(path.to_path_buf()),
                _hold: None,
            },
            path: path.to_path_buf(),
        })
    }

    /// Another session on the same cache (its own in-memory database and temporary tables).
    pub fn fresh(&self) -> Result<Session> {
        Session::new(&self.path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The session's own connection, with no cache attached: for settings (memory limit)
    /// and temporary tables.
    pub fn conn(&self) -> &Connection {
        self.store.conn()
    }

    /// Cancels the statement running on this session's connection, from any thread.
    pub fn interrupt_handle(&self) -> Arc<InterruptHandle> {
        self.store.interrupt_handle()
    }

    /// Attach the cache for `access` until the lease is dropped, waiting as `wait` says for
    /// a conflicting holder. The cache is the default database meanwhile, so the engine's
    /// SQL (`bronze.x`, `assay.runs`) reads it unchanged.
    pub fn lease(&self, access: Access, wait: &Wait) -> Result<Lease<'_>> {
        if access == Access::Write || !self.path.exists() {
            // Creates, migrates and recovers the cache as any writer's open does.
            drop(Store::open_with(&self.path, Access::Write, wait)?);
        }
        // A reader that finds the cache older than this assay, or a write-ahead log a killed
        // writer left that cannot be replayed, hands it to a writer's open (which migrates,
        // or sets the log aside; see `Store::open`) and attaches again.
        match self.attach(access, wait) {
            Ok(lease) if access == Access::Write => return Ok(lease),
            Ok(lease) => {
                if migrate::current_version(&self.store.conn)? >= Some(migrate::LATEST) {
                    return Ok(lease);
                }
            }
            Err(Error::Database(e)) if super::is_wal_replay_failure(&e.to_string()) => {}
            Err(e) => return Err(self.open_error(e)),
        }
        drop(Store::open_with(&self.path, Access::Write, wait)?);
        self.attach(access, wait).map_err(|e| self.open_error(e))
    }

    /// A failed attach said with the file it was about.
    fn open_error(&self, e: Error) -> Error {
        match e {
            Error::Database(e) => Error::Runtime(format!(
                "cannot open the cache {}: {e}",
                self.path.display()
            )),
            other => other,
        }
    }

    fn attach(&self, access: Access, wait: &Wait) -> Result<Lease<'_>> {
        let mode = match access {
            Access::Read => " (READ_ONLY)",
            Access::Write => "",
        };
        let sql = format!(
            "ATTACH {} AS {}{mode}; USE {}",
            literal(&self.path.to_string_lossy()),
            ident(ALIAS),
            ident(ALIAS)
        );
        let ((), hold) = access::with_retry(
            &self.path,
            access,
            wait,
            || self.store.conn.execute_batch(&sql),
            Error::Database,
        )?;
        Ok(Lease {
            store: &self.store,
            _hold: hold,
        })
    }
}

/// The cache attached to a session; detached when dropped.
pub struct Lease<'a> {
    store: &'a Store,
    /// Released after `drop` has detached the file.
    _hold: access::ProcessHold,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store
    }
}

impl std::borrow::Borrow<Store> for Lease<'_> {
    fn borrow(&self) -> &Store {
        self.store
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        // An interrupted statement can leave a transaction open; it must not keep the file.
        let _ = self.store.conn.execute_batch("ROLLBACK");
        let _ = self
            .store
            .conn
            .execute_batch(&format!("USE memory; DETACH {}", ident(ALIAS)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wait() -> Wait {
        Wait::quiet(Duration::from_millis(300))
    }

    #[test]
    fn a_session_spills_in_a_workspace_that_has_no_tmp_folder_yet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".assay").join("cache.duckdb");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let session = Session::new(&path).unwrap();
        let conn = &session.store.conn;
        conn.execute_batch("SET memory_limit = '32MB'; SET threads = 1")
            .unwrap();
        conn.execute_batch(
            "CREATE TEMP TABLE sorted AS SELECT md5(CAST(range AS VARCHAR)) AS s, range AS i \
             FROM range(3000000) ORDER BY s",
        )
        .unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM sorted", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3_000_000);
    }

    #[test]
    fn temporary_tables_outlive_the_lease_and_the_file_is_free_between() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.duckdb");
        let session = Session::new(&path).unwrap();
        {
            let lease = session.lease(Access::Write, &wait()).unwrap();
            lease
                .conn()
                .execute_batch("CREATE TABLE bronze.t AS SELECT 1 AS x")
                .unwrap();
        }
        {
            let lease = session.lease(Access::Read, &wait()).unwrap();
            lease
                .conn()
                .execute_batch("CREATE TEMP TABLE kept AS SELECT x + 1 AS y FROM bronze.t")
                .unwrap();
        }
        // Between leases a writer of its own gets the file at once.
        let writer = Store::open_with(&path, Access::Write, &wait()).unwrap();
        writer
            .conn()
            .execute_batch("INSERT INTO bronze.t VALUES (5)")
            .unwrap();
        drop(writer);
        let lease = session.lease(Access::Read, &wait()).unwrap();
        let (kept, rows): (i64, i64) = lease
            .conn()
            .query_row(
                "SELECT (SELECT y FROM kept), (SELECT count(*) FROM bronze.t)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((kept, rows), (2, 2));
    }

    #[test]
    fn readers_share_and_a_writer_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.duckdb");
        drop(Store::open(&path).unwrap());
        let one = Session::new(&path).unwrap();
        let two = Session::new(&path).unwrap();
        let a = one.lease(Access::Read, &wait()).unwrap();
        let b = two.lease(Access::Read, &wait()).unwrap();
        let told = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = told.clone();
        let waiting = wait().notify(move |m| sink.lock().unwrap().push(m.to_string()));
        let refused = Store::open_with(&path, Access::Write, &waiting)
            .err()
            .expect("a writer cannot open while readers hold the cache");
        assert!(refused.to_string().contains("in use"), "{refused}");
        assert_eq!(told.lock().unwrap().len(), 1, "told once that it waits");
        drop((a, b));
        assert!(Store::open_with(&path, Access::Write, &wait()).is_ok());
    }

    #[test]
    fn a_cancel_ends_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.duckdb");
        let holder = Store::open(&path).unwrap();
        let cancel = crate::cancel::Cancel::new();
        cancel.cancel();
        let session = Session::new(&path).unwrap();
        let waiting = Wait::quiet(Duration::from_secs(60)).cancel(cancel);
        let started = std::time::Instant::now();
        let result = session.lease(Access::Read, &waiting);
        assert!(matches!(result, Err(Error::Cancelled)));
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(holder);
    }
}
