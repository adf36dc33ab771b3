//! A dbt project as the builder of silver and gold (`[layers] dbt_project`). assay runs the
//! build command (`dbt build` by default) in the project, then reads what dbt wrote:
//! `target/manifest.json` says which model is built from what (the models view, `assay
//! models`, lineage, freshness), `target/run_results.json` how each model and test went.
//! Each model's result becomes a build run in the catalog (with its rows per company, counted
//! in the cache when the layers live there), each test's a data test verdict, so history and
//! the health view show a dbt build as they show a native one.

mod manifest;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use manifest::{DbtTest, Manifest};

use crate::build::{BuildStatus, Model, ModelOutcome};
use crate::checks::{Outcome, TestStatus};
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::store::{RunStatus, Store};

/// The dbt project folder of a workspace, if it has one.
pub fn project(ws: &Workspace) -> Option<PathBuf> {
    ws.config.layers.dbt_project.as_deref().map(|p| ws.path(p))
}

/// The project's manifest.
pub fn manifest(project: &Path) -> Result<Manifest> {
    Manifest::load(&manifest::path_in(project))
}

/// The project's manifest, or None before dbt first wrote one.
pub fn built(project: &Path) -> Result<Option<Manifest>> {
    match manifest::path_in(project).exists() {
        true => manifest(project).map(Some),
        false => Ok(None),
    }
}

/// The project's models, as assay's models; none before dbt first wrote its manifest.
pub fn models(project: &Path) -> Result<Vec<Model>> {
    Ok(built(project)?
        .map(|m| m.models(project))
        .unwrap_or_default())
}

#[derive(Debug, Deserialize)]
struct RunResults {
    results: Vec<NodeResult>,
}

#[derive(Debug, Deserialize)]
struct NodeResult {
    unique_id: String,
    status: String,
    #[serde(default)]
    execution_time: f64,
    message: Option<String>,
    failures: Option<i64>,
}

/// `target/run_results.json`, when dbt wrote it during this build (at or after `since`).
fn run_results(project: &Path, since: std::time::SystemTime) -> Result<RunResults> {
    let path = project.join("target").join("run_results.json");
    let written = path.metadata().and_then(|m| m.modified()).ok();
    if written.is_none_or(|at| at < since) {
        return Err(Error::Runtime(format!(
            "dbt wrote no {} during this build: did the build command run dbt in {}?",
            path.display(),
            project.display()
        )));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::Runtime(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Runtime(format!(
            "{}: not dbt run results, line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// Record what a dbt build did (it started at `started_at`, file time `since`): a build run
/// per model, a data test verdict per test. The cache is open for writing.
pub fn record(
    ws: &Workspace,
    store: &Store,
    started_at: chrono::NaiveDateTime,
    since: std::time::SystemTime,
) -> Result<Vec<ModelOutcome>> {
    let project =
        project(ws).ok_or_else(|| Error::Usage("layers.dbt_project is not set".into()))?;
    let manifest = manifest(&project)?;
    let results = run_results(&project, since)?;
    let models = manifest.models(&project);
    let in_cache =
        crate::warehouse::dialect(&ws.config.warehouse) == crate::dialect::Dialect::DuckDb;
    let mut outcomes = Vec::new();
    for r in &results.results {
        let Some(table) = manifest.model_table(&r.unique_id) else {
            continue;
        };
        let model = models.iter().find(|m| m.qualified() == table);
        let file = model
            .map(|m| m.path.display().to_string())
            .unwrap_or_default();
        outcomes.push(record_model(
            store,
            (&table, file),
            r,
            started_at,
            in_cache,
        )?);
    }
    let tests = test_outcomes(&manifest.tests(), &results.results);
    if !tests.is_empty() {
        crate::checks::record::record(store, &tests)?;
    }
    Ok(outcomes)
}

fn record_model(
    store: &Store,
    (table, file): (&str, String),
    r: &NodeResult,
    started_at: chrono::NaiveDateTime,
    in_cache: bool,
) -> Result<ModelOutcome> {
    let run_id = store.begin_run_at("build", None, Some(table), started_at)?;
    let (status, rows, error) = match r.status.as_str() {
        "success" if in_cache => {
            let (layer, name) = table.split_once('.').unwrap_or(("", table));
            let target = format!("{}.{}", crate::sql::ident(layer), crate::sql::ident(name));
            let rows =
                store.transaction(|conn| crate::build::record_built(conn, &target, run_id))?;
            (BuildStatus::Ok, Some(rows), None)
        }
        "success" => {
            store.finish_run(run_id, RunStatus::Ok, None, None)?;
            (BuildStatus::Ok, None, None)
        }
        other => {
            let message = format!(
                "{file}: dbt says {other}: {}",
                r.message.as_deref().unwrap_or("no message")
            );
            store.finish_run(run_id, RunStatus::Failed, None, Some(&message))?;
            let status = if other == "skipped" {
                BuildStatus::Skipped
            } else {
                BuildStatus::Failed
            };
            (status, None, Some(message))
        }
    };
    Ok(ModelOutcome {
        model: table.to_string(),
        file,
        status,
        rows,
        seconds: r.execution_time,
        error,
    })
}

/// Each test dbt ran, as a verdict on its table (dbt tests are not cut by company: `*`).
fn test_outcomes(tests: &[DbtTest], results: &[NodeResult]) -> Vec<Outcome> {
    results
        .iter()
        .filter_map(|r| {
            let t = tests.iter().find(|t| t.id == r.unique_id)?;
            let status = match r.status.as_str() {
                "pass" => TestStatus::Pass,
                "warn" => TestStatus::Warn,
                "fail" => TestStatus::Fail,
                _ => TestStatus::Error,
            };
            Some(Outcome {
                test: t.name.clone(),
                kind: format!("dbt {}", t.kind),
                table: t.table.clone(),
                company: "*".into(),
                columns: t.column.iter().cloned().collect(),
                severity: t.severity,
                status,
                failing: r.failures.unwrap_or(0),
                samples: Vec::new(),
                error: (status != TestStatus::Pass)
                    .then(|| r.message.clone())
                    .flatten(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
