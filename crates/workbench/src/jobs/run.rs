//! Each job's one engine call, on the lane's session: every kind of job is named once
//! here, so a new kind cannot be forgotten (no catch-all).

use std::sync::Arc;

use super::{lab, masking, write, Job, LaneState, Payload, Progress};
use crate::browse::{self, Browser, Table, View};
use crate::config::Workspace;
use crate::console::{self, Answer};
use crate::error::{Error, Result};
use crate::extract::{self, Cancel};
use crate::freshness;
use crate::recon::configured;
use crate::recon::explain::{explain, Options};
use crate::recon::workbench::{self as drill, DrillBase};
use crate::recon::{ClassFilter, RowOrder};
use crate::rules::{RulesFile, Which};
use crate::store::{utc_now, Access, Store, Wait};

const DRILL_TABLE: &str = "workbench_drill";

pub(super) fn answer(
    ws: &Workspace,
    lane: &mut LaneState,
    job: &Job,
    cancel: &Arc<Cancel>,
    wait: &Wait,
    progress: &Progress,
) -> Result<Payload> {
    if job.reads_warehouse() && lane.warehouse.is_none() {
        lane.warehouse = crate::warehouse::connect(&ws.config.warehouse)?;
    }
    if let Some(ch) = &lane.warehouse {
        ch.watch(Some(cancel.clone()));
    }
    let wait = &wait.clone().cancel(cancel.clone());
    // A rule saved from a file lookup meanwhile (by this workbench or another process)
    // reads `lookups.NAME`: the session reads the kept files again when they changed.
    lane.lookups.refresh(lane.session.conn(), &ws.root)?;
    match job {
        Job::PrepareCompare {
            name,
            company,
            what_if,
        } => open_comparison(ws, lane, (name, company, what_if), cancel, wait),
        Job::Waterfall { name, company } => waterfall_job(ws, lane, name, company, wait),
        Job::Rules { name, applied } => {
            let what = lab::numbers(ws, lab_lane(lane), name, applied.as_deref(), wait)?;
            Ok(Payload::Rules(Box::new(what)))
        }
        Job::RulesCauses { name, applied } => Ok(Payload::RulesCauses(lab::causes(
            ws,
            lab_lane(lane),
            name,
            applied,
            wait,
        )?)),
        Job::RulesDecide {
            name,
            rule,
            status,
            note,
        } => {
            lab::decide(ws, name, rule, *status, note, wait)?;
            Ok(Payload::RulesDecided)
        }
        Job::RulesEdit { name, rule, change } => {
            lab::edit(ws, lab_lane(lane), (name, rule), change, wait)?;
            Ok(Payload::RulesDecided)
        }
        Job::RulesAdopt { name, cause } => {
            Ok(Payload::RulesAdopted(lab::adopt(ws, name, cause, wait)?))
        }
        Job::AcceptDifference { name, difference } => {
            let (saved, fall) = lab::accept_difference(ws, lab_lane(lane), name, difference, wait)?;
            Ok(Payload::DifferenceAccepted {
                name: saved,
                fall: Box::new(fall),
            })
        }
        Job::Report { name } => Ok(Payload::Reported(lab::report(
            ws,
            lab_lane(lane),
            name,
            wait,
        )?)),
        Job::SignOff {
            name,
            note,
            company,
        } => {
            let of = (name.as_str(), company.as_deref());
            let signed = lab::sign_off(ws, lab_lane(lane), of, note, wait)?;
            Ok(Payload::SignedOff(Box::new(signed)))
        }
        Job::Reveal { on, screen } => masking::reveal(lane, *on, screen, wait),
        Job::Build => write::build(ws, lane, cancel, wait, progress),
        Job::Tests => write::tests(ws, lane, wait),
        Job::Extract(selection) => {
            let store = lane.session.lease(Access::Write, wait)?;
            let events = progress.extract;
            Ok(Payload::Extracted(extract::run(
                ws, &store, selection, cancel, events,
            )?))
        }
        Job::Freshness => read(lane, wait, |store| {
            Ok(Payload::Freshness {
                rows: freshness::report(ws, store.conn(), utc_now())?,
                tests: freshness::status::workspace_tests(ws, store.conn())?,
            })
        }),
        Job::History(row) => read(lane, wait, |store| history(ws, store, row)),
        Job::Tables => read(lane, wait, |store| {
            let tables = browse::tables(store.conn(), lane.warehouse.as_ref())?;
            Ok(Payload::Tables(tables))
        }),
        // The history is files beside the cache: no lease needed.
        Job::Parity => Ok(Payload::Parity(Box::new(crate::campaign::parity::board(
            ws,
        )?))),
        Job::Models => read(lane, wait, |store| {
            let models = crate::build::lineage::summaries(ws, store.conn())?;
            Ok(Payload::Models(models))
        }),
        Job::Open {
            relation,
            view,
            limit,
        } => {
            let (total, page) =
                browse_at(lane, relation, wait, |b| b.open(relation, view, *limit))?;
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
            page: browse_at(lane, relation, wait, |b| {
                page_of(b, relation, view, (*offset, *limit))
            })?,
        }),
        Job::Profile { relation, column } => {
            let (summary, top) = browse_at(lane, relation, wait, |b| {
                b.profile_with_top(relation, column.as_deref())
            })?;
            Ok(Payload::Profile { summary, top })
        }
        Job::Explain { path } => with_drill(lane, wait, |conn, base| causes(conn, base, path)),
        Job::Drill { path, by } => with_drill(lane, wait, |conn, base| {
            Ok(Payload::Drilled {
                rows: base.drill(conn, path, *by)?,
                classes: base.class_counts(conn, path)?,
            })
        }),
        Job::Rows {
            path,
            class,
            order,
            offset,
            limit,
        } => with_drill(lane, wait, |conn, base| {
            rows(conn, base, path, (*class, *order), (*offset, *limit))
        }),
        Job::FindRow {
            path,
            class,
            order,
            text,
        } => with_drill(lane, wait, |conn, base| {
            Ok(Payload::Found(base.position_of(
                conn,
                path,
                (*class, *order),
                text,
            )?))
        }),
        Job::Sql { text, limit, write } => sql(lane, (text, *limit, *write), wait),
    }
}

fn page_of(
    b: Browser,
    relation: &Table,
    view: &View,
    (offset, limit): (u64, u64),
) -> Result<polars::prelude::DataFrame> {
    b.page(relation, view, offset, limit)
}

/// What the rules lab's work needs of the lane: its session and the warehouse client.
fn lab_lane(lane: &LaneState) -> lab::Lane<'_> {
    (&lane.session, lane.warehouse.as_ref())
}

/// `f` on the cache, read.
fn read<T>(lane: &LaneState, wait: &Wait, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
    let store = lane.session.lease(Access::Read, wait)?;
    f(&store)
}

/// The runs, alerts, tests and volumes behind one row of Sources.
fn history(ws: &Workspace, store: &Store, row: &freshness::Row) -> Result<Payload> {
    let f = &ws.config.freshness;
    Ok(Payload::History(Box::new(freshness::history::history(
        store,
        row,
        f.volume_runs.unwrap_or(freshness::alerts::VOLUME_RUNS),
        f.volume_threshold
            .unwrap_or(freshness::alerts::VOLUME_THRESHOLD),
    )?)))
}

/// `f` on a browser for `relation` where it lives (ClickHouse's read-only).
fn browse_at<T>(
    lane: &LaneState,
    relation: &Table,
    wait: &Wait,
    f: impl FnOnce(Browser) -> Result<T>,
) -> Result<T> {
    let store = lane.session.lease(Access::Read, wait)?;
    f(Browser::for_table(
        relation,
        store.conn(),
        lane.warehouse.as_ref(),
    ))
}

/// `f` on the open comparison's classified join.
fn with_drill(
    lane: &LaneState,
    wait: &Wait,
    f: impl FnOnce(&duckdb::Connection, &DrillBase) -> Result<Payload>,
) -> Result<Payload> {
    let base = lane
        .drill
        .as_ref()
        .ok_or_else(|| Error::Usage("no comparison is open".into()))?;
    let store = lane.session.lease(Access::Read, wait)?;
    f(store.conn(), base)
}

/// The causes of the gap within a drill path.
fn causes(
    conn: &duckdb::Connection,
    base: &DrillBase,
    path: &[(usize, Option<String>)],
) -> Result<Payload> {
    // Within a step, the groups a pushed-down compare left with the step's values.
    let opts = Options {
        top: 12,
        lookups: base.lookups.clone(),
        agreeing: base.agreeing.as_ref().map(|g| g.within(path)),
    };
    let spec = base.scoped_spec(path);
    Ok(Payload::Causes(
        explain(conn, &spec, &base.measure, &opts)?.causes,
    ))
}

/// A page of a drill step's rows of one class.
fn rows(
    conn: &duckdb::Connection,
    base: &DrillBase,
    path: &[(usize, Option<String>)],
    order: (ClassFilter, RowOrder),
    (offset, limit): (u64, u64),
) -> Result<Payload> {
    let page = base.rows_in(conn, path, order, offset, limit)?;
    Ok(Payload::Rows {
        offset,
        rows: page.rows,
        total: page.listed,
        unlisted: page.unlisted,
        columns: base.columns.clone(),
        keys: base.key_count(),
        measures: base.spec.measures.clone(),
    })
}

/// A statement of the SQL console (read-only unless the user made it writable).
fn sql(lane: &LaneState, (text, limit, write): (&str, u64, bool), wait: &Wait) -> Result<Payload> {
    let access = if write { Access::Write } else { Access::Read };
    let store = lane.session.lease(access, wait)?;
    let access = match write {
        true => console::Access::Write,
        false => console::Access::ReadOnly,
    };
    let answer = console::run(
        store.conn(),
        lane.warehouse.as_ref(),
        text,
        console::WAREHOUSE_ROWS,
        access,
    )?;
    sql_payload(store.conn(), answer, limit)
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
        let compared = configured::prepare_and_compare(ws, &store, name, &only, cancel)?;
        // A plain compare is a run of the campaign (a what-if is not: its rules are picked).
        let sides = (&*store, lane.warehouse.as_ref());
        let via = crate::campaign::Via("workbench");
        crate::campaign::record(ws, sides, (name, &only), &compared, via)?;
        compared
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
