//! What a job's answer holds, as the screens take it.

use polars::prelude::DataFrame;

use crate::browse::TableInfo;
use crate::build::lineage::ModelSummary;
use crate::build::ModelOutcome;
use crate::checks;
use crate::extract;
use crate::freshness;
use crate::recon::explain::Cause;
use crate::recon::report::Report;
use crate::recon::waterfall::Waterfall;
use crate::recon::workbench::{DrillRow, SideRow};
use crate::recon::RowClass;
use crate::rules::signoff::Signoff;

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
    /// The place of the row found in its list (None: no row's key holds the text).
    Found(Option<u64>),
    /// A SELECT becomes the temporary view `sql_result`, paged like a table.
    SqlRows {
        total: i64,
        page: DataFrame,
    },
    SqlDone {
        message: String,
    },
    Models(Vec<ModelSummary>),
    Parity(Box<crate::campaign::parity::Board>),
    Waterfall(Box<Waterfall>),
    Rules(Box<crate::rules::ticket::WhatIf>),
    RulesCauses(Vec<Cause>),
    RulesDecided,
    /// The rule added (none: the file had it, or it would touch agreeing rows).
    RulesAdopted(crate::rules::Suggested),
    /// Personal data is now shown as it is (true) or masked (false).
    Revealed(bool),
    /// Each model's build, in the order they ran.
    Built(Vec<ModelOutcome>),
    /// Each data test × company, recorded.
    Tested(Vec<checks::Outcome>),
    /// The name the difference was saved under, and the rules' waterfall with it.
    DifferenceAccepted {
        name: String,
        fall: Box<crate::rules::Waterfall>,
    },
    SignedOff(Box<Signoff>),
    /// The report's files, written.
    Reported(Vec<std::path::PathBuf>),
}

impl Payload {
    /// Whether this is the kind of answer `job` gives: the one table of which job answers
    /// with what, every job named (a new kind of job must be placed here). The app checks
    /// each answer against it before the screens see it.
    pub fn answers(&self, job: &super::Job) -> bool {
        use super::Job;
        match job {
            Job::Freshness => matches!(self, Payload::Freshness { .. }),
            Job::History(_) => matches!(self, Payload::History(_)),
            Job::Tables => matches!(self, Payload::Tables(_)),
            Job::Open { .. } => matches!(self, Payload::Opened { .. }),
            Job::Page { .. } => matches!(self, Payload::Page { .. }),
            Job::Profile { .. } => matches!(self, Payload::Profile { .. }),
            Job::Extract(_) => matches!(self, Payload::Extracted(_)),
            Job::PrepareCompare { .. } => matches!(self, Payload::Compared { .. }),
            Job::Explain { .. } => matches!(self, Payload::Causes(_)),
            Job::Drill { .. } => matches!(self, Payload::Drilled { .. }),
            Job::Rows { .. } => matches!(self, Payload::Rows { .. }),
            Job::FindRow { .. } => matches!(self, Payload::Found(_)),
            Job::Sql { .. } => matches!(self, Payload::SqlRows { .. } | Payload::SqlDone { .. }),
            Job::Models => matches!(self, Payload::Models(_)),
            Job::Parity => matches!(self, Payload::Parity(_)),
            Job::Waterfall { .. } => matches!(self, Payload::Waterfall(_)),
            Job::Rules { .. } => matches!(self, Payload::Rules(_)),
            Job::RulesCauses { .. } => matches!(self, Payload::RulesCauses(_)),
            Job::RulesDecide { .. } | Job::RulesEdit { .. } => {
                matches!(self, Payload::RulesDecided)
            }
            Job::RulesAdopt { .. } => matches!(self, Payload::RulesAdopted(_)),
            Job::Reveal { .. } => matches!(self, Payload::Revealed(_)),
            Job::Build => matches!(self, Payload::Built(_)),
            Job::Tests => matches!(self, Payload::Tested(_)),
            Job::AcceptDifference { .. } => matches!(self, Payload::DifferenceAccepted { .. }),
            Job::SignOff { .. } => matches!(self, Payload::SignedOff(_)),
            Job::Report { .. } => matches!(self, Payload::Reported(_)),
        }
    }

    /// What kind of answer this is, for a message about one that fits no job.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Freshness { .. } => "freshness",
            Payload::History(..) => "history",
            Payload::Tables(..) => "tables",
            Payload::Opened { .. } => "opened",
            Payload::Page { .. } => "page",
            Payload::Profile { .. } => "profile",
            Payload::Extracted(..) => "extracted",
            Payload::Compared { .. } => "compared",
            Payload::Causes(..) => "causes",
            Payload::Drilled { .. } => "drilled",
            Payload::Rows { .. } => "rows",
            Payload::Found(..) => "found",
            Payload::SqlRows { .. } => "sql rows",
            Payload::SqlDone { .. } => "sql done",
            Payload::Models(..) => "models",
            Payload::Parity(..) => "parity",
            Payload::Waterfall(..) => "waterfall",
            Payload::Rules(..) => "rules",
            Payload::RulesCauses(..) => "rules causes",
            Payload::RulesDecided => "rules decided",
            Payload::RulesAdopted(..) => "rules adopted",
            Payload::Revealed(..) => "revealed",
            Payload::Built(..) => "built",
            Payload::Tested(..) => "tested",
            Payload::DifferenceAccepted { .. } => "difference accepted",
            Payload::SignedOff(..) => "signed off",
            Payload::Reported(..) => "reported",
        }
    }
}
