//! Rules as a screen of the registry: its keys, the answers of the lab's jobs said on the
//! status line, and the what-if handed to the comparison Compare and Drill show.

use ratatui::layout::Rect;
use ratatui::Frame;

use super::RulesScreen;
use crate::command::Command;
use crate::jobs::{Job, Payload};
use crate::keymap::{Action, ScreenKeys};
use crate::rules::signoff::Signoff;
use crate::rules::{Suggested, Waterfall};
use crate::screens::{Entry, Prompt, Screen, Shared};
use crate::text::{count, signed_money};
use crate::theme::Theme;

#[rustfmt::skip]
pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "Rules",
        name: "rules",
        about: "rules lab: what-if",
        keys: &[
        (Action::Toggle, &["space"], "toggle_rule", "rule in/out of the what-if"),
        (Action::AcceptRule, &["A"], "accept_rule", "accept the rule (with a note)"),
        (Action::RejectRule, &["R"], "reject_rule", "reject the rule (with a note)"),
        (Action::Open, &["enter"], "edit_rule", "edit the rule's where (checked first)"),
        (Action::EditSet, &["S"], "edit_set", "edit the rule's set expression (checked first)"),
        (Action::NextCause, &["c"], "next_left_cause", "select the next cause of what is left"),
        (Action::Adopt, &["a"], "adopt_cause", "adopt the selected cause as a proposed rule"),
        (Action::AcceptDifference, &["D"], "accept_difference", "accept a difference (the cause's rows or a where; a note)"),
        (Action::SignOff, &["O"], "sign_off", "sign off the accepted numbers (with a note)"),
        (Action::Report, &["W"], "write_report", "write the report: reports/NAME.html and .md"),
        ],
    },
    make: |ws| {
        Box::new(RulesScreen {
            root: ws.root.clone(),
            ..RulesScreen::default()
        })
    },
};

impl RulesScreen {
    /// What the lab's what-if is now, handed to the comparison (made again through it when
    /// next shown; `force`d after an edit: the same rules read differently).
    fn publish(&self, shared: &mut Shared, force: bool) {
        shared.what_if_note = self.what_if_note();
        if let Some(rules) = self.what_if_of(shared.comparison.name()) {
            shared.comparison.see_through(rules, force);
        }
    }

    /// A rule was saved or decided, or a difference accepted, or the numbers signed: said,
    /// and the numbers asked again.
    fn on_written(&mut self, job: &Job, payload: &Payload, shared: &mut Shared) -> Vec<Job> {
        let jobs = match (job, payload) {
            (Job::RulesEdit { rule, .. }, Payload::RulesDecided) => {
                shared.set_info(format!("{rule}: checked and saved"));
                self.decided(&shared.comparison)
            }
            (Job::RulesDecide { rule, status, .. }, Payload::RulesDecided) => {
                shared.set_info(format!("{rule}: {} (in the rules file)", status.as_str()));
                self.decided_on(&shared.comparison, rule, *status)
            }
            (_, Payload::RulesAdopted(done)) => {
                adopted(shared, done);
                self.decided(&shared.comparison)
            }
            (_, Payload::DifferenceAccepted { name, fall }) => {
                shared.set_info(accepted(name, fall));
                self.decided(&shared.comparison)
            }
            (_, Payload::SignedOff(signed)) => {
                shared.set_info(signed_off(signed));
                self.decided(&shared.comparison)
            }
            (_, Payload::Reported(paths)) => {
                let names: Vec<String> = paths
                    .iter()
                    .map(|p| {
                        p.strip_prefix(&self.root)
                            .unwrap_or(p)
                            .display()
                            .to_string()
                    })
                    .collect();
                shared.set_info(format!("report written: {}", names.join(", ")));
                Vec::new()
            }
            _ => return Vec::new(),
        };
        // An edited rule reads differently: the comparison through it is made again.
        self.publish(shared, matches!(payload, Payload::RulesDecided));
        jobs
    }
}

impl Screen for RulesScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared, _: &mut Vec<Command>) -> Vec<Job> {
        let jobs = self.act(action, &shared.comparison);
        self.publish(shared, false);
        jobs
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, _: &Shared) {
        self.draw(f, area, theme)
    }

    /// The lab of the comparison Compare shows, unless it is here already.
    fn shown(&mut self, shared: &mut Shared) -> Vec<Job> {
        self.jobs_for(&shared.comparison, false)
    }

    /// Counted again after a rebuild, the what-if kept.
    fn follow(&mut self, shared: &mut Shared) -> Vec<Job> {
        match self.stale {
            true => self.jobs_for(&shared.comparison, false),
            false => Vec::new(),
        }
    }

    fn on_answer(&mut self, job: &Job, payload: &Payload, shared: &mut Shared) -> Vec<Job> {
        match payload {
            Payload::Rules(_) | Payload::RulesCauses(_) => {
                let jobs = self.on_payload(job, payload);
                self.publish(shared, false);
                jobs
            }
            _ => self.on_written(job, payload, shared),
        }
    }

    fn job_failed(&mut self, job: &Job, error: &str) {
        self.failed(job, error)
    }

    fn prompt(&mut self) -> Option<&mut dyn Prompt> {
        match self.prompt_open() {
            true => Some(self),
            false => None,
        }
    }

    fn layers_changed(&mut self) {
        self.stale = true;
    }
}

/// What adopting a cause came to: the rule proposed, why not, or the rule it already is.
fn adopted(shared: &mut Shared, done: &Suggested) {
    match (done.added.first(), done.passed_over.first()) {
        (Some(rule), _) => shared.set_info(format!("{rule}: proposed (in the rules file)")),
        (None, Some((predicate, why))) => {
            shared.set_error(format!("not adopted: {predicate}: {why}"))
        }
        (None, None) => shared.set_info(format!(
            "the rules file has that rule already: {}",
            done.known.join(", ")
        )),
    }
}

/// `accepted NAME: 12 rows, +1,234.50; within tolerance`: short enough for 80 columns (the
/// panel below lists it with its amount).
fn accepted(name: &str, fall: &Waterfall) -> String {
    let step = fall.accepted.iter().find(|a| a.name == name);
    let (rows, delta) = step.map_or((0, crate::decimal::Exact::ZERO), |a| (a.rows, a.delta));
    format!(
        "accepted {name}: {} rows, {}; {}",
        count(rows),
        signed_money(delta),
        if fall.within_tolerance {
            "within tolerance"
        } else {
            "still out of tolerance"
        }
    )
}

/// Who signed and what is left (the signed numbers are on the screen).
fn signed_off(signed: &Signoff) -> String {
    let unexplained = crate::decimal::Exact::parse(&signed.unexplained)
        .map_or_else(|| signed.unexplained.clone(), signed_money);
    format!("signed off by {}: unexplained {unexplained}", signed.by)
}
