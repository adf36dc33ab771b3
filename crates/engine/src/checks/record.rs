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
                o.error
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
