//! The comparison open on Compare, shared: Drill, Waterfall and Rules follow the one picked
//! there (comparison, company) and the rules lab's what-if it is seen through.

use crate::config::Workspace;
use crate::jobs::{Job, Payload};
use crate::recon::report::Report;
use crate::recon::workbench::DrillRow;

pub struct Comparison {
    pub names: Vec<String>,
    pub which: usize,
    /// Per comparison: None (all its companies) then each company.
    companies: Vec<Vec<Option<String>>>,
    pub company: usize,
    pub report: Option<Report>,
    pub measure: String,
    pub dimensions: Vec<String>,
    pub joined_rows: i64,
    /// The measure by period, when the comparison has a period dimension.
    pub by_period: Vec<DrillRow>,
    preparing: bool,
    /// The rules lab's what-if the comparison is seen through (none: as it is).
    pub what_if: Vec<String>,
    /// The what-if or the layers changed since the comparison was made: made again when
    /// next shown.
    pub outdated: bool,
}

impl Comparison {
    pub fn new(ws: &Workspace) -> Comparison {
        let names: Vec<String> = ws.config.comparisons.keys().cloned().collect();
        let companies = names
            .iter()
            .map(|n| {
                let cmp = &ws.config.comparisons[n];
                let ids: Vec<String> = if cmp.companies.is_empty() {
                    ws.config.companies.keys().cloned().collect()
                } else {
                    cmp.companies.clone()
                };
                std::iter::once(None)
                    .chain(ids.into_iter().map(Some))
                    .collect()
            })
            .collect();
        Comparison {
            names,
            which: 0,
            companies,
            company: 0,
            report: None,
            measure: String::new(),
            dimensions: Vec::new(),
            joined_rows: 0,
            by_period: Vec::new(),
            preparing: false,
            what_if: Vec::new(),
            outdated: false,
        }
    }

    pub fn started(&self) -> bool {
        self.preparing || self.report.is_some()
    }

    pub fn is_ready(&self) -> bool {
        self.report.is_some() && !self.preparing
    }

    pub fn name(&self) -> Option<&str> {
        self.names.get(self.which).map(String::as_str)
    }

    /// The company the comparison is cut to (None: all of its companies).
    pub fn company(&self) -> Option<String> {
        self.companies
            .get(self.which)
            .and_then(|c| c.get(self.company))
            .cloned()
            .flatten()
    }

    pub fn company_label(&self) -> String {
        self.company().unwrap_or_else(|| "all companies".into())
    }

    /// Prepare the current comparison (a new request replaces a pending one).
    pub fn open_first(&mut self) -> Vec<Job> {
        let Some(name) = self.name().map(String::from) else {
            return Vec::new();
        };
        self.preparing = true;
        self.outdated = false;
        self.report = None;
        vec![Job::PrepareCompare {
            name,
            company: self.company(),
            what_if: self.what_if.clone(),
        }]
    }

    /// Prepared when it was never asked for, or is outdated (a screen showing it is shown).
    pub fn open_if_unseen(&mut self) -> Vec<Job> {
        match !self.started() || self.outdated {
            true => self.open_first(),
            false => Vec::new(),
        }
    }

    /// Prepared again when the what-if or the layers moved under it.
    pub fn open_if_outdated(&mut self) -> Vec<Job> {
        match self.outdated {
            true => self.open_first(),
            false => Vec::new(),
        }
    }

    /// The next comparison, at all its companies; a what-if is one comparison's rules.
    pub fn next_comparison(&mut self) -> Vec<Job> {
        if self.names.is_empty() {
            return Vec::new();
        }
        self.which = (self.which + 1) % self.names.len();
        self.company = 0;
        self.what_if.clear();
        self.open_first()
    }

    /// Comparison `name` cut to `company` (None: all its companies), as it is (no
    /// what-if), prepared now; nothing when the workspace has no such comparison.
    pub fn pick(&mut self, name: &str, company: Option<&str>) -> Vec<Job> {
        let Some(which) = self.names.iter().position(|n| n == name) else {
            return Vec::new();
        };
        let at = self.companies[which]
            .iter()
            .position(|c| c.as_deref() == company)
            .unwrap_or(0);
        self.which = which;
        self.company = at;
        self.what_if.clear();
        self.open_first()
    }

    pub fn next_company(&mut self) -> Vec<Job> {
        let n = self.companies.get(self.which).map_or(1, Vec::len);
        self.company = (self.company + 1) % n.max(1);
        self.open_first()
    }

    /// The comparison is seen through the lab's `rules` from now on (`force`d: one of
    /// them was edited, so the same rules read differently).
    pub fn see_through(&mut self, rules: Vec<String>, force: bool) {
        if force || rules != self.what_if {
            self.what_if = rules;
            self.outdated = true;
        }
    }

    /// `job` prepares the comparison as it is picked now (an answer to it is current).
    pub fn is_current(&self, job: &Job) -> bool {
        matches!(job, Job::PrepareCompare { name, company, what_if }
            if self.name() == Some(name.as_str())
                && self.company() == *company
                && self.what_if == *what_if)
    }

    /// A preparation's answer, kept when it is for the comparison picked now.
    pub fn on_answer(&mut self, job: &Job, payload: &Payload) {
        let Payload::Compared {
            report,
            dimensions,
            measure,
            rows,
            by_period,
        } = payload
        else {
            return;
        };
        if !self.is_current(job) {
            return;
        }
        self.preparing = false;
        self.report = Some((**report).clone());
        self.dimensions = dimensions.clone();
        self.measure = measure.clone();
        self.joined_rows = *rows;
        self.by_period = by_period.clone();
    }

    /// A failed or cancelled preparation leaves it ready to try again (r).
    pub fn job_failed(&mut self, job: &Job) {
        if matches!(job, Job::PrepareCompare { .. }) {
            self.preparing = false;
        }
    }
}
