//! A finished job's answer handed to the screens that asked for it, and what they ask next.

use super::{App, Command, Screen};
use crate::error::Error;
use crate::jobs::{Job, Lane, Payload};
use crate::keymap::Action;

impl App {
    pub(super) fn on_done(&mut self, job: Job, result: Result<Payload, Error>) -> Vec<Command> {
        let jobs = match result {
            Ok(payload) => self.on_payload(&job, payload),
            Err(e) => {
                self.on_failed(&job, e);
                Vec::new()
            }
        };
        jobs.into_iter().map(Command::Run).collect()
    }

    /// A job failed or was cancelled: said on the status line, and the screens that asked
    /// for it stop waiting.
    fn on_failed(&mut self, job: &Job, e: Error) {
        // The causes of a what-if the next toggle replaced: nothing to say.
        if matches!((job, &e), (Job::RulesCauses { .. }, Error::Cancelled)) {
            return;
        }
        let e_text = e.to_string();
        match e {
            Error::Cancelled => self.set_info(format!("{}: cancelled", job.describe())),
            e => self.set_error(format!("{}: {e}", job.describe())),
        }
        self.layers.job_failed(job);
        self.sql.job_failed(job);
        self.compare.job_failed(job);
        self.drill.job_failed(job, &e_text);
        self.waterfall.job_failed(job, &e_text);
        self.rules.job_failed(job, &e_text);
        if let Job::Extract(_) = job {
            self.sources.finished();
        }
    }

    /// An answer to the screen that asked, and what it asks next.
    fn on_payload(&mut self, job: &Job, payload: Payload) -> Vec<Job> {
        match (job, payload) {
            (Job::Freshness, Payload::Freshness { rows, tests }) => {
                self.sources.set_rows(rows, &tests);
                Vec::new()
            }
            (Job::History(_), Payload::History(history)) => {
                self.sources.set_history(*history);
                Vec::new()
            }
            (Job::Extract(_), Payload::Extracted(outcomes)) => self.extracted(&outcomes),
            (Job::Build, Payload::Built(outcomes)) => self.built(&outcomes),
            (Job::Tests, Payload::Tested(outcomes)) => self.tested(&outcomes),
            (Job::Tables, Payload::Tables(tables)) => {
                self.layers.set_tables(tables);
                Vec::new()
            }
            (
                Job::Open { .. }
                | Job::Page {
                    lane: Lane::Browse, ..
                }
                | Job::Profile { .. },
                payload,
            ) => self.layers.on_payload(job, payload),
            (
                Job::Sql { .. }
                | Job::Page {
                    lane: Lane::Sql, ..
                },
                payload,
            ) => self.sql.on_payload(job, payload, &mut self.status),
            (Job::PrepareCompare { .. } | Job::Rows { .. } | Job::Explain { .. }, payload) => {
                self.compared(job, payload)
            }
            (Job::Drill { .. }, payload) => self.drill.on_payload(job, payload),
            (Job::FindRow { .. }, Payload::Found(at)) => self.found(job, at),
            (Job::Models, payload) => {
                self.models.on_payload(payload);
                Vec::new()
            }
            (Job::Waterfall { .. }, payload) => {
                self.waterfall.on_payload(job, payload);
                Vec::new()
            }
            (Job::Reveal { .. }, Payload::Revealed(on)) => self.revealed_now(on),
            (Job::RulesAdopt { .. }, Payload::RulesAdopted(done)) => self.adopted(&done),
            (Job::RulesEdit { rule, .. }, Payload::RulesDecided) => {
                self.set_info(format!("{rule}: checked and saved"));
                // The rule reads differently now: the comparison through it is made again.
                let mut jobs = self.rules.decided(&self.compare);
                jobs.extend(self.follow_what_if(true));
                jobs
            }
            (Job::RulesDecide { rule, status, .. }, Payload::RulesDecided) => {
                self.set_info(format!("{rule}: {} (in the rules file)", status.as_str()));
                let mut jobs = self.rules.decided_on(&self.compare, rule, *status);
                jobs.extend(self.follow_what_if(true));
                jobs
            }
            (Job::AcceptDifference { .. }, Payload::DifferenceAccepted { name, fall }) => {
                self.difference_accepted(&name, &fall)
            }
            (Job::SignOff { .. }, Payload::SignedOff(signed)) => self.signed_off(&signed),
            (Job::Report { .. }, Payload::Reported(paths)) => self.reported(&paths),
            (Job::Rules { .. } | Job::RulesCauses { .. }, payload) => {
                let mut jobs = self.rules.on_payload(job, payload);
                jobs.extend(self.follow_what_if(false));
                jobs
            }
            // Every job above has its answer; another pairing is a fault in the workbench,
            // said rather than dropped.
            (job, payload) => {
                self.set_error(format!(
                    "{}: an unexpected answer ({}); r reloads",
                    job.describe(),
                    payload.kind()
                ));
                Vec::new()
            }
        }
    }

    /// A comparison's report, causes or rows: Compare's, and Drill follows.
    fn compared(&mut self, job: &Job, payload: Payload) -> Vec<Job> {
        let mut jobs = self.compare.on_payload(job, payload.clone());
        match payload {
            // An answer for a comparison no longer asked for is dropped by Compare.
            Payload::Compared { .. } if !self.compare.is_ready() => jobs.push(Job::Tables),
            Payload::Compared { .. } => {
                jobs.extend(self.drill.reset(&self.compare));
                // The compare imported the legacy export: Layers lists it now.
                jobs.push(Job::Tables);
            }
            Payload::Causes(causes) => self.drill.on_causes(job, causes),
            rows @ Payload::Rows { .. } => self.drill.on_rows(job, rows),
            _ => {}
        }
        jobs
    }

    /// A key asked for with `/`: the rows shown go to it, or the status line says none has it.
    fn found(&mut self, job: &Job, at: Option<u64>) -> Vec<Job> {
        let rows = match self.screen {
            Screen::Drill => self.drill.rows.as_mut(),
            _ => Some(&mut self.compare.rows),
        };
        match rows.map(|r| r.found(job, at)) {
            Some(Ok(page)) => page.into_iter().collect(),
            Some(Err(why)) => {
                self.set_error(why);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn adopted(&mut self, done: &crate::rules::Suggested) -> Vec<Job> {
        match (done.added.first(), done.passed_over.first()) {
            (Some(rule), _) => self.set_info(format!("{rule}: proposed (in the rules file)")),
            (None, Some((predicate, why))) => {
                self.set_error(format!("not adopted: {predicate}: {why}"))
            }
            (None, None) => self.set_info(format!(
                "the rules file has that rule already: {}",
                done.known.join(", ")
            )),
        }
        self.rules.decided(&self.compare)
    }

    /// Personal data was shown or masked again: what the screens hold was fetched the other
    /// way, so it is fetched again (the SQL console's answer is dropped: a statement is
    /// not run twice behind the user's back).
    fn revealed_now(&mut self, on: bool) -> Vec<Job> {
        self.revealed = on;
        self.set_info(match on {
            true => "personal data shown as it is (recorded); P masks it again",
            false => "personal data masked again",
        });
        if self.sql.grid.take().is_some() {
            self.sql.message = Some("run the query again (F5) to see its answer".into());
        }
        let mut jobs = Vec::new();
        if self.layers.grid.is_some() {
            jobs.extend(self.layers.on_action(Action::Refresh, &mut Vec::new()));
        }
        self.compare.outdated = true;
        self.drill.rows = None;
        if matches!(self.screen, Screen::Compare | Screen::Drill) {
            jobs.extend(self.compare.open_first());
        }
        jobs
    }

    /// Compare and Drill follow the lab's what-if: when its rules change (or, `force`d,
    /// one of them was edited), the comparison is made again through them, when one of the
    /// two is shown (seconds on a large comparison: not for every toggle on Rules).
    pub(super) fn follow_what_if(&mut self, force: bool) -> Vec<Job> {
        let Some(want) = self.rules.what_if_of(self.compare.name()) else {
            return Vec::new();
        };
        if force || want != self.compare.what_if {
            self.compare.what_if = want;
            self.compare.outdated = true;
        }
        match self.screen {
            Screen::Compare | Screen::Drill if self.compare.outdated => self.compare.open_first(),
            _ => Vec::new(),
        }
    }
}
