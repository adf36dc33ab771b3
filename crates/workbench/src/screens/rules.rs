//! Rules: the rules lab for the comparison open on Compare. Each rule of rules/NAME.toml
//! with its status; Space puts it in or out of the what-if (never the file), and the gap
//! after each rule, what is left and its top causes come back for exactly those rules.

use std::collections::BTreeSet;

use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;

use super::compare::CompareScreen;
use crate::grid::pad;
use crate::jobs::{Job, Payload};
use crate::keymap::Action;
use crate::recon::explain::Cause;
use crate::rules::file::Edit;
use crate::rules::ticket::WhatIf;
use crate::rules::Status;
use crate::text::{count, percent, right, signed_money};
use crate::theme::{Role, Theme};

/// What the prompt asks for.
#[derive(Debug, Clone, PartialEq)]
enum Ask {
    /// A note for accepting or rejecting the rule.
    Note(Status),
    /// The rule's `where`, edited.
    Where,
    /// The expression of the rule's `set.<column>`, edited.
    Set(String),
}

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
    /// A decision being written: the status, the rule, the note typed so far.
    prompt: Option<(Ask, String, TextArea<'static>)>,
}

impl RulesScreen {
    /// Ask for the comparison Compare shows, unless it is already here or asked.
    pub fn jobs_for(&mut self, compare: &CompareScreen, again: bool) -> Vec<Job> {
        let Some(name) = compare.name().map(String::from) else {
            return Vec::new();
        };
        if !again && self.asked.as_deref() == Some(name.as_str()) {
            return Vec::new();
        }
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

    pub fn on_action(&mut self, action: Action, compare: &CompareScreen) -> Vec<Job> {
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

    /// A refused edit's text back in its prompt, to be put right rather than typed again.
    fn reopen(&mut self, rule: &str, change: &Edit) {
        let (ask, text) = match change {
            Edit::Where(text) => (Ask::Where, text.clone()),
            Edit::Set { column, expr } => (Ask::Set(column.clone()), expr.clone()),
        };
        let mut t = TextArea::new(vec![text]);
        t.move_cursor(tui_textarea::CursorMove::End);
        self.prompt = Some((ask, rule.to_string(), t));
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
    pub fn decided(&mut self, compare: &CompareScreen) -> Vec<Job> {
        self.jobs_for(compare, true)
    }

    /// After `rule` was accepted or rejected: the what-if follows the decision (a rejected
    /// rule leaves it, an accepted one joins it), then is asked again. A rejected rule left
    /// ticked went on closing the gap on screen after it was turned down.
    pub fn decided_on(&mut self, compare: &CompareScreen, rule: &str, status: Status) -> Vec<Job> {
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

    pub fn job_failed(&mut self, job: &Job, error: &str) {
        match job {
            Job::RulesEdit { rule, change, .. } => {
                self.error = Some(error.to_string());
                self.reopen(rule, change);
            }
            Job::Rules { .. } | Job::RulesDecide { .. } | Job::RulesAdopt { .. } => {
                self.error = Some(error.to_string())
            }
            Job::RulesCauses { .. } => self.set_causes(Err(error.to_string())),
            _ => {}
        }
    }

    /// A what-if's numbers (then its causes are asked) or its causes.
    pub fn on_payload(&mut self, job: &Job, payload: Payload) -> Vec<Job> {
        match (job, payload) {
            (Job::Rules { name, applied }, Payload::Rules(what)) => {
                self.on_numbers(name, applied.as_deref(), *what)
            }
            (Job::RulesCauses { name, applied }, Payload::RulesCauses(causes)) => {
                if self.what_if_of(Some(name)).as_ref() == Some(applied) {
                    self.set_causes(Ok(causes));
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

    pub fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(what) = &self.what else {
            let (text, role) = match (&self.error, &self.asked) {
                (Some(e), _) => (
                    format!("could not apply the rules: {e} (r: again)"),
                    Role::Error,
                ),
                (None, Some(name)) => (format!("applying {name}'s rules…"), Role::Dim),
                (None, None) => ("Open a comparison on Compare (3) first.".into(), Role::Dim),
            };
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(role)))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
            return;
        };
        let prompt = if self.prompt.is_some() { 3 } else { 0 };
        let [list, ask, rest] = Layout::vertical([
            Constraint::Min(5),
            Constraint::Length(prompt),
            Constraint::Length(7),
        ])
        .areas(area);
        self.render_list(f, list, what, theme);
        if let Some((asked, rule, t)) = &mut self.prompt {
            let title = match asked {
                Ask::Note(Status::Accepted) => {
                    format!(" accept {rule}: a note · Enter records · Esc ")
                }
                Ask::Note(_) => format!(" reject {rule}: a note · Enter records · Esc "),
                Ask::Where => format!(" {rule}: where (SQL) · Enter checks and saves · Esc "),
                Ask::Set(column) => format!(" {rule}: set {column} = (SQL) · Enter checks · Esc "),
            };
            t.set_block(Block::default().borders(Borders::ALL).title(title));
            f.render_widget(&*t, ask);
        }
        let causes = (self.causes.as_deref(), self.cause);
        render_remainder(f, rest, what, (self.error.as_deref(), causes), theme);
    }

    fn render_list(&self, f: &mut Frame, area: Rect, what: &WhatIf, theme: &Theme) {
        let fall = &what.fall;
        let applied = self.applied.clone().unwrap_or_default();
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(
                " {} · {}: gap {} · what-if: {} of {} rules ",
                fall.comparison,
                fall.measure,
                signed_money(fall.gap_before),
                applied.len(),
                what.rules.len()
            ),
            theme.style(Role::Title),
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let width = inner.width as usize;
        if what.rules.is_empty() {
            let text =
                "No rules yet: `assay rules NAME suggest` proposes them from explain's causes.";
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Dim))),
                inner,
            );
            return;
        }
        // The gap after each rule only when there is room: the name matters more.
        let wide = width >= 100;
        let money = 13;
        // Each rule's share of the gap as a bar: the waterfall at a glance.
        let bar_w = 8;
        let fixed = 4 + 8 + 9 + money + bar_w + if wide { money } else { 0 };
        let name_w = width.saturating_sub(fixed).max(10);
        let column = |a: &str, b: &str| if wide { right(b, money) } else { String::new() } + &right(a, money);
        let mut lines = vec![Line::from(Span::styled(
            format!(
                "    {}{:<8}{:<9}{}{}",
                pad("rule", name_w),
                "kind",
                "status",
                column("effect", "gap after"),
                right("share", bar_w)
            ),
            theme.style(Role::Dim),
        ))];
        let top = self
            .cursor
            .saturating_sub((inner.height as usize).saturating_sub(2));
        for (i, r) in what.rules.iter().enumerate().skip(top) {
            let on = applied.contains(&r.name);
            let step = fall.steps.iter().find(|s| s.rule == r.name);
            let (effect, after) = step.map_or((String::new(), String::new()), |s| {
                (signed_money(s.delta), signed_money(s.gap_after))
            });
            let bar = step.map_or(String::new(), |s| {
                bar_of(s.delta.to_f64() / fall.gap_before.to_f64(), bar_w - 1)
            });
            let text = format!(
                "{} {} {}{:<8}{:<9}{} {}",
                if i == self.cursor { "▶" } else { " " },
                if on { "[x]" } else { "[ ]" },
                pad(&r.name, name_w.saturating_sub(2)),
                r.kind.as_str(),
                r.status.as_str(),
                column(&effect, &after),
                bar
            );
            let role = if i == self.cursor {
                Role::Selected
            } else if on {
                Role::Text
            } else {
                Role::Dim
            };
            lines.push(Line::from(Span::styled(
                pad(&text, width),
                theme.style(role),
            )));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// What the what-if leaves: accepted differences, the unexplained part, its top causes.
fn render_remainder(
    f: &mut Frame,
    area: Rect,
    what: &WhatIf,
    (error, (causes, selected)): (Option<&str>, (Option<&[Cause]>, usize)),
    theme: &Theme,
) {
    let fall = &what.fall;
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" left: {} ", signed_money(fall.remaining)),
        theme.style(Role::Title),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    let accepted: i64 = fall.accepted.iter().map(|a| a.rows).sum();
    let verdict = if fall.within_tolerance {
        ("within tolerance", Role::Ok)
    } else {
        ("out of tolerance", Role::Warn)
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(
                "unexplained {} · {} accepted difference(s), {} rows · ",
                signed_money(fall.unexplained),
                fall.accepted.len(),
                count(accepted)
            ),
            theme.style(Role::Text),
        ),
        Span::styled(verdict.0, theme.style(verdict.1)),
    ])];
    if let Some(e) = error {
        // Wrapped in full: the reason is what the user needs to fix the rule.
        lines.push(Line::from(Span::styled(
            format!("last change failed: {e}"),
            theme.style(Role::Error),
        )));
    }
    let Some(causes) = causes else {
        lines.push(Line::from(Span::styled(
            "ranking what is left…",
            theme.style(Role::Dim),
        )));
        f.render_widget(Paragraph::new(lines), inner);
        return;
    };
    for (i, c) in causes.iter().enumerate() {
        let (mark, role) = match i == selected {
            true => ("▶", Role::Selected),
            false => (" ", Role::Text),
        };
        let share = format!("{mark}{:>6} ", percent(c.share));
        lines.push(Line::from(vec![
            Span::styled(share, theme.style(Role::Warn)),
            Span::styled(
                pad(
                    &format!("{} ({})", c.headline(), c.row_class),
                    width.saturating_sub(8),
                ),
                theme.style(role),
            ),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        inner,
    );
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

/// `share` of the gap (0..1, clamped) as a bar of `width` cells, eighths included.
fn bar_of(share: f64, width: usize) -> String {
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    if !share.is_finite() {
        return String::new();
    }
    let eighths = (share.abs().min(1.0) * (width * 8) as f64).round() as usize;
    format!("{}{}", "█".repeat(eighths / 8), PARTS[eighths % 8])
}

impl super::Prompt for RulesScreen {
    fn close_prompt(&mut self) {
        self.prompt = None;
    }

    fn type_key(&mut self, key: KeyEvent) {
        if let Some((_, _, t)) = &mut self.prompt {
            t.input(key);
        }
    }

    /// The decision with its note, or the edited `where`, to be written to the rules file.
    fn submit_prompt(&mut self) -> Option<Job> {
        let (ask, rule, text) = self.prompt.take()?;
        let text = text.lines().join(" ").trim().to_string();
        let name = self.asked.clone()?;
        Some(match ask {
            Ask::Note(status) => Job::RulesDecide {
                name,
                rule,
                status,
                note: text,
            },
            Ask::Where => Job::RulesEdit {
                name,
                rule,
                change: Edit::Where(text),
            },
            Ask::Set(column) => Job::RulesEdit {
                name,
                rule,
                change: Edit::Set { column, expr: text },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::bar_of;

    #[test]
    fn a_share_is_a_bar_in_eighths() {
        assert_eq!(bar_of(0.5, 8), "████");
        assert_eq!(bar_of(1.7, 2), "██", "clamped to the width");
        assert_eq!(bar_of(-0.0625, 2), "▏", "a negative effect by its size");
        assert_eq!(bar_of(f64::NAN, 8), "");
    }
}
