//! A finished job's answer handed to the screens that asked for it, and what they ask next.

use super::{App, Command};
use crate::error::Error;
use crate::jobs::{Job, Payload};

impl App {
    pub(super) fn on_done(&mut self, job: Job, result: Result<Payload, Error>) -> Vec<Command> {
        let jobs = match result {
            Ok(payload) if payload.answers(&job) => self.on_payload(&job, payload),
            // An answer of another kind than its job's is a fault in the workbench: said,
            // not handed to screens that would read it as something else.
            Ok(payload) => {
                self.set_error(format!(
                    "{}: an unexpected answer ({}); r reloads",
                    job.describe(),
                    payload.kind()
                ));
                Vec::new()
            }
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
        self.shared.comparison.job_failed(job);
        for screen in &mut self.screens {
            screen.job_failed(job, &e_text);
        }
    }

    /// An answer: what the app itself says of it (the loop's writes, personal data shown,
    /// a key found), then every screen sees it and keeps what it asked for, then the screen
    /// shown follows what moved. Every kind of answer is named here: a new one is placed.
    fn on_payload(&mut self, job: &Job, payload: Payload) -> Vec<Job> {
        let mut jobs = match &payload {
            Payload::Extracted(outcomes) => self.extracted(outcomes),
            Payload::Built(outcomes) => self.built(outcomes),
            Payload::Tested(outcomes) => self.tested(outcomes),
            Payload::Revealed(on) => self.revealed_now(*on),
            Payload::Found(at) => self.found(job, *at),
            Payload::Compared { .. } => {
                self.shared.comparison.on_answer(job, &payload);
                Vec::new()
            }
            Payload::Freshness { .. }
            | Payload::History(_)
            | Payload::Tables(_)
            | Payload::Opened { .. }
            | Payload::Page { .. }
            | Payload::Profile { .. }
            | Payload::Causes(_)
            | Payload::Drilled { .. }
            | Payload::Rows { .. }
            | Payload::SqlRows { .. }
            | Payload::SqlDone { .. }
            | Payload::Models(_)
            | Payload::Parity(_)
            | Payload::Waterfall(_)
            | Payload::Rules(_)
            | Payload::RulesCauses(_)
            | Payload::RulesDecided
            | Payload::RulesAdopted(_)
            | Payload::DifferenceAccepted { .. }
            | Payload::SignedOff(_)
            | Payload::Reported(_) => Vec::new(),
        };
        for screen in &mut self.screens {
            jobs.extend(screen.on_answer(job, &payload, &mut self.shared));
        }
        jobs.extend(self.screens[self.screen].follow(&mut self.shared));
        jobs
    }

    /// A key asked for with `/`: the rows shown go to it, or the status line says none has it.
    fn found(&mut self, job: &Job, at: Option<u64>) -> Vec<Job> {
        match self.screens[self.screen].rows().map(|r| r.found(job, at)) {
            Some(Ok(page)) => page.into_iter().collect(),
            Some(Err(why)) => {
                self.set_error(why);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// Personal data was shown or masked again: what the screens hold was fetched the other
    /// way, so it is fetched again (each screen says how).
    fn revealed_now(&mut self, on: bool) -> Vec<Job> {
        self.revealed = on;
        self.set_info(match on {
            true => "personal data shown as it is (recorded); P masks it again",
            false => "personal data masked again",
        });
        self.shared.comparison.outdated = true;
        self.screens.iter_mut().flat_map(|s| s.revealed()).collect()
    }
}
