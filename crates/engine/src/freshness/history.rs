//! The history behind one cell of the health grid (a company's bronze table of an entity,
//! or a model built from it): its runs, the alerts still standing, its data tests' latest
//! results with their failing rows, and its row counts against the recent runs'.

use serde::Serialize;

use super::alerts::{self, Alert};
use super::Row;
use crate::error::Result;
use crate::store::{Run, RunFilter, RunStatus, Store};

/// How many runs the history lists, newest first.
pub const RUNS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    pub company: String,
    pub entity: String,
    pub layer: String,
    pub table: String,
    /// Extractions (bronze) or builds (a model), newest first.
    pub runs: Vec<Run>,
    /// Schema and volume alerts not yet acknowledged.
    pub alerts: Vec<Alert>,
    pub tests: Vec<TestResult>,
    /// Rows of the successful runs, newest first, and their median before the latest.
    pub volume: Volume,
}

/// A data test's latest result on this table for this company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    pub test: String,
    pub status: String,
    pub failing: i64,
    /// Up to five failing rows, each as the JSON object the test recorded.
    pub samples: Vec<String>,
    pub error: Option<String>,
    pub run_id: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Volume {
    pub rows: Vec<i64>,
    pub median_before: Option<i64>,
}

/// The history of `row` (a freshness row), with alerts judged as freshness judges them.
pub fn history(store: &Store, row: &Row, volume_runs: u32, threshold: f64) -> Result<History> {
    let bronze = row.layer == "bronze";
    // A build makes the table for every company at once: its runs have no company.
    let filter = if bronze {
        RunFilter {
            company: Some(row.company.clone()),
            entity: Some(row.entity.clone()),
            kind: Some("extract".into()),
        }
    } else {
        RunFilter {
            company: None,
            entity: Some(row.table.clone()),
            kind: Some("build".into()),
        }
    };
    let runs = store.runs_of(&filter, RUNS)?;
    let (alert_company, alert_entity) = if bronze {
        (row.company.as_str(), row.entity.as_str())
    } else {
        ("", row.table.as_str())
    };
    let alerts = alerts::alerts(store.conn(), volume_runs, threshold)?
        .into_iter()
        .filter(|a| a.company == alert_company && a.entity == alert_entity)
        .collect();
    Ok(History {
        company: row.company.clone(),
        entity: row.entity.clone(),
        layer: row.layer.clone(),
        table: row.table.clone(),
        volume: volume(&runs),
        tests: tests(store, &row.company, &row.table)?,
        alerts,
        runs,
    })
}

fn volume(runs: &[Run]) -> Volume {
    let rows: Vec<i64> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Ok)
        .filter_map(|r| r.rows)
        .collect();
    let mut before: Vec<i64> = rows.iter().skip(1).copied().collect();
    before.sort_unstable();
    let median_before = (!before.is_empty()).then(|| {
        let n = before.len();
        if n % 2 == 1 {
            before[n / 2]
        } else {
            (before[n / 2 - 1] + before[n / 2]) / 2
        }
    });
    Volume {
        rows,
        median_before,
    }
}

fn tests(store: &Store, company: &str, table: &str) -> Result<Vec<TestResult>> {
    let mut stmt = store.conn().prepare(
        "SELECT test, arg_max(status, run_id), arg_max(failing, run_id), arg_max(samples, run_id), \
         arg_max(error, run_id), max(run_id) FROM assay.test_results \
         WHERE company = ? AND table_name = ? GROUP BY test ORDER BY test",
    )?;
    let rows = stmt.query_map(duckdb::params![company, table], |r| {
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

/// The recorded failing rows (a JSON list), one JSON object each.
fn failing_rows(samples: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(samples) {
        Ok(serde_json::Value::Array(rows)) => rows.iter().map(|r| r.to_string()).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_of_the_runs_before_the_latest() {
        let run = |rows: i64, status: RunStatus| Run {
            id: 0,
            kind: "extract".into(),
            company: None,
            entity: None,
            started: chrono::NaiveDateTime::default(),
            finished: None,
            status,
            rows: Some(rows),
            error: None,
        };
        let runs = [
            run(60, RunStatus::Ok),
            run(0, RunStatus::Failed),
            run(100, RunStatus::Ok),
            run(90, RunStatus::Ok),
            run(110, RunStatus::Ok),
        ];
        let v = volume(&runs);
        assert_eq!(
            v.rows,
            vec![60, 100, 90, 110],
            "failed runs carry no volume"
        );
        assert_eq!(v.median_before, Some(100));
        assert_eq!(volume(&runs[..1]).median_before, None);
    }
}
