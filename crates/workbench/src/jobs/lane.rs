//! What a lane keeps between its jobs.

use std::sync::Arc;

use super::masking::Personal;
use super::DrillBase;
use crate::pii::Shown;
use crate::store::Session;
use crate::warehouse::ClickHouse;

/// What a lane keeps between its jobs. The cache is attached to its session only while a
/// job runs, so an idle workbench holds nothing other processes wait for.
pub struct LaneState {
    pub session: Session,
    pub drill: Option<DrillBase>,
    /// The workspace's ClickHouse warehouse (a session of the shared connection), taken on
    /// first use in a ClickHouse workspace.
    pub warehouse: Option<ClickHouse>,
    /// Personal data: the workbench's policy and reveal, shared by its lanes.
    pub personal: Arc<Personal>,
    /// What the SQL console's last answer may show (its later pages are masked alike).
    pub sql_shown: Shown,
    /// What the open comparison's rows may show.
    pub compare_shown: Shown,
    /// The lookups accepted rules read (`rules/lookups/`), as this session last read them.
    pub lookups: crate::recon::lookups::Kept,
}

impl LaneState {
    pub fn new(session: Session, personal: Arc<Personal>) -> LaneState {
        LaneState {
            session,
            drill: None,
            warehouse: None,
            personal,
            sql_shown: Shown::nothing(),
            compare_shown: Shown::nothing(),
            lookups: Default::default(),
        }
    }
}
