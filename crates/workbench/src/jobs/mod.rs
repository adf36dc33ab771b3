//! The work the workbench asks of the engine, and what comes back. Jobs run off the UI
//! thread on a lane (a DuckDB connection of its own); `execute` is the same code whether
//! the worker runs it on `spawn_blocking` or a test runs it inline.

use std::sync::Arc;

use crate::browse::{Table, View};
use crate::config::Workspace;
use crate::console;
use crate::error::Result;
use crate::extract::{Cancel, Event, Selection};
use crate::freshness;
use crate::recon::explain::Cause;
use crate::recon::workbench::DrillBase;
use crate::recon::ClassFilter;
use crate::store::{Access, Wait};

mod lab;
mod lane;
pub mod masking;
mod payload;
mod run;
mod write;

pub use payload::Payload;

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
    /// Extraction runs, builds and data tests: the jobs that write the cache or the
    /// warehouse, one at a time (they would queue for the cache's write lock anyway).
    Write,
}

pub const LANES: [Lane; 4] = [Lane::Browse, Lane::Compare, Lane::Sql, Lane::Write];

/// Where a running job reports how far it is: extraction's events as they happen, and a
/// line for the status bar's spinner (a build's models as each ends).
pub struct Progress<'a> {
    pub extract: &'a (dyn Fn(Event) + Sync),
    pub busy: &'a (dyn Fn(String) + Sync),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Freshness,
    /// The parity board: every comparison × company from the history.
    Parity,
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
    /// Where in a list of rows (as `Rows` pages it) the first row whose key holds `text`
    /// is (`/` on Compare and Drill).
    FindRow {
        path: Vec<(usize, Option<String>)>,
        class: ClassFilter,
        order: crate::recon::RowOrder,
        text: String,
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
    /// The workspace's models built (all of them), as `assay build` does.
    Build,
    /// The data tests of assay.toml run and recorded, as `assay test` does.
    Tests,
    /// A difference accepted on a comparison (the rules file's `[[accepted]]`), once the
    /// numbers were read with it.
    AcceptDifference {
        name: String,
        difference: crate::rules::decision::Difference,
    },
    /// A comparison's current numbers (one company's, with `company`) signed off with a note.
    SignOff {
        name: String,
        note: String,
        company: Option<String>,
    },
    /// A comparison's report written to the workspace's `reports/` (HTML and Markdown),
    /// as `assay report` prints it.
    Report {
        name: String,
    },
}

impl Job {
    pub fn lane(&self) -> Lane {
        match self {
            Job::Page { lane, .. } => *lane,
            Job::Freshness
            | Job::Parity
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
            | Job::AcceptDifference { .. }
            | Job::SignOff { .. }
            | Job::Report { .. }
            | Job::Reveal { .. } => Lane::Browse,
            Job::Extract(_) | Job::Build | Job::Tests => Lane::Write,
            Job::PrepareCompare { .. }
            | Job::Explain { .. }
            | Job::Drill { .. }
            | Job::Rows { .. }
            | Job::FindRow { .. } => Lane::Compare,
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

    /// Whether the job reads the warehouse (its client is taken on first use).
    pub fn reads_warehouse(&self) -> bool {
        matches!(
            self,
            Job::Rules { .. }
                | Job::RulesCauses { .. }
                | Job::RulesEdit { .. }
                | Job::AcceptDifference { .. }
                | Job::SignOff { .. }
                | Job::Report { .. }
                | Job::Tests
                | Job::Tables
                | Job::Open { .. }
                | Job::Page { .. }
                | Job::Profile { .. }
                | Job::Sql { .. }
                | Job::Waterfall { .. }
        )
    }

    /// What the job needs of the cache while it runs.
    pub fn access(&self) -> Access {
        match self {
            Job::Extract(_)
            | Job::Build
            | Job::Sql { write: true, .. }
            | Job::Reveal { on: true, .. } => Access::Write,
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
                | Job::FindRow { .. }
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
            Job::FindRow { text, .. } => format!("looking for the key {text}"),
            Job::Sql { .. } => "running query".into(),
            Job::Models => "reading the models".into(),
            Job::Parity => "reading the parity board".into(),
            Job::Waterfall { name, .. } => format!("counting {name} through the layers"),
            Job::Rules { name, .. } => format!("applying {name}'s rules"),
            Job::RulesCauses { .. } => "ranking what the rules leave".into(),
            Job::RulesDecide { rule, .. } => format!("recording the decision on {rule}"),
            Job::RulesAdopt { .. } => "adding a proposed rule".into(),
            Job::RulesEdit { rule, .. } => format!("checking {rule}"),
            Job::Reveal { on: true, .. } => "showing personal data".into(),
            Job::Reveal { on: false, .. } => "masking personal data".into(),
            Job::Build => "building the models".into(),
            Job::Tests => "running the data tests".into(),
            Job::AcceptDifference { difference, .. } => {
                format!("accepting the rows where {}", difference.filter)
            }
            Job::SignOff { name, .. } => format!("signing off {name}"),
            Job::Report { name } => format!("writing {name}'s report"),
        }
    }
}

/// The name of the SQL console's result view (on the SQL lane's connection).
pub const SQL_RESULT: &str = console::SQL_RESULT;

/// Run `job` on `lane`: one engine call per job, with the cache attached for what the job
/// needs (waiting as `wait` says when another process holds it). `progress` hears how
/// far it is. What comes back is masked as the screens may show it.
pub fn execute(
    ws: &Workspace,
    lane: &mut LaneState,
    job: &Job,
    cancel: &Arc<Cancel>,
    wait: &Wait,
    progress: &Progress,
) -> Result<Payload> {
    let payload = run::answer(ws, lane, job, cancel, wait, progress)
        .map_err(|e| masking::quiet(ws, lane, e, wait))?;
    masking::mask(ws, lane, job, payload, wait)
}
