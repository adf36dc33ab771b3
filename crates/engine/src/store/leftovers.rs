//! What a killed process leaves behind, cleared when the cache is next opened: runs still
//! marked `running` (extraction runs are recovered by the extractor, which also removes
//! their rows) and the staged CSV files of server extractions and ClickHouse loads.

use std::path::Path;

use duckdb::params;

use super::{notice, utc_now, Store};
use crate::error::Result;

pub(super) fn recover(store: &Store) -> Result<()> {
    scrub_credentials(store)?;
    let stale = store.conn().execute(
        "UPDATE assay.runs SET status = 'failed', finished = ?, \
         error = 'interrupted: the process ended before the run finished' \
         WHERE status = 'running' AND kind <> 'extract'",
        params![utc_now()],
    )?;
    if stale > 0 {
        notice::push(format!(
            "{stale} build run(s) left `running` by a process that ended were marked failed"
        ));
    }
    if let Some(dir) = store.path().and_then(Path::parent) {
        // `clickhouse-<entity>-<run>.csv`: a run on its way to ClickHouse; `tmp/run_<id>.csv`:
        // a server source's rows.
        let removed = remove_staged(dir, "clickhouse-") + remove_staged(&dir.join("tmp"), "run_");
        if removed > 0 {
            notice::push(format!(
                "removed {removed} staged file(s) an interrupted extraction left in {}",
                dir.display()
            ));
        }
        // The Parquet copies of ad hoc sides a killed compare left.
        let removed = super::scratch::remove_orphans(&dir.join("tmp"));
        if removed > 0 {
            notice::push(format!(
                "removed {removed} scratch file(s) an interrupted compare left in {}",
                dir.join("tmp").display()
            ));
        }
    }
    Ok(())
}

/// Remove the `<prefix>*.csv` files of `dir`; how many went.
fn remove_staged(dir: &Path, prefix: &str) -> usize {
    super::scratch::remove_where(dir, |e| {
        let name = e.file_name().to_string_lossy().to_string();
        name.starts_with(prefix) && name.ends_with(".csv")
    })
}

/// Credentials a URL carried into a run's error or source (records written before URLs
/// were masked, or by a path that did not mask them) masked in place.
fn scrub_credentials(store: &Store) -> Result<()> {
    for (table, column) in [
        ("runs", "error"),
        ("runs", "source"),
        ("test_results", "error"),
    ] {
        // An older catalog being opened at its own version may not have the column yet.
        let present: bool = store.conn().query_row(
            "SELECT count(*) > 0 FROM duckdb_columns() WHERE schema_name = 'assay' \
             AND table_name = ? AND column_name = ?",
            params![table, column],
            |r| r.get(0),
        )?;
        if !present {
            continue;
        }
        let mut found = store.conn().prepare(&format!(
            "SELECT DISTINCT {column} FROM assay.{table} WHERE {column} LIKE '%://%'"
        ))?;
        let texts: Vec<String> = found
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        for text in texts {
            let masked = crate::redact::text(&text);
            if masked != text {
                store.conn().execute(
                    &format!("UPDATE assay.{table} SET {column} = ? WHERE {column} = ?"),
                    params![masked, text],
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reopened_cache_closes_stale_builds_and_removes_staged_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.duckdb");
        {
            let store = Store::open(&path).unwrap();
            store.begin_run("build", None, Some("gold.x")).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        std::fs::write(dir.path().join("tmp/run_7.csv"), "a\n1\n").unwrap();
        std::fs::write(dir.path().join("clickhouse-invoices-7.csv"), "a\n1\n").unwrap();
        std::fs::write(dir.path().join("keep.csv"), "a\n1\n").unwrap();
        let store = Store::open(&path).unwrap();
        let runs = store.runs(10).unwrap();
        assert_eq!(runs[0].status, crate::store::RunStatus::Failed);
        assert!(runs[0].error.as_deref().unwrap().contains("interrupted"));
        assert!(!dir.path().join("tmp/run_7.csv").exists());
        assert!(!dir.path().join("clickhouse-invoices-7.csv").exists());
        assert!(dir.path().join("keep.csv").exists());
    }

    /// Before: a ClickHouse password in a URL's query reached the run records (`runs`,
    /// `freshness --problems`) and stayed there.
    #[test]
    fn credentials_in_old_run_records_are_masked_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.duckdb");
        {
            let store = Store::open(&path).unwrap();
            let id = store
                .begin_run("extract", Some("acme"), Some("sales"))
                .unwrap();
            store
                .conn()
                .execute(
                    "UPDATE assay.runs SET status = 'failed', error = ?, source = ? WHERE id = ?",
                    params![
                        "cannot reach ClickHouse at http://h:8123/?user=ops&password=s3cret",
                        "db: http://ops:s3cret@h:8123",
                        id
                    ],
                )
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let (error, source): (String, String) = store
            .conn()
            .query_row("SELECT error, source FROM assay.runs", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert!(
            !error.contains("s3cret") && !source.contains("s3cret"),
            "{error} {source}"
        );
        assert!(error.ends_with("password=***"), "{error}");
        assert_eq!(source, "db: http://ops:***@h:8123");
    }
}
