//! A comparison's history as lines to read: each run's numbers (a company's, or the whole
//! compare's) and what changed since the run before it.

use serde::Serialize;

use super::record::Run;
use super::trend::{changes, Change};
use crate::decimal::Exact;
use crate::recon::summary::KeyedRows;

/// One run as a history line: its numbers (the company's, or the whole compare's).
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    pub at: &'a str,
    pub by: &'a str,
    pub via: &'a str,
    pub status: &'static str,
    pub error: Option<&'a str>,
    pub companies: usize,
    pub legacy: Option<Exact>,
    pub new: Option<Exact>,
    pub gap: Option<Exact>,
    pub unexplained: Option<Exact>,
    pub within_tolerance: bool,
    /// Keyed rows by class (the company's, or the whole compare's).
    pub rows: Option<KeyedRows>,
    /// What changed since the run before it.
    pub changes: Vec<Change>,
}

fn line<'a>(run: &'a Run, company: Option<&str>, before: Option<&Run>) -> Line<'a> {
    let (first, unexplained, within, rows) = match company {
        Some(c) => {
            let numbers = run.company(c);
            (
                numbers.and_then(|n| n.first()),
                numbers.map(|n| n.unexplained),
                numbers.is_some_and(|n| n.within_tolerance),
                numbers.and_then(|n| n.rows),
            )
        }
        None => (
            run.first(),
            run.unexplained(),
            run.within_tolerance(),
            run.rows.as_ref().map(KeyedRows::of),
        ),
    };
    Line {
        at: &run.at,
        by: &run.by,
        via: &run.via,
        status: if run.ok() { "ok" } else { "failed" },
        error: run.error(),
        companies: run.scope.len(),
        legacy: first.map(|m| m.legacy),
        new: first.map(|m| m.new),
        gap: first.map(|m| m.gap),
        unexplained: unexplained.filter(|_| run.ok()),
        within_tolerance: within,
        rows,
        changes: before.map(|b| changes(b, run)).unwrap_or_default(),
    }
}

/// Each run of `runs` (newest first) as a line, with what changed since the next one.
pub fn lines<'a>(runs: &'a [Run], company: Option<&str>) -> Vec<Line<'a>> {
    runs.iter()
        .enumerate()
        .map(|(i, r)| line(r, company, runs.get(i + 1)))
        .collect()
}
