//! What the workbench shows of personal data. Every payload that carries values is masked
//! on the worker, before any screen has it, so no grid, row detail, side-by-side view or
//! copy (`y`, `Y`) can show what it never received. A reveal (asked twice, recorded in the
//! catalog) lifts the masks for the whole workbench until it is turned off.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::{Job, Lane, LaneState, Payload};
use polars::prelude::DataFrame;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::pii::{Policy, Shown};
use crate::store::{Access, Wait};

/// What every lane of one workbench shares about personal data.
#[derive(Default)]
pub struct Personal {
    /// The workspace's policy, read once (its salt comes from the catalog).
    policy: Mutex<Option<Policy>>,
    revealed: AtomicBool,
}

impl Personal {
    pub fn new() -> Arc<Personal> {
        Arc::new(Personal::default())
    }

    pub fn revealed(&self) -> bool {
        self.revealed.load(Ordering::SeqCst)
    }
}

/// The policy in force on `lane` (masks lifted while revealed).
fn policy(ws: &Workspace, lane: &LaneState, wait: &Wait) -> Result<Policy> {
    let mut held = lane
        .personal
        .policy
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let policy = match held.as_ref() {
        Some(p) => p.clone(),
        None => {
            let store = lane.session.lease(Access::Read, wait)?;
            let p = crate::build::lineage::personal(ws, &store)?;
            *held = Some(p.clone());
            p
        }
    };
    Ok(policy.revealed(lane.personal.revealed()))
}

/// Show personal data as it is (`on`), recorded with who and the screen; or mask it again.
pub fn reveal(lane: &LaneState, on: bool, screen: &str, wait: &Wait) -> Result<Payload> {
    if on {
        let store = lane.session.lease(Access::Write, wait)?;
        let who = crate::rules::user();
        crate::pii::reveal::record(store.conn(), &who, "workbench", screen)?;
    }
    lane.personal.revealed.store(on, Ordering::SeqCst);
    Ok(Payload::Revealed(on))
}

/// `payload` as the screens may have it (masked in place).
pub fn mask(
    ws: &Workspace,
    lane: &mut LaneState,
    job: &Job,
    mut payload: Payload,
    wait: &Wait,
) -> Result<Payload> {
    if !carries_values(&payload) {
        return Ok(payload);
    }
    let policy = policy(ws, lane, wait)?;
    let frame = |shown: &Shown, page: &mut DataFrame| -> Result<()> {
        *page = shown.frame(std::mem::take(page))?;
        Ok(())
    };
    match (job, &mut payload) {
        (Job::Open { relation, .. }, Payload::Opened { page, .. }) => {
            frame(&policy.of_relation(&relation.sql), page)?
        }
        (
            Job::Page {
                lane: at, relation, ..
            },
            Payload::Page { page, .. },
        ) => match at {
            Lane::Sql => frame(&lane.sql_shown, page)?,
            _ => frame(&policy.of_relation(&relation.sql), page)?,
        },
        (Job::Profile { relation, column }, Payload::Profile { summary, top }) => {
            let shown = policy.of_relation(&relation.sql);
            if let (Some(t), Some(c)) = (top.as_mut(), column) {
                frame(&shown.for_column(c, "value"), t)?;
            }
            *summary = shown.per_column_rows(std::mem::take(summary), "column", &["min", "max"])?;
        }
        (Job::Sql { text, .. }, Payload::SqlRows { page, .. }) => {
            // The console asks the warehouse when there is one, the cache otherwise.
            let dialect = match lane.warehouse {
                Some(_) => crate::warehouse::dialect(&ws.config.warehouse),
                None => crate::dialect::Dialect::DuckDb,
            };
            lane.sql_shown = policy.of_query(dialect, text);
            frame(&lane.sql_shown, page)?;
        }
        (Job::PrepareCompare { name, .. }, Payload::Compared { report, .. }) => {
            lane.compare_shown = match ws.config.comparisons.get(name) {
                Some(c) => policy.of_comparison(c),
                None => Shown::nothing(),
            };
            report.samples.mask(&lane.compare_shown);
        }
        (Job::Rows { .. }, Payload::Rows { rows, columns, .. }) => {
            for row in rows.iter_mut() {
                row.mask(columns, &lane.compare_shown);
            }
        }
        (Job::Drill { by, .. }, Payload::Drilled { rows, .. }) => {
            let dimension = lane
                .drill
                .as_ref()
                .and_then(|d| d.dimensions.get(*by).cloned())
                .unwrap_or_default();
            let shown = &lane.compare_shown;
            for row in rows.iter_mut().filter(|_| shown.masks(&dimension)) {
                row.value = row.value.as_deref().map(|v| shown.cell(&dimension, v));
            }
        }
        _ => {}
    }
    Ok(payload)
}

/// `error` with the values it quotes masked (a failed CAST in the console names the value).
pub fn quiet(ws: &Workspace, lane: &LaneState, error: Error, wait: &Wait) -> Error {
    let text = error.to_string();
    // Most errors quote no value; those need no policy (which may wait for the cache,
    // whose being busy may be the very error).
    if !crate::pii::quotes_a_value(&text) {
        return error;
    }
    let Ok(policy) = policy(ws, lane, wait) else {
        return error;
    };
    let quiet = policy.quiet(&text);
    match quiet == text {
        true => error,
        false => Error::Runtime(quiet),
    }
}

/// Payloads holding a relation's or a comparison's values.
fn carries_values(payload: &Payload) -> bool {
    matches!(
        payload,
        Payload::Opened { .. }
            | Payload::Page { .. }
            | Payload::Profile { .. }
            | Payload::SqlRows { .. }
            | Payload::Compared { .. }
            | Payload::Rows { .. }
            | Payload::Drilled { .. }
    )
}
