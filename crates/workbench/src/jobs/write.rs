//! The jobs that write on the Write lane besides extraction: a build of the models and a
//! run of the data tests, as `assay build` and `assay test` do them.

use std::sync::Arc;

use super::{LaneState, Payload, Progress};
use crate::build::{self, BuildStatus};
use crate::checks;
use crate::config::Workspace;
use crate::error::Result;
use crate::extract::Cancel;
use crate::store::{Access, Wait};

/// Every model built in dependency order (or the external builder run, as configured);
/// each model's end is told to `progress` as it happens.
pub(super) fn build(
    ws: &Workspace,
    lane: &LaneState,
    cancel: &Arc<Cancel>,
    wait: &Wait,
    progress: &Progress,
) -> Result<Payload> {
    if ws.config.layers.external() {
        // dbt (or the configured command) opens the cache itself: the lane holds nothing.
        (progress.busy)("building: the external builder is running".into());
        return Ok(Payload::Built(build::run_external(ws)?));
    }
    let store = lane.session.lease(Access::Write, wait)?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let outcomes = build::run(ws, &store, &[], cancel, &|o| {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let how = match o.status {
            BuildStatus::Ok => "built".to_string(),
            s => format!("{s:?}").to_lowercase(),
        };
        (progress.busy)(format!("building: {n} model(s) done, {} {how}", o.model));
    })?;
    Ok(Payload::Built(outcomes))
}

/// The data tests run on the cache (read) and the warehouse, then recorded for history and
/// the health view (a short write once they have run), as `assay test` does.
pub(super) fn tests(ws: &Workspace, lane: &LaneState, wait: &Wait) -> Result<Payload> {
    let outcomes = {
        let store = lane.session.lease(Access::Read, wait)?;
        let policy = build::lineage::personal(ws, &store)?;
        checks::run(
            ws,
            (store.conn(), lane.warehouse.as_ref()),
            &policy,
            &[],
            &[],
        )?
    };
    let store = lane.session.lease(Access::Write, wait)?;
    checks::record::record(&store, &outcomes)?;
    Ok(Payload::Tested(outcomes))
}
