//! Test results in the catalog: each `assay test` is a run (kind `test`), and each test ×
//! company its verdict with up to five failing rows, so history and the health view can
//! show them.

use duckdb::params;

use super::{Outcome, TestStatus};
use crate::error::Result;
use crate::store::{utc_now, Store};

/// Record one evaluation of the tests; the run's id.
pub fn record(store: &Store, outcomes: &[Outcome]) -> Result<i64> {
    let worst = outcomes.iter().map(|o| o.status).max();
    let status = match worst {
        Some(TestStatus::Error) => "failed",
        _ => "ok",
    };
    let failing: i64 = outcomes
        .iter()
        .filter(|o| o.status != TestStatus::Pass)
        .count() as i64;
    store.transaction(|conn| {
        let now = utc_now();
        let id: i64 = conn.query_row(
            "INSERT INTO assay.runs (kind, started, finished, status, rows) \
             VALUES ('test', ?, ?, ?, ?) RETURNING id",
            params![now, now, status, failing],
            |r| r.get(0),
        )?;
        let mut insert =
            conn.prepare("INSERT INTO assay.test_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)")?;
        for o in outcomes {
            let samples = serde_json::to_string(&o.samples).unwrap_or_default();
            insert.execute(params![
                id,
                o.test,
                o.company,
                o.table,
                o.status.as_str(),
                o.failing,
                samples,
                o.error.as_deref().map(crate::redact::text)
            ])?;
        }
        Ok(id)
    })
}

/// A test's latest verdict for one company (`*`: a table not cut by company).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub test: String,
    pub company: String,
    pub status: TestStatus,
}

/// Each test × company's latest verdict. A status the catalog spells in a way this assay
/// does not know counts as an error.
pub fn latest(conn: &duckdb::Connection) -> Result<Vec<Verdict>> {
    let mut stmt = conn.prepare(
        "SELECT test, company, arg_max(status, run_id) FROM assay.test_results GROUP BY ALL ORDER BY ALL",
    )?;
    let rows = stmt.query_map([], |r| {
        let status: String = r.get(2)?;
        Ok(Verdict {
            test: r.get(0)?,
            company: r.get(1)?,
            status: TestStatus::parse(&status).unwrap_or(TestStatus::Error),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A data test's latest result on one table for one company, with what it recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TestResult {
    pub test: String,
    pub status: String,
    pub failing: i64,
    /// Up to five failing rows, each as the JSON object the test recorded.
    pub samples: Vec<String>,
    pub error: Option<String>,
    pub run_id: i64,
}

/// The latest result of each test on `table` for `company`.
pub fn latest_on(conn: &duckdb::Connection, company: &str, table: &str) -> Result<Vec<TestResult>> {
    let mut stmt = conn.prepare(
        "SELECT test, arg_max(status, run_id), arg_max(failing, run_id), arg_max(samples, run_id), \
         arg_max(error, run_id), max(run_id) FROM assay.test_results \
         WHERE company = ? AND table_name = ? GROUP BY test ORDER BY test",
    )?;
    let rows = stmt.query_map(params![company, table], |r| {
        Ok(TestResult {
            test: r.get(0)?,
            status: r.get(1)?,
            failing: r.get(2)?,
            samples: failing_rows(&r.get::<_, String>(3)?),
            error: r.get(4)?,
            run_id: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The failing rows `record` wrote (a JSON list), one JSON object each.
fn failing_rows(samples: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(samples) {
        Ok(serde_json::Value::Array(rows)) => rows.iter().map(|r| r.to_string()).collect(),
        _ => Vec::new(),
    }
}
