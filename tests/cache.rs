//! The cache file across assay versions: migrated forward, refused when newer or foreign,
//! and never changed when refused.

use assay_engine::error::Error;
use assay_engine::store::{migrate, RunStatus, Store};

#[test]
fn an_older_cache_is_migrated_and_keeps_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".assay/cache.duckdb");
    {
        let v1 = Store::open_at_version(&path, 1).unwrap();
        assert_eq!(v1.schema_version().unwrap(), 1);
        v1.conn()
            .execute_batch("INSERT INTO assay.runs (kind, company, started, status, rows) VALUES ('extract', 'acme', TIMESTAMP '2024-01-01 10:00:00', 'ok', 10)")
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), migrate::LATEST);
    let runs = store.runs(10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].company.as_deref(), Some("acme"));
    // The v2 tables exist and work.
    let id = store.begin_run("build", None, Some("fct_sales")).unwrap();
    store
        .finish_run(id, RunStatus::Failed, None, Some("boom"))
        .unwrap();
    let n: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM assay.table_versions", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_newer_cache_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.duckdb");
    {
        let store = Store::open(&path).unwrap();
        store.conn().execute_batch("UPDATE assay.meta SET value = '99' WHERE key = 'schema_version'; UPDATE assay.meta SET value = '9.0.0' WHERE key = 'written_by'; CHECKPOINT;").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path)
        .err()
        .expect("a newer cache must be refused");
    assert!(matches!(err, Error::CacheVersion(_)));
    let message = err.to_string();
    assert!(
        message.contains("v99") && message.contains("9.0.0"),
        "{message}"
    );
    assert_eq!(err.exit_code(), 2);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "a refused cache must not change"
    );
}

#[test]
fn a_foreign_duckdb_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.duckdb");
    {
        let conn = duckdb::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE precious AS SELECT 1 AS x; CHECKPOINT;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path)
        .err()
        .expect("a foreign database must be refused");
    assert!(err.to_string().contains("not an assay cache"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.duckdb");
    std::fs::write(
        &path,
        b"this is a spreadsheet, not a database\n".repeat(200),
    )
    .unwrap();
    let err = Store::open(&path).err().expect("garbage must be refused");
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("cache.duckdb"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is a spreadsheet, not a database\n".repeat(200)
    );
}
