//! The history behind one cell of the health grid (a company's bronze table of an entity,
//! or a model built from it): its runs, the alerts still standing, its data tests' latest
//! results with their failing rows, and its row counts against the recent runs'.

use serde::Serialize;

use super::alerts::{self, Alert};
use super::Row;
use crate::checks::record::{self, TestResult};
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
        tests: record::latest_on(store.conn(), &row.company, &row.table)?,
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
    let mut before: Vec<f64> = rows.iter().skip(1).map(|&n| n as f64).collect();
    let median_before = (!before.is_empty()).then(|| alerts::median(&mut before) as i64);
    Volume {
        rows,
        median_before,
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
