//! Running the prepared jobs: companies in parallel, rows into the bronze data table, the
//! atomic switch to the new version, and clean-up when a run fails or is cancelled.

use std::sync::Mutex;
use std::time::Instant;

use duckdb::{params, Connection};

use super::source_sql::Plan;
use super::staging;
use super::{in_source_catalog, pieces, server_query, versions, Cancel, Event, Job, Outcome};
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::source;
use crate::sql::{ident, literal};
use crate::store::{utc_now, RunStatus, Store};
use crate::warehouse::bronze;

pub(super) fn run_jobs(
    ws: &Workspace,
    store: &Store,
    catalog: &str,
    jobs: Vec<Job>,
    cancel: &Cancel,
    sink: &(dyn Fn(Event) + Sync),
) -> Result<Vec<Outcome>> {
    let configured = ws.config.workspace.parallelism;
    let cap = crate::store::memory::memory_limit(store.conn())?;
    let parallelism = super::budget::parallel_within(configured, cap).min(jobs.len().max(1));
    let queue = Mutex::new(jobs.into_iter().collect::<std::collections::VecDeque<_>>());
    let outcomes = Mutex::new(Vec::new());
    let runner = Runner {
        ws,
        catalog,
        retention: ws.config.workspace.retention,
        cancel,
        switch_lock: Mutex::new(()),
        sink,
        memory: (cap, parallelism, configured),
    };
    std::thread::scope(|scope| -> Result<()> {
        let mut workers = Vec::new();
        for _ in 0..parallelism {
            // Loading statements are interrupted by Ctrl-C; the run's bookkeeping (recording,
            // switching, closing) runs on a connection of its own that is not, so a cancelled
            // run is always closed and never half-switched.
            // Siblings, not bare clones: they start in the cache a session has attached.
            let conn = store.sibling()?;
            cancel.register(conn.interrupt_handle());
            let books = store.sibling()?;
            let (queue, outcomes, runner) = (&queue, &outcomes, &runner);
            workers.push(scope.spawn(move || {
                loop {
                    // Take the job and let the queue go before running it: a guard held in
                    // the `while let` condition would live through the whole job and make
                    // the workers take turns.
                    let next = queue.lock().expect("queue").pop_front();
                    let Some(job) = next else { break };
                    let outcome = runner.run_job(conn.conn(), books.conn(), &job);
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

/// What every job of one extraction shares.
struct Runner<'a> {
    ws: &'a Workspace,
    /// The catalog the source is attached as (a DuckDB source), or the cache's.
    catalog: &'a str,
    retention: u32,
    cancel: &'a Cancel,
    /// The version switch (and a ClickHouse warehouse's publish) is serialised: it is small
    /// next to reading the source, and DuckDB would otherwise report write conflicts
    /// between concurrent catalog updates.
    switch_lock: Mutex<()>,
    sink: &'a (dyn Fn(Event) + Sync),
    /// DuckDB's cap, the loads run at once, and the parallelism configured: named when a
    /// load runs out of memory.
    memory: (Option<u64>, usize, u32),
}

impl Runner<'_> {
    /// One company × entity: its run recorded, its rows loaded, its version switched; a
    /// failed or cancelled run leaves no rows behind and says why.
    fn run_job(&self, conn: &Connection, books: &Connection, job: &Job) -> Outcome {
        let started = Instant::now();
        let mut run_id = None;
        let result = (|| -> Result<i64> {
            let id = self.begin(books, job)?;
            run_id = Some(id);
            if let (Some(same), Some(print)) = (job.unchanged, &job.inputs) {
                super::inputs::finish_unchanged(books, id, same, print)?;
                return Ok(same.1);
            }
            let rows = self.load(conn, job, id, started)?;
            self.publish(books, job, id, rows)?;
            if let Some(print) = &job.inputs {
                super::inputs::record(books, id, print)?;
            }
            Ok(rows)
        })();
        let mut outcome = Outcome {
            company: job.company.clone(),
            entity: job.entity.clone(),
            run_id,
            status: RunStatus::Ok,
            rows: 0,
            seconds: started.elapsed().as_secs_f64(),
            error: None,
            drift_failure: false,
            unchanged: job.unchanged.is_some(),
        };
        match result {
            Ok(rows) => outcome.rows = rows,
            Err(e) => {
                outcome.status = if matches!(e, Error::Cancelled) {
                    RunStatus::Cancelled
                } else {
                    RunStatus::Failed
                };
                let (cap, parallel, configured) = self.memory;
                let message = super::budget::explained(e.to_string(), cap, parallel, configured);
                outcome.error = Some(message.clone());
                if let Some(id) = run_id {
                    // The rows of a failed run are invisible (never current); removing them
                    // keeps retries from piling up copies.
                    let _ = versions::delete_run_rows(books, &job.entity, id);
                    let _ = books.execute(
                        "UPDATE assay.runs SET status = ?, finished = ?, error = ? WHERE id = ?",
                        params![
                            outcome.status.as_str(),
                            utc_now(),
                            crate::redact::text(&message),
                            id
                        ],
                    );
                }
            }
        }
        outcome
    }

    /// The run recorded as running, with the columns it expects.
    fn begin(&self, conn: &Connection, job: &Job) -> Result<i64> {
        let run_id: i64 = conn.query_row(
            "INSERT INTO assay.runs (kind, company, entity, started, status, source) \
             VALUES ('extract', ?, ?, ?, 'running', ?) RETURNING id",
            params![
                job.company,
                job.entity,
                utc_now(),
                crate::redact::text(&job.plan.describe())
            ],
            |r| r.get(0),
        )?;
        (self.sink)(Event::Started {
            company: job.company.clone(),
            entity: job.entity.clone(),
            run_id,
            source: job.plan.describe(),
        });
        crate::store::record_run_columns(
            conn,
            run_id,
            job.columns
                .iter()
                .map(|c| (c.name.as_str(), c.type_.as_str())),
        )?;
        Ok(run_id)
    }

    /// The source's rows into the bronze data table, piece by piece; the rows loaded.
    fn load(&self, conn: &Connection, job: &Job, run_id: i64, started: Instant) -> Result<i64> {
        let mut staged = None;
        let pieces = match &job.plan {
            Plan::Server { source_name, query } => {
                let q = server_query(self.ws, source_name, query);
                let path =
                    fetch_server(self.ws, job, &q, (run_id, started), self.cancel, self.sink)?;
                let piece = (
                    source::csv_relation(&path, &job.source_columns, q.source.kind),
                    job.plan.describe(),
                    1,
                );
                staged = Some(path);
                vec![piece]
            }
            Plan::Delta { table, filter } => {
                let path = super::delta::stage(
                    self.ws,
                    job,
                    (table, filter.as_ref()),
                    (run_id, started),
                    self.cancel,
                    self.sink,
                )?;
                let piece = (
                    crate::delta::parquet_relation(&path),
                    job.plan.describe(),
                    1,
                );
                staged = Some(path);
                vec![piece]
            }
            plan => pieces(plan),
        };
        let _cleanup = staged.as_ref().map(staging::TempFile);
        let total: u64 = pieces.iter().map(|p| p.2).sum::<u64>().max(1);
        let (mut done, mut rows) = (0u64, 0i64);
        let loaded_at = utc_now();
        for (i, (relation, source, weight)) in pieces.into_iter().enumerate() {
            if self.cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let sql = format!(
                "INSERT INTO {cat}.{data} BY NAME SELECT {list}, {company} AS _company, {run_id} AS _run_id, \
                 TIMESTAMP {at} AS _loaded_at, {source} AS _source FROM {relation}",
                cat = ident(self.catalog),
                data = versions::data_table(&job.entity),
                list = job.piece_lists.get(i).unwrap_or(&job.select_list),
                company = literal(&job.company),
                at = literal(&loaded_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
                source = literal(&source),
            );
            let n = in_source_catalog(
                conn,
                self.catalog,
                &job.plan,
                || Ok(conn.execute(&sql, [])?),
            )
            .map_err(|e| e.context(format!("loading {source}")))?;
            rows += n as i64;
            done += weight;
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            (self.sink)(Event::Progress {
                company: job.company.clone(),
                entity: job.entity.clone(),
                rows,
                done_fraction: Some(done as f64 / total as f64),
                rows_per_sec: rows as f64 / secs,
            });
        }
        if self.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        if let Some(carry) = &job.carry {
            let keys = &self.ws.config.entities[&job.entity].keys;
            let place = (self.catalog, job.entity.as_str(), job.company.as_str());
            rows += super::cursor::carry_forward(conn, place, keys, (run_id, carry))?;
        }
        Ok(rows)
    }

    /// The run becomes the current version. A ClickHouse warehouse gets the run's rows and
    /// points its view at them first; the cache's switch follows, and undoes the pointer if
    /// it fails.
    fn publish(&self, conn: &Connection, job: &Job, run_id: i64, rows: i64) -> Result<()> {
        let warehouse = crate::warehouse::connect(&self.ws.config.warehouse)?;
        // From here runs take turns: the switch is tiny, and ClickHouse's CREATE TABLE IF NOT
        // EXISTS / ADD COLUMN of one table from several runs at once would race. Reading the
        // source into the cache, the long part, stays parallel.
        let _guard = self.switch_lock.lock().expect("switch lock");
        let (_, previous) = versions::kept_runs(conn, &job.entity, &job.company)?;
        if let Some(ch) = &warehouse {
            let staging = self
                .ws
                .cache_path()
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            let held = bronze::publish_run(ch, conn, &job.entity, &job.columns, run_id, &staging)?;
            if held != rows {
                return Err(Error::Runtime(format!(
                    "ClickHouse holds {held} rows of run {run_id}, the cache {rows}"
                )));
            }
            bronze::switch(ch, &job.entity, &job.company, run_id)?;
        }
        if let Err(e) = versions::switch(conn, &job.entity, &job.company, run_id, rows, utc_now()) {
            if let (Some(ch), Some(prev)) = (&warehouse, previous) {
                let _ = bronze::switch(ch, &job.entity, &job.company, prev);
            }
            return Err(e);
        }
        versions::prune(conn, &job.entity, &job.company, self.retention)?;
        if let Some(ch) = &warehouse {
            let (kept, _) = versions::kept_runs(conn, &job.entity, &job.company)?;
            // Old runs lingering after a failed prune are invisible (not current) and go next time.
            let _ = bronze::prune(ch, &job.entity, &job.company, &kept);
        }
        Ok(())
    }
}

/// Stream a server query's rows into a CSV file beside the cache.
fn fetch_server(
    ws: &Workspace,
    job: &Job,
    q: &source::ServerQuery,
    (run_id, started): (i64, Instant),
    cancel: &Cancel,
    sink: &(dyn Fn(Event) + Sync),
) -> Result<std::path::PathBuf> {
    let path = staging::run_file(ws, run_id, "csv")?;
    staging::stage_with(path, (job, started), sink, |path, report| {
        source::fetch_csv(q, path, &|| cancel.is_cancelled(), report)
    })
}
