//! The parity board: every comparison × company with its latest recorded numbers, whether
//! they are within tolerance, its sign-off (none, current, stale) and its trend. Read from
//! the history alone, so it costs nothing to show and never waits for the cache.

use serde::Serialize;

use super::history::{self, Filter};
use super::record::Run;
use super::trend::sparkline;
use crate::config::Workspace;
use crate::decimal::Exact;
use crate::error::Result;
use crate::recon::scope::members;
use crate::recon::summary::KeyedRows;
use crate::rules::signed::{self, Numbers, SignoffState};
use crate::rules::{self, RulesFile};

/// Runs the trend is drawn over.
const TREND_RUNS: usize = 12;

/// Where a company stands, worst last (the board's exit code is the worst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Within tolerance and signed off on these numbers.
    Done,
    /// Out of tolerance, or within it and not signed off.
    Open,
    /// Never compared.
    Never,
    /// Signed off on numbers that have moved since.
    Stale,
    /// The latest compare failed.
    Failing,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Done => "done",
            State::Open => "open",
            State::Never => "never",
            State::Stale => "STALE",
            State::Failing => "FAILING",
        }
    }

    fn exit_code(self) -> i32 {
        match self {
            State::Done => 0,
            State::Open | State::Never => 1,
            State::Stale | State::Failing => 2,
        }
    }
}

/// The sign-off a row's numbers are read against: the company's own, else the whole
/// comparison's.
#[derive(Debug, Clone, Serialize)]
pub struct SignoffMark {
    /// `company` or `comparison`.
    pub of: &'static str,
    #[serde(flatten)]
    pub state: SignoffState,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParityRow {
    pub comparison: String,
    pub company: String,
    pub state: State,
    pub measure: Option<String>,
    pub legacy: Option<Exact>,
    pub new: Option<Exact>,
    pub gap: Option<Exact>,
    pub remaining: Option<Exact>,
    pub unexplained: Option<Exact>,
    pub within_tolerance: bool,
    /// The company's keyed rows by class in the compare shown (missing invoices).
    pub rows: Option<KeyedRows>,
    pub signoff: Option<SignoffMark>,
    /// When the numbers shown were compared (UTC).
    pub compared_at: Option<String>,
    /// The latest compare's error, when it failed.
    pub error: Option<String>,
    /// What was left unexplained over the last runs, oldest first: the gap closing as
    /// rules are accepted and data fixed.
    pub trend: Vec<Exact>,
}

impl ParityRow {
    pub fn sparkline(&self) -> String {
        sparkline(&self.trend)
    }

    /// Seconds since the numbers shown were compared.
    pub fn age_seconds(&self) -> Option<i64> {
        let at = chrono::DateTime::parse_from_rfc3339(self.compared_at.as_deref()?).ok()?;
        Some(
            (chrono::Utc::now() - at.with_timezone(&chrono::Utc))
                .num_seconds()
                .max(0),
        )
    }

    /// The sign-off as a word: none, current, stale.
    pub fn signoff_word(&self) -> &'static str {
        self.signoff.as_ref().map_or("none", |s| s.state.state)
    }
}

/// A comparison's companies added up: their gaps sum exactly to the comparison's.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonTotal {
    pub comparison: String,
    pub companies: usize,
    pub gap: Exact,
    pub unexplained: Exact,
    pub state: State,
}

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub rows: Vec<ParityRow>,
    pub comparisons: Vec<ComparisonTotal>,
}

impl Board {
    /// 0 everything within tolerance and signed off, 1 some open, 2 some stale or failing.
    pub fn exit_code(&self) -> i32 {
        self.rows
            .iter()
            .map(|r| r.state.exit_code())
            .max()
            .unwrap_or(0)
    }
}

/// The board of every configured comparison, from the history.
pub fn board(ws: &Workspace) -> Result<Board> {
    let mut rows = Vec::new();
    let mut comparisons = Vec::new();
    for name in ws.config.comparisons.keys() {
        let (_, companies) = members(ws, name, &[])?;
        let runs = history::load(ws, name, &Filter::default())?;
        let file = RulesFile::load(&rules::path_of(&ws.root, name))?;
        let whole = whole_signoff(&file, &runs, &companies);
        let mine: Vec<ParityRow> = companies
            .iter()
            .map(|c| row(name, c, &runs, &file, whole.as_ref()))
            .collect();
        comparisons.push(total(name, &mine));
        rows.extend(mine);
    }
    Ok(Board { rows, comparisons })
}

fn total(name: &str, rows: &[ParityRow]) -> ComparisonTotal {
    let sum = |f: fn(&ParityRow) -> Option<Exact>| {
        rows.iter()
            .filter_map(f)
            .fold(Exact::default(), |a, b| a.plus(b).unwrap_or(a))
    };
    ComparisonTotal {
        comparison: name.to_string(),
        companies: rows.len(),
        gap: sum(|r| r.gap),
        unexplained: sum(|r| r.unexplained),
        state: rows.iter().map(|r| r.state).max().unwrap_or(State::Done),
    }
}

/// The whole comparison's latest sign-off, read against the latest run of all its companies.
fn whole_signoff(file: &RulesFile, runs: &[Run], companies: &[String]) -> Option<SignoffState> {
    let run = runs
        .iter()
        .find(|r| r.ok() && companies.iter().all(|c| r.scope.contains(c)))?;
    let numbers = Numbers {
        gap_before: run.first()?.gap,
        remaining: run.remaining()?,
        unexplained: run.unexplained()?,
    };
    signed::state(file, None, &numbers)
}

fn row(
    name: &str,
    company: &str,
    runs: &[Run],
    file: &RulesFile,
    whole: Option<&SignoffState>,
) -> ParityRow {
    let mine: Vec<&Run> = runs
        .iter()
        .filter(|r| r.scope.iter().any(|c| c == company))
        .collect();
    let latest = mine.first().copied();
    let numbers = mine
        .iter()
        .find_map(|r| r.company(company).map(|c| (*r, c)));
    let mut row = ParityRow {
        comparison: name.to_string(),
        company: company.to_string(),
        state: State::Never,
        measure: None,
        legacy: None,
        new: None,
        gap: None,
        remaining: None,
        unexplained: None,
        within_tolerance: false,
        rows: None,
        signoff: None,
        compared_at: None,
        error: latest.and_then(|r| r.error()).map(str::to_string),
        trend: mine
            .iter()
            .filter_map(|r| r.company(company).map(|c| c.unexplained))
            .take(TREND_RUNS)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect(),
    };
    if let Some((run, c)) = numbers {
        let first = c.first();
        row.measure = first.map(|m| m.name.clone());
        row.legacy = first.map(|m| m.legacy);
        row.new = first.map(|m| m.new);
        row.gap = first.map(|m| m.gap);
        row.remaining = Some(c.remaining);
        row.unexplained = Some(c.unexplained);
        row.within_tolerance = c.within_tolerance;
        row.rows = c.rows;
        row.compared_at = Some(run.at.clone());
        let own = first.and_then(|m| {
            let numbers = Numbers {
                gap_before: m.gap,
                remaining: c.remaining,
                unexplained: c.unexplained,
            };
            signed::state(file, Some(company), &numbers)
        });
        row.signoff = match own {
            Some(state) => Some(SignoffMark {
                of: "company",
                state,
            }),
            None => whole.map(|s| SignoffMark {
                of: "comparison",
                state: s.clone(),
            }),
        };
    }
    row.state = state_of(&row, latest.is_some_and(|r| !r.ok()));
    row
}

fn state_of(row: &ParityRow, failed: bool) -> State {
    if failed {
        return State::Failing;
    }
    if row.gap.is_none() {
        return State::Never;
    }
    match (row.signoff_word(), row.within_tolerance) {
        ("stale", _) => State::Stale,
        ("current", true) => State::Done,
        _ => State::Open,
    }
}
