//! What the loop's writes come back with: extraction runs, a build, the data tests, each
//! said on the status line, and the screens whose numbers they change asked again. (The
//! rules lab's writes are said by the Rules screen.)

use super::App;
use crate::build::{BuildStatus, ModelOutcome};
use crate::checks::{Outcome, TestStatus};
use crate::jobs::Job;
use crate::text::count;

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
        // Sources ends its progress and reads the history shown again.
        vec![Job::Freshness, Job::Tables]
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
        self.layers_changed();
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

    /// The layers were rebuilt: every screen showing numbers from them counts again, now
    /// if it is shown (it follows once the answer is handed round), on its next visit
    /// otherwise.
    fn layers_changed(&mut self) {
        self.shared.comparison.outdated = true;
        self.screens.iter_mut().for_each(|s| s.layers_changed());
    }
}
