//! Rules: the rules lab for the comparison open on Compare. Each rule of rules/NAME.toml
//! with its status; Space puts it in or out of the what-if (never the file), and the gap
//! after each rule, what is left and its top causes come back for exactly those rules.

use std::collections::BTreeSet;

use tui_textarea::TextArea;

use super::Comparison;
use crate::jobs::{Job, Payload};
use crate::keymap::Action;
use crate::recon::explain::Cause;
use crate::rules::ticket::WhatIf;
use crate::rules::Status;
use crate::text::signed_money;

mod prompt;
mod render;
mod screen;

pub use screen::ENTRY;

use prompt::Ask;

#[derive(Default)]
pub struct RulesScreen {
    /// The comparison asked for.
    asked: Option<String>,
    /// The rules in the what-if; None until the first answer (then: the accepted ones).
    applied: Option<BTreeSet<String>>,
    pub what: Option<WhatIf>,
    cursor: usize,
    error: Option<String>,
    /// The top causes of what the what-if leaves: explain's, on the comparison Compare and
    /// Drill show through the same what-if (None while they are being ranked).
    causes: Option<Vec<Cause>>,
    /// The cause selected (`c`), which `a` adopts.
    cause: usize,
    /// The selected cause while its ranking is asked again: selected again in the new
    /// ranking if it is still there (its place in the list may change).
    kept: Option<(String, crate::recon::RowClass)>,
    /// The workspace's folder: the report's files are named relative to it.
    root: std::path::PathBuf,
    /// A decision being written: what is asked, the rule, the text typed so far.
    prompt: Option<(Ask, String, TextArea<'static>)>,
    /// The layers were rebuilt since the numbers came: the next visit asks again (the
    /// what-if's rules kept).
    stale: bool,
}

impl RulesScreen {
    /// Ask for the comparison Compare shows, unless it is already here or asked.
    pub fn jobs_for(&mut self, compare: &Comparison, again: bool) -> Vec<Job> {
        let Some(name) = compare.name().map(String::from) else {
            return Vec::new();
        };
        if !again && !self.stale && self.asked.as_deref() == Some(name.as_str()) {
            return Vec::new();
        }
        self.stale = false;
        if self.asked.as_deref() != Some(name.as_str()) {
            self.applied = None;
            self.what = None;
            self.cursor = 0;
            self.causes = None;
            self.cause = 0;
            self.kept = None;
        }
        self.asked = Some(name.clone());
        self.error = None;
        vec![self.job(name)]
    }

    fn job(&self, name: String) -> Job {
        Job::Rules {
            name,
            applied: self.applied.as_ref().map(|a| a.iter().cloned().collect()),
        }
    }

    fn act(&mut self, action: Action, compare: &Comparison) -> Vec<Job> {
        let n = self.what.as_ref().map_or(0, |w| w.rules.len());
        match action {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = n.saturating_sub(1),
            Action::Refresh => return self.jobs_for(compare, true),
            Action::Toggle => return self.toggle(),
            Action::AcceptRule => self.ask_note(Status::Accepted),
            Action::RejectRule => self.ask_note(Status::Rejected),
            Action::Adopt => return self.adopt(),
            Action::NextCause => {
                let n = self.causes.as_ref().map_or(0, Vec::len);
                self.cause = (self.cause + 1) % n.max(1);
            }
            Action::Open => self.edit_where(),
            Action::EditSet => self.edit_set(),
            Action::AcceptDifference => self.ask_difference(),
            Action::SignOff => self.ask_signoff(),
            Action::Report => {
                return self
                    .asked
                    .iter()
                    .map(|name| Job::Report { name: name.clone() })
                    .collect()
            }
            _ => {}
        }
        Vec::new()
    }

    /// The selected cause of what is left, to add as a proposed rule.
    fn adopt(&mut self) -> Vec<Job> {
        let (Some(name), Some(causes)) = (&self.asked, &self.causes) else {
            return Vec::new();
        };
        match adopt(name, causes.get(self.cause)) {
            Ok(job) => vec![job],
            Err(why) => {
                self.error = Some(why);
                Vec::new()
            }
        }
    }

    /// The what-if's rules, when the lab is on comparison `name` and has set them.
    pub fn what_if_of(&self, name: Option<&str>) -> Option<Vec<String>> {
        if self.asked.as_deref() != name || name.is_none() {
            return None;
        }
        self.applied.as_ref().map(|a| a.iter().cloned().collect())
    }

    /// The causes of what the what-if leaves (None while they are being ranked).
    pub fn causes(&self) -> Option<&[Cause]> {
        self.causes.as_deref()
    }

    /// The comparison is being opened again through the what-if: its causes follow.
    fn causes_asked(&mut self) {
        if let Some(c) = self.causes.as_ref().and_then(|c| c.get(self.cause)) {
            self.kept = Some((c.predicate.clone(), c.row_class));
        }
        self.causes = None;
        self.cause = 0;
    }

    fn set_causes(&mut self, causes: Result<Vec<Cause>, String>) {
        let kept = self.kept.take();
        self.cause = 0;
        match causes {
            Ok(c) => {
                if let Some((predicate, class)) = kept {
                    let same = |x: &Cause| x.predicate == predicate && x.row_class == class;
                    self.cause = c.iter().position(same).unwrap_or(0);
                }
                self.causes = Some(c)
            }
            Err(e) => {
                self.causes = Some(Vec::new());
                self.error = Some(format!("could not rank what is left: {e}"));
            }
        }
    }

    fn ask_note(&mut self, status: Status) {
        if let Some(rule) = self.what.as_ref().and_then(|w| w.rules.get(self.cursor)) {
            self.prompt = Some((Ask::Note(status), rule.name.clone(), TextArea::default()));
        }
    }

    /// The first `set` expression of the rule under the cursor (adjust and shift rules).
    fn edit_set(&mut self) {
        let Some(rule) = self.what.as_ref().and_then(|w| w.rules.get(self.cursor)) else {
            return;
        };
        if let Some((column, expr)) = rule.set.iter().next() {
            let mut t = TextArea::new(vec![expr.clone()]);
            t.move_cursor(tui_textarea::CursorMove::End);
            self.prompt = Some((Ask::Set(column.clone()), rule.name.clone(), t));
        }
    }

    fn edit_where(&mut self) {
        if let Some(rule) = self.what.as_ref().and_then(|w| w.rules.get(self.cursor)) {
            let mut t = TextArea::new(vec![rule.filter.clone()]);
            t.move_cursor(tui_textarea::CursorMove::End);
            self.prompt = Some((Ask::Where, rule.name.clone(), t));
        }
    }

    pub fn prompt_open(&self) -> bool {
        self.prompt.is_some()
    }

    /// `what-if (8 Rules): 2 rules → left +109,128.29, unexplained −4.18`, once one is set.
    pub fn what_if_note(&self) -> Option<String> {
        let what = self.what.as_ref()?;
        let fall = &what.fall;
        Some(format!(
            "what-if (8 Rules): {} rule(s) → left {}, unexplained {}",
            fall.steps.len(),
            signed_money(fall.remaining),
            signed_money(fall.unexplained)
        ))
    }

    /// After a decision: the same what-if asked again (the statuses changed, not it).
    pub fn decided(&mut self, compare: &Comparison) -> Vec<Job> {
        self.jobs_for(compare, true)
    }

    /// After `rule` was accepted or rejected: the what-if follows the decision (a rejected
    /// rule leaves it, an accepted one joins it), then is asked again. A rejected rule left
    /// ticked went on closing the gap on screen after it was turned down.
    pub fn decided_on(&mut self, compare: &Comparison, rule: &str, status: Status) -> Vec<Job> {
        if let Some(applied) = &mut self.applied {
            match status {
                Status::Rejected => {
                    applied.remove(rule);
                }
                Status::Accepted => {
                    applied.insert(rule.to_string());
                }
                Status::Proposed => {}
            }
        }
        self.decided(compare)
    }

    /// The rule under the cursor in or out of the what-if; the numbers are asked again
    /// (the lane keeps only the latest ask, so fast toggles do not queue up).
    fn toggle(&mut self) -> Vec<Job> {
        let (Some(what), Some(applied), Some(name)) = (&self.what, &mut self.applied, &self.asked)
        else {
            return Vec::new();
        };
        let Some(rule) = what.rules.get(self.cursor) else {
            return Vec::new();
        };
        if !applied.remove(&rule.name) {
            applied.insert(rule.name.clone());
        }
        let name = name.clone();
        vec![self.job(name)]
    }

    fn failed(&mut self, job: &Job, error: &str) {
        match job {
            Job::RulesEdit { rule, change, .. } => {
                self.error = Some(error.to_string());
                self.reopen(rule, change);
            }
            Job::AcceptDifference { difference, .. } => {
                self.error = Some(error.to_string());
                self.reopen_difference(&difference.filter);
            }
            Job::Rules { .. }
            | Job::RulesDecide { .. }
            | Job::RulesAdopt { .. }
            | Job::SignOff { .. }
            | Job::Report { .. } => self.error = Some(error.to_string()),
            Job::RulesCauses { .. } => self.set_causes(Err(error.to_string())),
            _ => {}
        }
    }

    /// A what-if's numbers (then its causes are asked) or its causes.
    fn on_payload(&mut self, job: &Job, payload: &Payload) -> Vec<Job> {
        match (job, payload) {
            (Job::Rules { name, applied }, Payload::Rules(what)) => {
                self.on_numbers(name, applied.as_deref(), (**what).clone())
            }
            (Job::RulesCauses { name, applied }, Payload::RulesCauses(causes)) => {
                if self.what_if_of(Some(name)).as_ref() == Some(applied) {
                    self.set_causes(Ok(causes.clone()));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_numbers(&mut self, name: &str, applied: Option<&[String]>, what: WhatIf) -> Vec<Job> {
        if self.asked.as_deref() != Some(name) {
            return Vec::new();
        }
        // An answer for an earlier what-if than the one now set is not shown.
        let asked_for: Option<BTreeSet<String>> = applied.map(|a| a.iter().cloned().collect());
        if asked_for.is_some() && asked_for != self.applied {
            return Vec::new();
        }
        let set = self.applied.get_or_insert_with(|| {
            let accepted = what.rules.iter().filter(|r| r.status == Status::Accepted);
            accepted.map(|r| r.name.clone()).collect()
        });
        let applied: Vec<String> = set.iter().cloned().collect();
        self.error = None;
        self.what = Some(what);
        self.causes_asked();
        vec![Job::RulesCauses {
            name: name.to_string(),
            applied,
        }]
    }
}

/// The job that adds `cause` to comparison `name`'s rules file as a proposed rule, or why not.
pub fn adopt(name: &str, cause: Option<&Cause>) -> Result<Job, String> {
    match cause {
        None => Err("no cause is selected (c selects the next)".into()),
        Some(c) if c.rule.is_none() => Err(format!(
            "`{}` has no rule to adopt (spread over many values)",
            c.headline()
        )),
        Some(c) => Ok(Job::RulesAdopt {
            name: name.to_string(),
            cause: Box::new(c.clone()),
        }),
    }
}
