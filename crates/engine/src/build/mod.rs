//! Building silver and gold: the SQL models in dependency order, or an external command.

pub mod dbt;
pub mod lineage;
pub mod models;
mod parallel;
pub(crate) mod statement;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Instant;

use duckdb::params;
use serde::Serialize;

pub use models::{Model, MODEL_LAYERS};

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::sql::ident;
use crate::store::{RunStatus, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildStatus {
    Ok,
    Failed,
    /// Not run because a model it reads failed.
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelOutcome {
    pub model: String,
    pub file: String,
    pub status: BuildStatus,
    pub rows: Option<i64>,
    pub seconds: f64,
    pub error: Option<String>,
}

/// Which models to build: names (`fct_sales`, `gold.fct_sales`) or whole layers (`gold`).
/// A selected model brings nothing else along; an empty selection builds everything.
pub fn select(all: &[Model], selection: &[String]) -> Result<Vec<bool>> {
    if selection.is_empty() {
        return Ok(vec![true; all.len()]);
    }
    let mut chosen = vec![false; all.len()];
    for s in selection {
        let mut hit = false;
        for (i, m) in all.iter().enumerate() {
            if *s == m.layer || *s == m.name || *s == m.qualified() {
                chosen[i] = true;
                hit = true;
            }
        }
        if !hit {
            let known: Vec<String> = all.iter().map(Model::qualified).collect();
            return Err(Error::Usage(format!(
                "--select {s}: no such model or layer; models: {}",
                known.join(", ")
            )));
        }
    }
    Ok(chosen)
}

/// Build the selected models. A failing model is reported with its file and the database's
/// message; models reading it (directly or not) are skipped; the others still build.
/// `cancel` (Ctrl-C) stops the model being built (its run recorded as cancelled) and the
/// models after it.
pub fn run(
    ws: &Workspace,
    store: &Store,
    selection: &[String],
    cancel: &std::sync::Arc<crate::cancel::Cancel>,
    sink: &dyn Fn(&ModelOutcome),
) -> Result<Vec<ModelOutcome>> {
    if ws.config.layers.external() {
        return Err(Error::Usage(
            "layers.build_command or dbt_project is set: use build::run_external".into(),
        ));
    }
    let all = models::discover(&ws.models_dir())?;
    if all.is_empty() {
        return Err(Error::Usage(format!(
            "no models in {}/silver or /gold",
            ws.models_dir().display()
        )));
    }
    let chosen = select(&all, selection)?;
    let order = models::order(&all)?;
    // A ClickHouse warehouse builds there; the cache keeps the record of every run.
    let warehouse = crate::warehouse::connect(&ws.config.warehouse)?;
    if let Some(ch) = &warehouse {
        ch.watch(Some(cancel.clone()));
    }
    // A failed model's error may quote a value (a failed CAST): recorded and shown masked.
    let policy = lineage::personal(ws, store)?;
    let order: Vec<usize> = order.into_iter().filter(|&i| chosen[i]).collect();
    let threads = ws.config.workspace.threads as usize;
    if threads > 1 && order.len() > 1 {
        return parallel::run(ws, store, (&all, order), (&policy, cancel), threads, sink);
    }
    let mut broken: BTreeSet<String> = BTreeSet::new();
    let mut outcomes = Vec::new();
    for i in order {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let model = &all[i];
        let outcome = match model.reads.iter().find(|r| broken.contains(*r)) {
            Some(cause) => skipped(model, cause),
            None => build_one(store, warehouse.as_ref(), model, &policy)?,
        };
        if outcome.status != BuildStatus::Ok {
            broken.insert(model.qualified());
        }
        sink(&outcome);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// A model not built because `cause`, which it reads, failed (or was skipped).
fn skipped(model: &Model, cause: &str) -> ModelOutcome {
    ModelOutcome {
        model: model.qualified(),
        file: model.path.display().to_string(),
        status: BuildStatus::Skipped,
        rows: None,
        seconds: 0.0,
        error: Some(format!("skipped: it reads {cause}, which failed")),
    }
}

fn build_one(
    store: &Store,
    warehouse: Option<&crate::warehouse::ClickHouse>,
    model: &Model,
    policy: &crate::pii::Policy,
) -> Result<ModelOutcome> {
    let started = Instant::now();
    let run_id = store.begin_run("build", None, Some(&model.qualified()))?;
    let target = format!("{}.{}", ident(&model.layer), ident(&model.name));
    let result =
        checked_query(store, warehouse.is_some(), model).and_then(|body| match warehouse {
            Some(ch) => build_on_clickhouse(ch, model, body).and_then(|built| {
                let rows = built.rows;
                store.transaction(|conn| {
                    crate::store::record_run_columns(conn, run_id, columns_of(&built.columns))?;
                    let has_company = built.per_company.is_some();
                    let per_company = built.per_company.unwrap_or_default();
                    record_company_rows(conn, run_id, rows, &per_company, has_company)
                })?;
                store.finish_run(run_id, RunStatus::Ok, Some(rows), None)?;
                Ok(rows)
            }),
            None => build_in_cache(store, &target, body, run_id),
        });
    let seconds = started.elapsed().as_secs_f64();
    let file = model.path.display().to_string();
    Ok(match result {
        Ok(rows) => ModelOutcome {
            model: model.qualified(),
            file,
            status: BuildStatus::Ok,
            rows: Some(rows),
            seconds,
            error: None,
        },
        Err(Error::Cancelled) => {
            store.finish_run(run_id, RunStatus::Cancelled, None, Some("cancelled"))?;
            return Err(Error::Cancelled);
        }
        Err(e) => {
            let message = policy.quiet(&format!("{file}: {e}"));
            store.finish_run(run_id, RunStatus::Failed, None, Some(&message))?;
            ModelOutcome {
                model: model.qualified(),
                file,
                status: BuildStatus::Failed,
                rows: None,
                seconds,
                error: Some(message),
            }
        }
    })
}

/// The model's one query, or why the file is refused: more than one statement, anything
/// but a SELECT, or a read of the model's own table (each build would feed on the last).
fn checked_query<'m>(store: &Store, on_clickhouse: bool, model: &'m Model) -> Result<&'m str> {
    let refuse = Error::Usage;
    if model.reads.contains(&model.qualified()) {
        return Err(refuse(format!(
            "reads its own table {}; build it from the tables it comes from",
            model.qualified()
        )));
    }
    let query = statement::single_query(&model.sql).map_err(refuse)?;
    // ClickHouse's dialect is not DuckDB's, and its HTTP interface runs one statement only.
    if !on_clickhouse {
        statement::confirm_select(store.conn(), &query).map_err(refuse)?;
    }
    Ok(query.text)
}

/// (name, type) pairs as the catalog records them.
fn columns_of(columns: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    columns.iter().map(|(n, t)| (n.as_str(), t.as_str()))
}

/// A build's rows per company; a table without a company column is recorded whole, as '*'.
fn record_company_rows(
    conn: &duckdb::Connection,
    run_id: i64,
    rows: i64,
    per_company: &[(String, i64)],
    has_company: bool,
) -> Result<()> {
    let whole = [("*".to_string(), rows)];
    let list = if has_company { per_company } else { &whole[..] };
    for (company, n) in list {
        conn.execute(
            "INSERT INTO assay.run_company_rows VALUES (?, ?, ?)",
            params![run_id, company, n],
        )?;
    }
    Ok(())
}

/// `CREATE OR REPLACE TABLE layer.name AS <model>` in the cache, with the run, in one transaction.
/// The model follows `AS` on the same line, so the database's line numbers are the file's.
fn build_in_cache(store: &Store, target: &str, body: &str, run_id: i64) -> Result<i64> {
    store.transaction(|conn| {
        conn.execute_batch(&format!("CREATE OR REPLACE TABLE {target} AS {body}\n"))?;
        record_built(conn, target, run_id)
    })
}

/// A table just built in the cache (by assay or by dbt), recorded with its run: rows,
/// columns and rows per company; the run is marked ok.
pub(crate) fn record_built(conn: &duckdb::Connection, target: &str, run_id: i64) -> Result<i64> {
    {
        let rows: i64 =
            conn.query_row(&format!("SELECT count(*) FROM {target}"), [], |r| r.get(0))?;
        let columns: Vec<(String, String)> = {
            let mut stmt = conn.prepare(&format!("DESCRIBE {target}"))?;
            let described = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            described.collect::<std::result::Result<_, _>>()?
        };
        let per_company = match crate::drift::company_column(&columns) {
            Some(c) => {
                let mut stmt = conn.prepare(&format!(
                    "SELECT CAST({c} AS VARCHAR), count(*) FROM {target} WHERE {c} IS NOT NULL GROUP BY 1",
                    c = ident(c)
                ))?;
                let found = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                found.collect::<std::result::Result<Vec<_>, _>>()?
            }
            None => Vec::new(),
        };
        crate::store::record_run_columns(conn, run_id, columns_of(&columns))?;
        record_company_rows(
            conn,
            run_id,
            rows,
            &per_company,
            crate::drift::company_column(&columns).is_some(),
        )?;
        conn.execute(
            "UPDATE assay.runs SET status = 'ok', rows = ?, finished = ? WHERE id = ?",
            params![rows, crate::store::utc_now(), run_id],
        )?;
        Ok(rows)
    }
}

/// The model (ClickHouse SQL, layer names pointed at this warehouse's databases) built in
/// the warehouse.
fn build_on_clickhouse(
    ch: &crate::warehouse::ClickHouse,
    model: &Model,
    body: &str,
) -> Result<crate::warehouse::models::Built> {
    let db = crate::warehouse::layer_database(ch, &model.layer);
    let sql = crate::warehouse::qualify_layers(ch.database(), body);
    crate::warehouse::models::build(ch, &db, &model.name, &sql)
}

/// Run `layers.build_command` (e.g. `dbt build`) in the workspace folder, or in the dbt
/// project (`dbt build` when no command is given). The cache is closed while it runs: a
/// builder writing to the same DuckDB file needs its lock. A dbt build is then recorded
/// model by model and test by test; the command's own outcome comes last.
pub fn run_external(ws: &Workspace) -> Result<Vec<ModelOutcome>> {
    let dbt = dbt::project(ws);
    let command = match (&ws.config.layers.build_command, &dbt) {
        (Some(c), _) => c.as_str(),
        (None, Some(_)) => "dbt build",
        (None, None) => return Err(Error::Usage("layers.build_command is not set".into())),
    };
    let dir = dbt.clone().unwrap_or_else(|| ws.root.clone());
    let started = Instant::now();
    let started_at = crate::store::utc_now();
    // File times are coarser than the clock on some file systems: a second of slack.
    let since = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
    // The cache is closed while the builder runs, so the run is written when it is over: a
    // row left `running` meanwhile would be taken for a dead process's when the cache reopens.
    Store::open(&ws.cache_path())?;
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(&dir)
        .env("ASSAY_CACHE", ws.cache_path())
        .output()
        .map_err(|e| {
            Error::Runtime(format!(
                "layers.build_command `{command}` could not start: {e}"
            ))
        })?;
    let seconds = started.elapsed().as_secs_f64();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let tail: String = log
        .lines()
        .rev()
        .take(20)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    let ok = output.status.success();
    let error = (!ok).then(|| format!("`{command}` exited with {}:\n{tail}", output.status));
    let store = Store::open(&ws.cache_path())?;
    let recorded = dbt
        .as_ref()
        .map(|_| dbt::record(ws, &store, started_at, since));
    let mut outcomes = match recorded {
        None => Vec::new(),
        Some(Ok(models)) => models,
        // dbt that did not get as far as running anything: its log says why, below.
        Some(Err(_)) if !ok => Vec::new(),
        Some(Err(e)) => return Err(e),
    };
    let run_id = store.begin_run_at("build", None, Some("external"), started_at)?;
    store.finish_run(
        run_id,
        if ok { RunStatus::Ok } else { RunStatus::Failed },
        None,
        error.as_deref(),
    )?;
    outcomes.push(ModelOutcome {
        model: "external".into(),
        file: command.into(),
        status: if ok {
            BuildStatus::Ok
        } else {
            BuildStatus::Failed
        },
        rows: None,
        seconds,
        error,
    });
    Ok(outcomes)
}
