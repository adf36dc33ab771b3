//! The work the workbench asks of the engine, and what comes back. Jobs run off the UI
//! thread on a lane (a DuckDB connection of its own); `execute` is the same code whether
//! the worker runs it on `spawn_blocking` or a test runs it inline.

use std::sync::Arc;

use polars::prelude::DataFrame;

use crate::browse::{self, Browser, Table, TableInfo, View};
use crate::build::lineage::ModelSummary;
use crate::config::Workspace;
use crate::console::{self, Answer};
use crate::error::{Error, Result};
use crate::extract::{self, Cancel, Event, Selection};
use crate::freshness;
use crate::lab_jobs as lab;
use crate::recon::explain::{explain, Cause, Options};
use crate::recon::report::Report;
use crate::recon::waterfall::Waterfall;
use crate::recon::workbench::{self as drill, DrillBase, DrillRow, SideRow};
use crate::recon::{configured, ClassFilter, RowClass};
use crate::rules::{RulesFile, Which};
use crate::store::{utc_now, Access, Store, Wait};
use crate::warehouse::ClickHouse;

mod lane;
pub mod masking;

pub use lane::LaneState;

/// Each lane has its own connection; jobs on one lane run one at a time, latest-wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// Catalog, freshness, table pages and profiles.
    Browse,
    /// The comparison being worked on: its report, drill steps and rows.
    Compare,
    /// The SQL console (its temporary result view lives on this connection).
    Sql,
    /// Extraction runs.
    Extract,
}

pub const LANES: [Lane; 4] = [Lane::Browse, Lane::Compare, Lane::Sql, Lane::Extract];

#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Freshness,
    /// The runs, alerts, tests and volumes behind one row of Sources.
    History(Box<freshness::Row>),
    Tables,
    /// Row count and the first page of a relation under a view.
    Open {
        relation: Table,
        view: View,
        limit: u64,
    },
    Page {
        lane: Lane,
        relation: Table,
        view: View,
        offset: u64,
        limit: u64,
    },
    Profile {
        relation: Table,
        column: Option<String>,
    },
    Extract(Selection),
    /// Report + classified join for a comparison (company None: all of its companies),
    /// seen through the rules lab's what-if: these rules applied to the new side (none: as
    /// it is).
    PrepareCompare {
        name: String,
        company: Option<String>,
        what_if: Vec<String>,
    },
    /// The causes of the gap within a drill path (empty: the whole comparison's).
    Explain {
        path: Vec<(usize, Option<String>)>,
    },
    Drill {
        path: Vec<(usize, Option<String>)>,
        by: usize,
    },
    Rows {
        path: Vec<(usize, Option<String>)>,
        class: ClassFilter,
        order: crate::recon::RowOrder,
        offset: u64,
        limit: u64,
    },
    Sql {
        text: String,
        limit: u64,
        /// A writable console (the user asked for one); read-only otherwise.
        write: bool,
    },
    /// The models with their lineage and last build's rows.
    Models,
    /// A comparison's layer waterfall (company None: all of its companies).
    Waterfall {
        name: String,
        company: Option<String>,
    },
    /// The rules lab's what-if: the comparison with exactly these rules applied (None: the
    /// accepted ones), whatever the file decided.
    Rules {
        name: String,
        applied: Option<Vec<String>>,
    },
    /// The top causes of what that what-if leaves (seconds on a large comparison: asked
    /// after its numbers arrived; the next toggle interrupts it). On the Browse lane, not
    /// the Compare lane: its pushed-down prepare replaces the temporary tables the open
    /// comparison's drill reads.
    RulesCauses {
        name: String,
        applied: Vec<String>,
    },
    /// A rule accepted or rejected from the workbench: written to the rules file.
    RulesDecide {
        name: String,
        rule: String,
        status: crate::rules::Status,
        note: String,
    },
    /// A rule's SQL edited: checked on the comparison, then written to the rules file.
    RulesEdit {
        name: String,
        rule: String,
        change: crate::rules::file::Edit,
    },
    /// A cause of what is left, added to the rules file as a proposed rule.
    RulesAdopt {
        name: String,
        cause: Box<Cause>,
    },
    /// Personal data shown as it is (recorded, with the screen it was asked on), or
    /// masked again.
    Reveal {
        on: bool,
        screen: String,
    },
}

impl Job {
    pub fn lane(&self) -> Lane {
        match self {
            Job::Page { lane, .. } => *lane,
            Job::Freshness
            | Job::History(_)
            | Job::Tables
            | Job::Open { .. }
            | Job::Profile { .. }
            | Job::Models
            | Job::Waterfall { .. }
            | Job::Rules { .. }
            | Job::RulesCauses { .. }
            | Job::RulesDecide { .. }
            | Job::RulesEdit { .. }
            | Job::RulesAdopt { .. }
            | Job::Reveal { .. } => Lane::Browse,
            Job::Extract(_) => Lane::Extract,
            Job::PrepareCompare { .. }
            | Job::Explain { .. }
            | Job::Drill { .. }
            | Job::Rows { .. } => Lane::Compare,
            Job::Sql { .. } => Lane::Sql,
        }
    }

    /// Whether this newer job makes `older` (on the same lane) pointless: a job of the same
    /// kind (the latest request wins), or a new comparison, which leaves the previous one's
    /// work without a use.
    pub fn replaces(&self, older: &Job) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(older)
            || (matches!(self, Job::PrepareCompare { .. }) && older.lane() == Lane::Compare)
            || (matches!(self, Job::Rules { .. }) && matches!(older, Job::RulesCauses { .. }))
    }

    /// What the job needs of the cache while it runs.
    pub fn access(&self) -> Access {
        match self {
            Job::Extract(_) | Job::Sql { write: true, .. } | Job::Reveal { on: true, .. } => {
                Access::Write
            }
            _ => Access::Read,
        }
    }

    /// A running job of these kinds is interrupted when a job replaces it.
    pub fn is_superseded_by_newer(&self) -> bool {
        matches!(
            self,
            Job::Page { .. }
                | Job::Open { .. }
                | Job::Profile { .. }
                | Job::Rows { .. }
                | Job::Drill { .. }
                | Job::Explain { .. }
                | Job::RulesCauses { .. }
        )
    }

    pub fn describe(&self) -> String {
        match self {
            Job::Freshness => "reading the catalog".into(),
            Job::History(row) => format!("reading the history of {} {}", row.company, row.table),
            Job::Tables => "listing tables".into(),
            Job::Open { relation, .. } => format!("opening {relation}"),
            Job::Page { offset, .. } => format!("fetching rows from {offset}"),
            Job::Profile { relation, .. } => format!("profiling {relation}"),
            Job::Extract(_) => "extracting".into(),
            Job::PrepareCompare { name, .. } => format!("comparing {name}"),
            Job::Explain { .. } => "ranking causes".into(),
            Job::Drill { .. } => "drilling".into(),
            Job::Rows { .. } => "fetching rows".into(),
            Job::Sql { .. } => "running query".into(),
            Job::Models => "reading the models".into(),
            Job::Waterfall { name, .. } => format!("counting {name} through the layers"),
            Job::Rules { name, .. } => format!("applying {name}'s rules"),
            Job::RulesCauses { .. } => "ranking what the rules leave".into(),
            Job::RulesDecide { rule, .. } => format!("recording the decision on {rule}"),
            Job::RulesAdopt { .. } => "adding a proposed rule".into(),
            Job::RulesEdit { rule, .. } => format!("checking {rule}"),
            Job::Reveal { on: true, .. } => "showing personal data".into(),
            Job::Reveal { on: false, .. } => "masking personal data".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Payload {
    Freshness {
        rows: Vec<freshness::Row>,
        /// Each company's `tests` cell of the health grid.
        tests: std::collections::BTreeMap<String, freshness::status::Cell>,
    },
    History(Box<freshness::history::History>),
    Tables(Vec<TableInfo>),
    Opened {
        total: i64,
        page: DataFrame,
    },
    Page {
        offset: u64,
        page: DataFrame,
    },
    Profile {
        summary: DataFrame,
        top: Option<DataFrame>,
    },
    Extracted(Vec<extract::Outcome>),
    Compared {
        report: Box<Report>,
        dimensions: Vec<String>,
        measure: String,
        rows: i64,
        /// The measure by period, when the comparison has a period dimension.
        by_period: Vec<DrillRow>,
    },
    Causes(Vec<Cause>),
    Drilled {
        rows: Vec<DrillRow>,
        classes: Vec<(RowClass, i64)>,
    },
    Rows {
        offset: u64,
        rows: Vec<SideRow>,
        /// Rows in the class within the path the cache lists, and those it knows only as
        /// group sums; counted with the first page only.
        total: Option<i64>,
        unlisted: Option<i64>,
        columns: Vec<(String, String)>,
        /// How many of `columns` are keys (the first ones).
        keys: usize,
        /// The comparison's measures (legacy names).
        measures: Vec<String>,
    },
    /// A SELECT becomes the temporary view `sql_result`, paged like a table.
    SqlRows {
        total: i64,
        page: DataFrame,
    },
    SqlDone {
        message: String,
    },
    Models(Vec<ModelSummary>),
    Waterfall(Box<Waterfall>),
    Rules(Box<crate::rules::ticket::WhatIf>),
    RulesCauses(Vec<Cause>),
    RulesDecided,
    /// The rule added (none: the file had it, or it would touch agreeing rows).
    RulesAdopted(crate::rules::Suggested),
    /// Personal data is now shown as it is (true) or masked (false).
    Revealed(bool),
}

/// The name of the SQL console's result view (on the SQL lane's connection).
pub const SQL_RESULT: &str = console::SQL_RESULT;
const DRILL_TABLE: &str = "workbench_drill";

/// Run `job` on `lane`: one engine call per job, with the cache attached for what the job
/// needs (waiting as `wait` says when another process holds it). `events` receives
/// extraction progress as it happens. What comes back is masked as the screens may show it.
pub fn execute(
    ws: &Workspace,
    lane: &mut LaneState,
    job: &Job,
    cancel: &Arc<Cancel>,
    wait: &Wait,
    events: &(dyn Fn(Event) + Sync),
) -> Result<Payload> {
    let payload = answer(ws, lane, job, cancel, wait, events)
        .map_err(|e| masking::quiet(ws, lane, e, wait))?;
    masking::mask(ws, lane, job, payload, wait)
}

fn answer(
    ws: &Workspace,
    lane: &mut LaneState,
    job: &Job,
    cancel: &Arc<Cancel>,
    wait: &Wait,
    events: &(dyn Fn(Event) + Sync),
) -> Result<Payload> {
    let reads_warehouse = matches!(
        job,
        Job::Rules { .. }
            | Job::RulesCauses { .. }
            | Job::RulesEdit { .. }
            | Job::Tables
            | Job::Open { .. }
            | Job::Page { .. }
            | Job::Profile { .. }
            | Job::Sql { .. }
            | Job::Waterfall { .. }
    );
    if reads_warehouse && lane.warehouse.is_none() {
        lane.warehouse = crate::warehouse::connect(&ws.config.warehouse)?;
    }
    if let Some(ch) = &lane.warehouse {
        ch.watch(Some(cancel.clone()));
    }
    let wait = wait.clone().cancel(cancel.clone());
    let lab_lane = (&lane.session, lane.warehouse.as_ref());
    match job {
        Job::PrepareCompare {
            name,
            company,
            what_if,
        } => return open_comparison(ws, lane, (name, company, what_if), cancel, &wait),
        Job::Waterfall { name, company } => return waterfall_job(ws, lane, name, company, &wait),
        Job::Rules { name, applied } => {
            let what = lab::numbers(ws, lab_lane, name, applied.as_deref(), &wait)?;
            return Ok(Payload::Rules(Box::new(what)));
        }
        Job::RulesCauses { name, applied } => {
            let causes = lab::causes(ws, lab_lane, name, applied, &wait)?;
            return Ok(Payload::RulesCauses(causes));
        }
        Job::RulesDecide {
            name,
            rule,
            status,
            note,
        } => {
            lab::decide(ws, name, rule, *status, note, &wait)?;
            return Ok(Payload::RulesDecided);
        }
        Job::RulesEdit { name, rule, change } => {
            lab::edit(ws, lab_lane, (name, rule), change, &wait)?;
            return Ok(Payload::RulesDecided);
        }
        Job::RulesAdopt { name, cause } => {
            return Ok(Payload::RulesAdopted(lab::adopt(ws, name, cause, &wait)?));
        }
        Job::Reveal { on, screen } => return masking::reveal(lane, *on, screen, &wait),
        _ => {}
    }
    let store = lane.session.lease(job.access(), &wait)?;
    let store: &Store = &store;
    match job {
        Job::Freshness => Ok(Payload::Freshness {
            rows: freshness::report(ws, store.conn(), utc_now())?,
            tests: freshness::status::workspace_tests(ws, store.conn())?,
        }),
        Job::History(row) => {
            let f = &ws.config.freshness;
            Ok(Payload::History(Box::new(freshness::history::history(
                store,
                row,
                f.volume_runs.unwrap_or(freshness::alerts::VOLUME_RUNS),
                f.volume_threshold
                    .unwrap_or(freshness::alerts::VOLUME_THRESHOLD),
            )?)))
        }
        Job::Tables => Ok(Payload::Tables(browse::tables(
            store.conn(),
            lane.warehouse.as_ref(),
        )?)),
        Job::Open { .. } | Job::Page { .. } | Job::Profile { .. } => {
            browse_job(store, lane.warehouse.as_ref(), job)
        }
        Job::Extract(selection) => Ok(Payload::Extracted(extract::run(
            ws, store, selection, cancel, events,
        )?)),
        Job::PrepareCompare { .. }
        | Job::Waterfall { .. }
        | Job::Rules { .. }
        | Job::RulesCauses { .. }
        | Job::RulesDecide { .. }
        | Job::RulesEdit { .. }
        | Job::RulesAdopt { .. }
        | Job::Reveal { .. } => {
            unreachable!("answered above")
        }
        Job::Models => Ok(Payload::Models(crate::build::lineage::summaries(
            ws,
            store.conn(),
        )?)),
        Job::Explain { .. } | Job::Drill { .. } | Job::Rows { .. } => {
            drill_job(store, lane.drill.as_ref(), job)
        }
        Job::Sql { text, limit, write } => {
            let access = if *write {
                console::Access::Write
            } else {
                console::Access::ReadOnly
            };
            let answer = console::run(
                store.conn(),
                lane.warehouse.as_ref(),
                text,
                console::WAREHOUSE_ROWS,
                access,
            )?;
            sql_payload(store.conn(), answer, *limit)
        }
    }
}

/// A table's pages and profile, where the table lives (ClickHouse's read-only).
fn browse_job(store: &Store, warehouse: Option<&ClickHouse>, job: &Job) -> Result<Payload> {
    let at = |t: &Table| Browser::for_table(t, store.conn(), warehouse);
    match job {
        Job::Open {
            relation,
            view,
            limit,
        } => {
            let (total, page) = at(relation).open(relation, view, *limit)?;
            Ok(Payload::Opened { total, page })
        }
        Job::Page {
            relation,
            view,
            offset,
            limit,
            ..
        } => Ok(Payload::Page {
            offset: *offset,
            page: at(relation).page(relation, view, *offset, *limit)?,
        }),
        Job::Profile { relation, column } => {
            let (summary, top) = at(relation).profile_with_top(relation, column.as_deref())?;
            Ok(Payload::Profile { summary, top })
        }
        _ => unreachable!("browse_job takes browse jobs"),
    }
}

/// A comparison's layer waterfall, legacy imported first when its files changed.
fn waterfall_job(
    ws: &Workspace,
    lane: &LaneState,
    name: &str,
    company: &Option<String>,
    wait: &Wait,
) -> Result<Payload> {
    let only: Vec<String> = company.iter().cloned().collect();
    let store =
        configured::open_for_compare(ws, name, &only, |access| lane.session.lease(access, wait))?;
    let fall =
        crate::recon::waterfall::waterfall(ws, store.conn(), lane.warehouse.as_ref(), name, &only)?;
    Ok(Payload::Waterfall(Box::new(fall)))
}

/// Compare (through the what-if's rules, if any), and keep the classified join on the lane
/// to drill into; the cache is read (written only to import legacy files that changed).
fn open_comparison(
    ws: &Workspace,
    lane: &mut LaneState,
    (name, company, what_if): (&str, &Option<String>, &[String]),
    cancel: &Arc<Cancel>,
    wait: &Wait,
) -> Result<Payload> {
    let only: Vec<String> = company.iter().cloned().collect();
    lane.drill = None;
    let session = &lane.session;
    let store =
        configured::open_for_compare(ws, name, &only, |access| session.lease(access, wait))?;
    let cancel = Some(cancel.clone());
    let compared = if what_if.is_empty() {
        configured::prepare_and_compare(ws, &store, name, &only, cancel)?
    } else {
        // Only a what-if reads the rules file: a broken one never stops a plain compare.
        let file = RulesFile::load(&crate::rules::path_of(&ws.root, name))?;
        let which = Which::Named(what_if.to_vec());
        crate::rules::compare_as_legacy(ws, &store, (name, &only), &file, &which, cancel)?
    };
    let opened = drill::open_compared(ws, store.conn(), name, compared, DRILL_TABLE)?;
    let payload = Payload::Compared {
        report: Box::new(opened.report),
        dimensions: opened.base.dimensions.clone(),
        measure: opened.base.measure.clone(),
        rows: opened.base.rows,
        by_period: opened.by_period,
    };
    drop(store);
    lane.drill = Some(opened.base);
    Ok(payload)
}

/// Causes, drill steps and rows of the open comparison.
fn drill_job(store: &Store, drilled: Option<&DrillBase>, job: &Job) -> Result<Payload> {
    let base = drilled.ok_or_else(|| Error::Usage("no comparison is open".into()))?;
    let conn = store.conn();
    match job {
        Job::Explain { path } => {
            // Within a step, the groups a pushed-down compare left are outside the cut.
            let opts = Options {
                top: 12,
                lookups: base.lookups.clone(),
                agreeing: base.agreeing.clone().filter(|_| path.is_empty()),
            };
            let spec = base.scoped_spec(path);
            Ok(Payload::Causes(
                explain(conn, &spec, &base.measure, &opts)?.causes,
            ))
        }
        Job::Drill { path, by } => Ok(Payload::Drilled {
            rows: base.drill(conn, path, *by)?,
            classes: base.class_counts(conn, path)?,
        }),
        Job::Rows {
            path,
            class,
            order,
            offset,
            limit,
        } => {
            let page = base.rows_in(conn, path, (*class, *order), *offset, *limit)?;
            Ok(Payload::Rows {
                offset: *offset,
                rows: page.rows,
                total: page.listed,
                unlisted: page.unlisted,
                columns: base.columns.clone(),
                keys: base.key_count(),
                measures: base.spec.measures.clone(),
            })
        }
        _ => unreachable!("drill_job takes drill jobs"),
    }
}

/// The console's answer as the SQL screen shows it: rows paged from `sql_result`.
fn sql_payload(conn: &duckdb::Connection, answer: Answer, limit: u64) -> Result<Payload> {
    Ok(match answer {
        Answer::Rows { total, .. } => Payload::SqlRows {
            total,
            page: console::page(conn, 0, limit)?,
        },
        Answer::Frame(page) => Payload::SqlRows {
            total: page.height() as i64,
            page,
        },
        Answer::Done { changed } => Payload::SqlDone {
            message: format!("done ({} changed)", crate::text::rows(changed as i64)),
        },
    })
}
