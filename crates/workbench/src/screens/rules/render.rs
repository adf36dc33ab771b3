//! How the Rules screen draws: the rules with their effect, the prompt, and what is left.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::RulesScreen;
use crate::grid::pad;
use crate::recon::explain::Cause;
use crate::rules::ticket::WhatIf;
use crate::rules::Status;
use crate::text::{count, percent, right, signed_money};
use crate::theme::{Role, Theme};

impl RulesScreen {
    pub(super) fn draw(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
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
        // What is left gets half of a tall screen: its causes are the next rules to find.
        let left = if area.height >= 30 {
            area.height / 2
        } else {
            8
        };
        let [list, ask, rest] = Layout::vertical([
            Constraint::Min(5),
            Constraint::Length(prompt),
            Constraint::Length(left),
        ])
        .areas(area);
        self.render_list(f, list, what, theme);
        if let Some((asked, rule, t)) = &mut self.prompt {
            let title = asked.title(rule, &what.fall.comparison);
            t.set_block(Block::default().borders(Borders::ALL).title(title));
            f.render_widget(&*t, ask);
        }
        let causes = (self.causes.as_deref(), self.cause);
        let signed = self.signoff_line();
        render_remainder(
            f,
            rest,
            what,
            (self.error.as_deref(), &signed, causes),
            theme,
        );
    }

    /// The sign-off's state against the numbers shown, when they are the accepted rules'
    /// (a what-if's numbers are not what was signed).
    fn signoff_line(&self) -> (String, Role) {
        let Some(what) = &self.what else {
            return (String::new(), Role::Dim);
        };
        let accepted: std::collections::BTreeSet<String> = what
            .rules
            .iter()
            .filter(|r| r.status == Status::Accepted)
            .map(|r| r.name.clone())
            .collect();
        let is_accepted = self.applied.as_ref().is_none_or(|a| *a == accepted);
        match &what.fall.signoff {
            None => (
                "not signed off (O signs off the accepted numbers)".into(),
                Role::Dim,
            ),
            Some(s) => {
                let who = format!("signed off by {} at {}", s.signoff.by, s.signoff.at);
                match (is_accepted, s.state) {
                    (false, _) => (
                        format!("{who} (for the accepted rules, not this what-if)"),
                        Role::Dim,
                    ),
                    (true, "current") => (format!("{who}: current"), Role::Ok),
                    (true, state) => (
                        format!(
                            "{who}: {state} ({})",
                            crate::rules::signed::Change::list(&s.changed, ", ")
                        ),
                        Role::Warn,
                    ),
                }
            }
        }
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
            let text = "No rules yet: c selects a cause below, a adopts it as a proposed rule \
                        (`assay rules NAME suggest` adopts them all).";
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Dim)))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
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

/// What the remainder panel shows besides the numbers: the last change's error, the
/// sign-off line, the causes and the one selected.
type Remainder<'a> = (
    Option<&'a str>,
    &'a (String, Role),
    (Option<&'a [Cause]>, usize),
);

/// What the what-if leaves: accepted differences, the unexplained part, its top causes.
fn render_remainder(
    f: &mut Frame,
    area: Rect,
    what: &WhatIf,
    (error, signed, (causes, selected)): Remainder,
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
    if !fall.accepted.is_empty() {
        let each: Vec<String> = fall
            .accepted
            .iter()
            .map(|a| {
                format!(
                    "{} ({} rows, {})",
                    a.name,
                    count(a.rows),
                    signed_money(a.delta)
                )
            })
            .collect();
        lines.push(Line::from(Span::styled(
            pad(&format!("accepted: {}", each.join(" · ")), width),
            theme.style(Role::Text),
        )));
    }
    lines.push(Line::from(Span::styled(
        pad(&signed.0, width),
        theme.style(signed.1),
    )));
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

/// `share` of the gap (0..1, clamped) as a bar of `width` cells, eighths included.
fn bar_of(share: f64, width: usize) -> String {
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    if !share.is_finite() {
        return String::new();
    }
    let eighths = (share.abs().min(1.0) * (width * 8) as f64).round() as usize;
    format!("{}{}", "█".repeat(eighths / 8), PARTS[eighths % 8])
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
