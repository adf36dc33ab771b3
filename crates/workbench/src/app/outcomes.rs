//! What the loop's writes come back with: extraction runs, a build, the data tests, an
//! accepted difference and a sign-off, each said on the status line, and the screens whose
//! numbers they change asked again.

use super::{App, Screen};
use crate::build::{BuildStatus, ModelOutcome};
use crate::checks::{Outcome, TestStatus};
use crate::jobs::Job;
use crate::rules::signoff::Signoff;
use crate::rules::Waterfall;
use crate::text::{count, signed_money};

impl App {
    pub(super) fn extracted(&mut self, outcomes: &[crate::extract::Outcome]) -> Vec<Job> {
        let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
        let msg = format!(
            "extraction finished: {} runs, {failed} failed",
            outcomes.len()
        );
        match outcomes.iter().find_map(|o| o.error.as_deref()) {
            Some(first) => self.set_error(format!("{msg}: {first}")),
            None => self.set_info(msg),
        }
        self.sources.finished();
        let mut jobs = vec![Job::Freshness, Job::Tables];
        jobs.extend(self.sources.history_again());
        jobs
    }

    /// A build ended: what it did, the layers' screens asked again, and the data tests
    /// when `[checks] after_build` says so (as `assay build` does).
    pub(super) fn built(&mut self, outcomes: &[ModelOutcome]) -> Vec<Job> {
        let bad: Vec<&ModelOutcome> = outcomes
            .iter()
            .filter(|o| o.status != BuildStatus::Ok)
            .collect();
        let seconds: f64 = outcomes.iter().map(|o| o.seconds).sum();
        let rows: i64 = outcomes.iter().filter_map(|o| o.rows).sum();
        match bad.first() {
            None => self.set_info(format!(
                "build: {} model(s) built, {} rows, in {seconds:.1} s",
                outcomes.len(),
                count(rows)
            )),
            Some(first) => self.set_error(format!(
                "build: {} of {} model(s) not built; {} {}: {}",
                bad.len(),
                outcomes.len(),
                first.model,
                format!("{:?}", first.status).to_lowercase(),
                first.error.as_deref().unwrap_or("a model it reads failed")
            )),
        }
        let mut jobs = vec![Job::Freshness, Job::Tables, Job::Models];
        jobs.extend(self.layers_changed());
        if bad.is_empty() && self.tests_after_build {
            jobs.push(Job::Tests);
        }
        jobs
    }

    /// The data tests ran and were recorded: counted by status, the first that did not
    /// pass named; Sources' tests column follows.
    pub(super) fn tested(&mut self, outcomes: &[Outcome]) -> Vec<Job> {
        if outcomes.is_empty() {
            self.set_info("no data tests to run: they are [tests.NAME] tables in assay.toml");
            return Vec::new();
        }
        let of = |s: TestStatus| outcomes.iter().filter(|o| o.status == s).count();
        let passed = of(TestStatus::Pass);
        let mut text = format!(
            "data tests: {passed} of {} test × company passed",
            outcomes.len()
        );
        for (status, word) in [
            (TestStatus::Warn, "warned"),
            (TestStatus::Fail, "failed"),
            (TestStatus::Error, "could not run"),
        ] {
            if of(status) > 0 {
                text.push_str(&format!(", {} {word}", of(status)));
            }
        }
        let worst = outcomes.iter().filter(|o| o.status != TestStatus::Pass);
        match worst.max_by_key(|o| o.status) {
            None => self.set_info(text),
            Some(o) => self.set_error(format!(
                "{text}; first: {} on {} ({}){}",
                o.test,
                o.table,
                o.company,
                o.error.as_deref().map_or_else(
                    || format!(", {} rows", count(o.failing)),
                    |e| format!(": {e}")
                )
            )),
        }
        vec![Job::Freshness]
    }

    pub(super) fn difference_accepted(&mut self, name: &str, fall: &Waterfall) -> Vec<Job> {
        let step = fall.accepted.iter().find(|a| a.name == name);
        let (rows, delta) = step.map_or((0, crate::decimal::Exact::ZERO), |a| (a.rows, a.delta));
        // Short enough for 80 columns: the panel below lists it with its amount.
        self.set_info(format!(
            "accepted {name}: {} rows, {}; {}",
            count(rows),
            signed_money(delta),
            if fall.within_tolerance {
                "within tolerance"
            } else {
                "still out of tolerance"
            }
        ));
        self.rules.decided(&self.compare)
    }

    pub(super) fn signed_off(&mut self, signed: &Signoff) -> Vec<Job> {
        // The signed numbers are on the Rules screen; the line says who and what is left.
        let unexplained = crate::decimal::Exact::parse(&signed.unexplained)
            .map_or_else(|| signed.unexplained.clone(), signed_money);
        self.set_info(format!(
            "signed off by {}: unexplained {unexplained}",
            signed.by
        ));
        self.rules.decided(&self.compare)
    }

    /// The report's files, named relative to the workspace where they are inside it.
    pub(super) fn reported(&mut self, paths: &[std::path::PathBuf]) -> Vec<Job> {
        let names: Vec<String> = paths
            .iter()
            .map(|p| {
                p.strip_prefix(&self.root)
                    .unwrap_or(p)
                    .display()
                    .to_string()
            })
            .collect();
        self.set_info(format!("report written: {}", names.join(", ")));
        Vec::new()
    }

    /// The layers were rebuilt: every screen showing numbers from them counts again, now
    /// if it is shown, on its next visit otherwise.
    fn layers_changed(&mut self) -> Vec<Job> {
        self.compare.outdated = true;
        self.drill.rows = None;
        self.waterfall.outdated();
        self.rules.outdated();
        match self.screen {
            Screen::Compare | Screen::Drill => self.compare.open_first(),
            Screen::Waterfall => self.waterfall.jobs_for(&self.compare, true),
            Screen::Rules => self.rules.jobs_for(&self.compare, true),
            _ => Vec::new(),
        }
    }
}
