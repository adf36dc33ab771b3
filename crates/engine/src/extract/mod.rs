//! The generic extractor: ONE definition per entity, run for any company, into versioned
//! bronze tables with load metadata (`_company`, `_run_id`, `_loaded_at`, `_source`).

pub mod budget;
pub mod cursor;
mod delta;
mod files;
mod inputs;
mod load;
mod source_sql;
mod staging;
pub mod versions;

use duckdb::{params, Connection};
use serde::Serialize;

// Re-exported where callers have always found them.
pub use crate::cancel::Cancel;
pub use crate::drift;
use crate::drift::{ColumnDef, Drift};
use source_sql::Plan;

use crate::config::{OnDrift, Workspace};
use crate::error::{Error, Result};
use crate::source;
use crate::sql::ident;
use crate::store::{RunStatus, Store};

/// Which companies and entities to extract; empty means all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub companies: Vec<String>,
    pub entities: Vec<String>,
    /// Read every source again, even files unchanged since the last run.
    pub full_refresh: bool,
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
    /// True when the files were those of the last run, not read again (its version stays).
    pub unchanged: bool,
}

/// The work for one company once its schema is settled.
struct Job {
    company: String,
    entity: String,
    plan: Plan,
    select_list: String,
    /// Each file's own select list, when a plan reads several (a file may name a column
    /// as a rename maps it); empty: `select_list` for every piece.
    piece_lists: Vec<String>,
    /// As the source names them, and as bronze does (renames applied).
    source_columns: Vec<ColumnDef>,
    columns: Vec<ColumnDef>,
    /// What a files plan reads (see `inputs`), recorded with the run.
    inputs: Option<String>,
    /// The files are those of this earlier run, whose version (of these rows) is current.
    unchanged: Option<(i64, i64)>,
    /// An incremental read: the current version it builds on (its rows not read again are
    /// carried into the new version).
    carry: Option<cursor::Carry>,
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
    inputs::forget_databases();
    let catalog: String = conn.query_row("SELECT current_database()", [], |r| r.get(0))?;
    let mut outcomes = Vec::new();
    for entity in &entities {
        let mut jobs = Vec::new();
        for company in &companies {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let asked = (selection.full_refresh, cancel, sink);
            match prepare(ws, conn, &catalog, (entity, company), asked) {
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
                        unchanged: false,
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
        outcomes.extend(load::run_jobs(ws, store, &catalog, jobs, cancel, sink)?);
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
type Asked<'a> = (bool, &'a Cancel, &'a (dyn Fn(Event) + Sync));

fn prepare(
    ws: &Workspace,
    conn: &Connection,
    catalog: &str,
    (entity, company): (&str, &str),
    (full_refresh, cancel, sink): Asked,
) -> std::result::Result<Job, (String, bool)> {
    let def = &ws.config.entities[entity];
    let runtime = |e: Error| (e.to_string(), false);
    let plan = source_sql::plan(ws, entity, def, company).map_err(runtime)?;
    let inputs = inputs::fingerprint(ws, (entity, company), &plan).map_err(runtime)?;
    if let (false, Some(print)) = (full_refresh, &inputs) {
        if let Some(same) = inputs::unchanged(conn, (entity, company), print).map_err(runtime)? {
            let columns = inputs::columns_of(conn, same.0).map_err(runtime)?;
            return Ok(Job {
                company: company.into(),
                entity: entity.into(),
                plan,
                select_list: String::new(),
                piece_lists: Vec::new(),
                source_columns: columns.clone(),
                columns,
                inputs,
                unchanged: Some(same),
                carry: None,
            });
        }
    }
    let source_columns = match &plan {
        Plan::Server { source_name, query } => {
            source::describe(&server_query(ws, source_name, query), &|| {
                cancel.is_cancelled()
            })
            .map_err(runtime)?
        }
        Plan::Delta { table, .. } => delta::columns(conn, table).map_err(runtime)?,
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
    let piece_lists =
        files::piece_lists(conn, catalog, &plan, &renames, (&source_columns, &columns))?;
    // Incremental only on the schema the current version has: drift reads everything.
    let carry = match (&def.incremental, full_refresh || !drift.is_empty()) {
        (Some(inc), false) => {
            cursor::watermark(conn, (entity, company), &inc.cursor).map_err(runtime)?
        }
        _ => None,
    };
    let plan = match (&carry, &def.incremental) {
        (Some(c), Some(inc)) => cursor::narrowed(plan, (&inc.cursor, &source_columns), c),
        _ => plan,
    };
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
        piece_lists,
        source_columns,
        columns,
        inputs,
        unchanged: None,
        carry,
    })
}

fn server_query(ws: &Workspace, source_name: &str, query: &str) -> source::ServerQuery {
    source::ServerQuery {
        source_name: source_name.to_string(),
        source: ws.config.sources[source_name].clone(),
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
        Plan::Duckdb { query, path, .. } => {
            vec![(
                source_sql::duckdb_relation(query),
                path.display().to_string(),
                1,
            )]
        }
        // Read once fetched (see `fetch_server`) or staged (see `delta::stage`).
        Plan::Server { .. } | Plan::Delta { .. } => Vec::new(),
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
    describe_piece(conn, catalog, plan, (&relation, &source))
}

/// The columns of one piece of a plan (a file, a DuckDB query), as the source names them.
fn describe_piece(
    conn: &Connection,
    catalog: &str,
    plan: &Plan,
    (relation, source): (&str, &str),
) -> Result<Vec<ColumnDef>> {
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
    .map_err(|e| {
        // Errors raised above already name the source.
        if e.to_string().contains(source) {
            e
        } else {
            e.context(format!("reading {source}"))
        }
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
