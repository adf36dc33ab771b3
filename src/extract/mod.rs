//! The generic extractor: ONE definition per entity, run for any company, into versioned
//! bronze tables with load metadata (`_company`, `_run_id`, `_loaded_at`, `_source`).

mod cancel;
pub mod drift;
mod source_sql;
pub mod versions;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use duckdb::{params, Connection};
use serde::Serialize;

pub use cancel::Cancel;
use drift::{ColumnDef, Drift};
use source_sql::Plan;

use crate::config::{OnDrift, Workspace};
use crate::error::{Error, Result};
use crate::source;
use crate::sql::{ident, literal};
use crate::store::{utc_now, RunStatus, Store};

/// Which companies and entities to extract; empty means all.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub companies: Vec<String>,
    pub entities: Vec<String>,
}

/// What an extraction reports while it works. The CLI prints these; the TUI draws them.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        company: String,
        entity: String,
        run_id: i64,
        source: String,
    },
    Progress {
        company: String,
        entity: String,
        rows: i64,
        done_fraction: Option<f64>,
        rows_per_sec: f64,
    },
    Drift {
        company: String,
        entity: String,
        drift: Drift,
    },
    Finished {
        outcome: Outcome,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub company: String,
    pub entity: String,
    pub run_id: Option<i64>,
    pub status: RunStatus,
    pub rows: i64,
    pub seconds: f64,
    pub error: Option<String>,
    /// True when the run failed because the source schema drifted.
    pub drift_failure: bool,
}

/// The work for one company once its schema is settled.
struct Job {
    company: String,
    entity: String,
    plan: Plan,
    select_list: String,
    /// As the source names them, and as bronze does (renames applied).
    source_columns: Vec<ColumnDef>,
    columns: Vec<ColumnDef>,
}

pub fn run(
    ws: &Workspace,
    store: &Store,
    selection: &Selection,
    cancel: &Cancel,
    sink: &(dyn Fn(Event) + Sync),
) -> Result<Vec<Outcome>> {
    let companies = pick("company", &selection.companies, ws.config.companies.keys())?;
    let entities = pick("entity", &selection.entities, ws.config.entities.keys())?;
    let conn = store.conn();
    cancel.register(store.interrupt_handle());
    versions::recover_stale_runs(conn)?;
    let catalog: String = conn.query_row("SELECT current_database()", [], |r| r.get(0))?;
    let mut outcomes = Vec::new();
    for entity in &entities {
        let mut jobs = Vec::new();
        for company in &companies {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            match prepare(ws, conn, &catalog, entity, company, sink) {
                Ok(job) => jobs.push(job),
                Err((message, drift_failure)) => {
                    let run_id = store.begin_run("extract", Some(company), Some(entity))?;
                    store.finish_run(run_id, RunStatus::Failed, None, Some(&message))?;
                    let outcome = Outcome {
                        company: company.clone(),
                        entity: entity.clone(),
                        run_id: Some(run_id),
                        status: RunStatus::Failed,
                        rows: 0,
                        seconds: 0.0,
                        error: Some(message),
                        drift_failure,
                    };
                    sink(Event::Finished {
                        outcome: outcome.clone(),
                    });
                    outcomes.push(outcome);
                }
            }
        }
        if versions::table_exists(conn, versions::LAYER, &format!("{entity}__data"))? {
            versions::create_view(conn, entity)?;
        }
        outcomes.extend(run_jobs(ws, store, &catalog, jobs, cancel, sink)?);
    }
    Ok(outcomes)
}

fn pick<'a>(
    what: &str,
    asked: &[String],
    known: impl Iterator<Item = &'a String>,
) -> Result<Vec<String>> {
    let known: Vec<String> = known.cloned().collect();
    if asked.is_empty() {
        return Ok(known);
    }
    for a in asked {
        if !known.contains(a) {
            return Err(Error::Usage(format!(
                "unknown {what} `{a}`; known: {}",
                known.join(", ")
            )));
        }
    }
    Ok(asked.to_vec())
}

/// Read the source's schema, check it for drift, and make the bronze table ready for it.
/// An Err is (message, caused by drift).
fn prepare(
    ws: &Workspace,
    conn: &Connection,
    catalog: &str,
    entity: &str,
    company: &str,
    sink: &(dyn Fn(Event) + Sync),
) -> std::result::Result<Job, (String, bool)> {
    let def = &ws.config.entities[entity];
    let runtime = |e: Error| (e.to_string(), false);
    let plan = source_sql::plan(ws, entity, def, company).map_err(runtime)?;
    let source_columns = match &plan {
        Plan::Server { source_name, query } => {
            source::describe(&server_query(ws, source_name, query)).map_err(runtime)?
        }
        _ => describe(conn, catalog, &plan).map_err(runtime)?,
    };
    let mut renames = def.rename.clone();
    if let Some(o) = def.overrides.get(company) {
        renames.extend(o.rename.clone());
    }
    let columns: Vec<ColumnDef> = source_columns
        .iter()
        .map(|c| ColumnDef::new(renames.get(&c.name).unwrap_or(&c.name), &c.type_))
        .collect();
    let expected = expected_columns(conn, entity, company).map_err(runtime)?;
    let drift = expected
        .as_ref()
        .map(|e| drift::detect(e, &columns))
        .unwrap_or_default();
    for d in &drift {
        sink(Event::Drift {
            company: company.into(),
            entity: entity.into(),
            drift: d.clone(),
        });
    }
    let breaking: Vec<String> = drift
        .iter()
        .filter(|d| d.is_breaking())
        .map(|d| d.to_string())
        .collect();
    if !breaking.is_empty() && def.on_drift == OnDrift::Fail {
        let hint = if drift.iter().any(|d| matches!(d, Drift::Renamed { .. })) {
            format!(" (under [entities.{entity}.overrides.{company}])")
        } else {
            String::new()
        };
        return Err((
            format!(
                "schema drift in {entity} for {company} (on_drift = \"fail\"): {}{hint}",
                breaking.join("; ")
            ),
            true,
        ));
    }
    ensure_table(conn, entity, &columns).map_err(runtime)?;
    let select_list = source_columns
        .iter()
        .zip(&columns)
        .map(|(s, c)| format!("{} AS {}", ident(&s.name), ident(&c.name)))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Job {
        company: company.into(),
        entity: entity.into(),
        plan,
        select_list,
        source_columns,
        columns,
    })
}

fn server_query<'a>(
    ws: &'a Workspace,
    source_name: &'a str,
    query: &str,
) -> source::ServerQuery<'a> {
    source::ServerQuery {
        source_name,
        source: &ws.config.sources[source_name],
        query: query.to_string(),
    }
}

/// The relation for each piece of a plan, with its share of the work (bytes for files).
fn pieces(plan: &Plan) -> Vec<(String, String, u64)> {
    match plan {
        Plan::Files { format, files } => files
            .iter()
            .map(|(path, size)| {
                (
                    source_sql::file_relation(*format, path),
                    path.display().to_string(),
                    *size,
                )
            })
            .collect(),
        Plan::Duckdb { alias, query, path } => {
            vec![(
                source_sql::duckdb_relation(alias, query),
                path.display().to_string(),
                1,
            )]
        }
        // Read once fetched; see `fetch_server`.
        Plan::Server { .. } => Vec::new(),
    }
}

/// Run `work` with the source's catalog as the default (for unqualified names in a source
/// query), switching back afterwards whatever happens.
fn in_source_catalog<T>(
    conn: &Connection,
    catalog: &str,
    plan: &Plan,
    work: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let Plan::Duckdb { path, alias, .. } = plan else {
        return work();
    };
    conn.execute_batch(&source_sql::attach(path, alias))
        .map_err(|e| {
            Error::Runtime(format!(
                "cannot open source database {}: {e}",
                path.display()
            ))
        })?;
    conn.execute_batch(&format!("USE {}", ident(alias)))?;
    let result = work();
    conn.execute_batch(&format!("USE {}", ident(catalog)))?;
    result
}

fn describe(conn: &Connection, catalog: &str, plan: &Plan) -> Result<Vec<ColumnDef>> {
    let (relation, source, _) = pieces(plan)
        .into_iter()
        .next()
        .ok_or_else(|| Error::Runtime("nothing to read".into()))?;
    in_source_catalog(conn, catalog, plan, || {
        let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {relation}"))?;
        let rows = stmt.query_map([], |r| {
            Ok(ColumnDef::new(
                &r.get::<_, String>(0)?,
                &r.get::<_, String>(1)?,
            ))
        })?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Runtime(format!("reading {source}: {e}")))
    })
    .map_err(|e| match e {
        Error::Runtime(m) if !m.contains(&source) => {
            Error::Runtime(format!("reading {source}: {m}"))
        }
        other => other,
    })
}

/// The columns this company delivered last time, or (first load) the bronze table's.
fn expected_columns(
    conn: &Connection,
    entity: &str,
    company: &str,
) -> Result<Option<Vec<ColumnDef>>> {
    let last: Vec<ColumnDef> = {
        let mut stmt = conn.prepare(
            "SELECT c.name, c.type FROM assay.run_columns c WHERE c.run_id = \
               (SELECT max(id) FROM assay.runs WHERE kind = 'extract' AND entity = ? AND company = ? AND status = 'ok') \
             ORDER BY c.ordinal",
        )?;
        let rows = stmt.query_map(params![entity, company], |r| {
            Ok(ColumnDef::new(
                &r.get::<_, String>(0)?,
                &r.get::<_, String>(1)?,
            ))
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    if !last.is_empty() {
        return Ok(Some(last));
    }
    let table = table_columns(conn, entity)?;
    Ok((!table.is_empty()).then_some(table))
}

fn table_columns(conn: &Connection, entity: &str) -> Result<Vec<ColumnDef>> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_schema = ? AND table_name = ? AND column_name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY ordinal_position",
    )?;
    let rows = stmt.query_map(params![versions::LAYER, format!("{entity}__data")], |r| {
        Ok(ColumnDef::new(
            &r.get::<_, String>(0)?,
            &r.get::<_, String>(1)?,
        ))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Create the bronze data table, or add the columns it lacks (schema merge).
fn ensure_table(conn: &Connection, entity: &str, columns: &[ColumnDef]) -> Result<()> {
    let data = versions::data_table(entity);
    if !versions::table_exists(conn, versions::LAYER, &format!("{entity}__data"))? {
        let mut defs: Vec<String> = columns
            .iter()
            .map(|c| format!("{} {}", ident(&c.name), c.type_))
            .collect();
        defs.extend([
            "_company VARCHAR NOT NULL".to_string(),
            "_run_id BIGINT NOT NULL".into(),
            "_loaded_at TIMESTAMP NOT NULL".into(),
            "_source VARCHAR".into(),
        ]);
        conn.execute_batch(&format!("CREATE TABLE {data} ({})", defs.join(", ")))?;
        return Ok(());
    }
    let existing = table_columns(conn, entity)?;
    for c in columns {
        if !existing.iter().any(|e| e.name == c.name) {
            conn.execute_batch(&format!(
                "ALTER TABLE {data} ADD COLUMN {} {}",
                ident(&c.name),
                c.type_
            ))?;
        }
    }
    Ok(())
}

fn run_jobs(
    ws: &Workspace,
    store: &Store,
    catalog: &str,
    jobs: Vec<Job>,
    cancel: &Cancel,
    sink: &(dyn Fn(Event) + Sync),
) -> Result<Vec<Outcome>> {
    let parallelism = (ws.config.workspace.parallelism.max(1) as usize).min(jobs.len().max(1));
    let queue = Mutex::new(jobs.into_iter().collect::<std::collections::VecDeque<_>>());
    let outcomes = Mutex::new(Vec::new());
    // The version switch is serialised: it is tiny, and DuckDB would otherwise report
    // write conflicts between concurrent catalog updates.
    let switch_lock = Mutex::new(());
    let retention = ws.config.workspace.retention;
    std::thread::scope(|scope| -> Result<()> {
        let mut workers = Vec::new();
        for _ in 0..parallelism {
            let conn = store.conn().try_clone()?;
            cancel.register(conn.interrupt_handle());
            let (queue, outcomes, switch_lock) = (&queue, &outcomes, &switch_lock);
            workers.push(scope.spawn(move || {
                while let Some(job) = queue.lock().expect("queue").pop_front() {
                    let outcome = run_job(
                        ws,
                        &conn,
                        catalog,
                        &job,
                        retention,
                        cancel,
                        switch_lock,
                        sink,
                    );
                    sink(Event::Finished {
                        outcome: outcome.clone(),
                    });
                    outcomes.lock().expect("outcomes").push(outcome);
                }
            }));
        }
        for w in workers {
            w.join()
                .map_err(|_| Error::Runtime("an extraction worker panicked".into()))?;
        }
        Ok(())
    })?;
    let mut outcomes = outcomes.into_inner().expect("outcomes");
    outcomes.sort_by(|a, b| (&a.entity, &a.company).cmp(&(&b.entity, &b.company)));
    Ok(outcomes)
}

#[allow(clippy::too_many_arguments)]
fn run_job(
    ws: &Workspace,
    conn: &Connection,
    catalog: &str,
    job: &Job,
    retention: u32,
    cancel: &Cancel,
    switch_lock: &Mutex<()>,
    sink: &(dyn Fn(Event) + Sync),
) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome {
        company: job.company.clone(),
        entity: job.entity.clone(),
        run_id: None,
        status: RunStatus::Failed,
        rows: 0,
        seconds: 0.0,
        error: None,
        drift_failure: false,
    };
    let result = (|| -> Result<i64> {
        let run_id: i64 = conn.query_row(
            "INSERT INTO assay.runs (kind, company, entity, started, status, source) \
             VALUES ('extract', ?, ?, ?, 'running', ?) RETURNING id",
            params![job.company, job.entity, utc_now(), job.plan.describe()],
            |r| r.get(0),
        )?;
        outcome.run_id = Some(run_id);
        sink(Event::Started {
            company: job.company.clone(),
            entity: job.entity.clone(),
            run_id,
            source: job.plan.describe(),
        });
        for (i, c) in job.columns.iter().enumerate() {
            conn.execute(
                "INSERT INTO assay.run_columns VALUES (?, ?, ?, ?)",
                params![run_id, i as i32, c.name, c.type_],
            )?;
        }
        let mut staged = None;
        let pieces = match &job.plan {
            Plan::Server { source_name, query } => {
                let path = fetch_server(ws, job, source_name, query, run_id, started, sink)?;
                let piece = (
                    source::csv_relation(&path, &job.source_columns),
                    job.plan.describe(),
                    1,
                );
                staged = Some(path);
                vec![piece]
            }
            plan => pieces(plan),
        };
        let _cleanup = staged.as_ref().map(TempFile);
        let total: u64 = pieces.iter().map(|p| p.2).sum::<u64>().max(1);
        let (mut done, mut rows) = (0u64, 0i64);
        let loaded_at = utc_now();
        for (relation, source, weight) in pieces {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let sql = format!(
                "INSERT INTO {cat}.{data} BY NAME SELECT {list}, {company} AS _company, {run_id} AS _run_id, \
                 TIMESTAMP {at} AS _loaded_at, {source} AS _source FROM {relation}",
                cat = ident(catalog),
                data = versions::data_table(&job.entity),
                list = job.select_list,
                company = literal(&job.company),
                at = literal(&loaded_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
                source = literal(&source),
            );
            let n = in_source_catalog(conn, catalog, &job.plan, || Ok(conn.execute(&sql, [])?))
                .map_err(|e| match e {
                    Error::Runtime(m) => Error::Runtime(format!("loading {source}: {m}")),
                    other => other,
                })?;
            rows += n as i64;
            done += weight;
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            sink(Event::Progress {
                company: job.company.clone(),
                entity: job.entity.clone(),
                rows,
                done_fraction: Some(done as f64 / total as f64),
                rows_per_sec: rows as f64 / secs,
            });
        }
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let _guard = switch_lock.lock().expect("switch lock");
        versions::switch(conn, &job.entity, &job.company, run_id, rows, utc_now())?;
        versions::prune(conn, &job.entity, &job.company, retention)?;
        Ok(rows)
    })();
    outcome.seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(rows) => {
            outcome.status = RunStatus::Ok;
            outcome.rows = rows;
        }
        Err(e) => {
            let status = if matches!(e, Error::Cancelled) {
                RunStatus::Cancelled
            } else {
                RunStatus::Failed
            };
            outcome.status = status;
            outcome.error = Some(e.to_string());
            if let Some(run_id) = outcome.run_id {
                // The rows of a failed run are invisible (never current); removing them keeps
                // retries from piling up copies.
                let _ = versions::delete_run_rows(conn, &job.entity, run_id);
                let _ = conn.execute(
                    "UPDATE assay.runs SET status = ?, finished = ?, error = ? WHERE id = ?",
                    params![status.as_str(), utc_now(), e.to_string(), run_id],
                );
            }
        }
    }
    outcome
}

/// Removes a staged file when the run is done with it, however it ends.
struct TempFile<'a>(&'a std::path::PathBuf);

impl Drop for TempFile<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

/// Stream a server query's rows into a CSV file beside the cache.
fn fetch_server(
    ws: &Workspace,
    job: &Job,
    source_name: &str,
    query: &str,
    run_id: i64,
    started: Instant,
    sink: &(dyn Fn(Event) + Sync),
) -> Result<std::path::PathBuf> {
    let dir = ws
        .cache_path()
        .parent()
        .map_or_else(std::env::temp_dir, |p| p.join("tmp"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Runtime(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("run_{run_id}.csv"));
    let q = server_query(ws, source_name, query);
    let mut report = |rows: u64| {
        sink(Event::Progress {
            company: job.company.clone(),
            entity: job.entity.clone(),
            rows: rows as i64,
            done_fraction: None,
            rows_per_sec: rows as f64 / started.elapsed().as_secs_f64().max(1e-9),
        })
    };
    match source::fetch_csv(&q, &path, &mut report) {
        Ok(_) => Ok(path),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

/// Rows per company and entity in the current versions, for summaries.
pub fn current_rows(conn: &Connection) -> Result<BTreeMap<(String, String), i64>> {
    let mut stmt = conn.prepare(
        "SELECT table_name, company, rows FROM assay.table_versions WHERE layer = 'bronze' AND is_current",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            r.get::<_, i64>(2)?,
        ))
    })?;
    Ok(rows.collect::<Result<BTreeMap<_, _>, _>>()?)
}
