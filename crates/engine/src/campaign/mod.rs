//! The parity campaign: many companies converging over weeks. Every configured compare is
//! recorded (`history`), the records give each comparison × company's trend and the parity
//! board (`parity`), against per-company sign-offs.

pub mod history;
pub mod listing;
pub mod parity;
pub mod record;
pub mod recorder;
mod reuse;
pub mod trend;

pub use recorder::Via;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::recon::configured::Compared;
use crate::store::Store;
use crate::warehouse::ClickHouse;

/// Records a compare of `name` over `only` (all its companies when empty) as `compared`,
/// and returns the record.
pub fn record(
    ws: &Workspace,
    sides: (&Store, Option<&ClickHouse>),
    (name, only): (&str, &[String]),
    compared: &Compared,
    via: Via,
) -> Result<record::Run> {
    let run = recorder::of_report(ws, sides, (name, only), compared, via)?;
    history::save(ws, &run)?;
    Ok(run)
}

/// Records a compare that failed (a malformed export, a server down): the board shows the
/// comparison's companies as failing until a compare succeeds.
pub fn record_failure(ws: &Workspace, (name, only): (&str, &[String]), error: &Error, via: Via) {
    // Best effort: the compare's own error is what the caller reports.
    if let Ok(run) = recorder::of_failure(ws, (name, only), error, via) {
        let _ = history::save(ws, &run);
    }
}
