//! Drill's causes panel: explain's ranked causes of the gap on screen. They follow the
//! step: at the top the whole comparison's, within `company=acme` that company's (the
//! sides cut to the step's keys), so a scoped view never shows another scope's causes.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::DrillScreen;
use crate::grid::pad;
use crate::jobs::Job;
use crate::keymap::Action;
use crate::recon::explain::Cause;
use crate::screens::Comparison;
use crate::text::{percent, signed_money};
use crate::theme::{Role, Theme};

impl DrillScreen {
    /// ` likely causes of +1,234.50 ` at the top; ` … within acme › CANCELLED ` below it
    /// (the values of the path; the breadcrumb above names their dimensions).
    fn causes_title(&self) -> String {
        let gap = signed_money(self.causes_gap);
        if self.causes_path.is_empty() {
            return format!(" likely causes of {gap} ");
        }
        let scope: Vec<&str> = self
            .causes_path
            .iter()
            .map(|(_, v)| v.as_deref().unwrap_or("NULL"))
            .collect();
        format!(" likely causes of {gap} within {} ", scope.join(" › "))
    }

    /// Enter after `c`: the selected cause's rows, as a step of their own under the top
    /// (Backspace goes back there) — by the next dimension, or the rows when none is left.
    pub(super) fn go_to_cause(&mut self) -> Vec<Job> {
        let Some(Ok(causes)) = &self.causes else {
            return Vec::new();
        };
        let Some(cause) = causes.get(self.cause) else {
            return Vec::new();
        };
        let mut path = self.causes_path.clone();
        for (column, value) in &cause.terms {
            match self
                .dimensions
                .iter()
                .position(|d| d.eq_ignore_ascii_case(column))
            {
                Some(d) if !path.iter().any(|(p, _)| *p == d) => path.push((d, value.clone())),
                Some(_) => {}
                None => {
                    self.adopt_error = Some(format!(
                        "`{column}` is not a dimension of the comparison: no step to go to (a adopts the cause as a rule)"
                    ));
                    return Vec::new();
                }
            }
        }
        if cause.terms.is_empty() {
            self.adopt_error = Some("a spread cause has no rows of its own to go to".into());
            return Vec::new();
        }
        self.rows = None;
        self.stack.truncate(1);
        match self.unused(&path).first() {
            Some(&by) => self.push(path, by),
            None => {
                let mut view =
                    crate::rows_view::RowsView::new(path, crate::recon::ClassFilter::Differences);
                let job = view.first_job();
                self.rows = Some(view);
                std::iter::once(job).chain(self.follow()).collect()
            }
        }
    }

    /// `c` and `a` on the causes panel, whatever else the screen shows.
    pub(super) fn on_cause_action(
        &mut self,
        action: Action,
        compare: &Comparison,
    ) -> Option<Vec<Job>> {
        let causes = match &self.causes {
            Some(Ok(c)) => c.as_slice(),
            _ => &[],
        };
        match action {
            Action::NextCause => {
                self.cause = (self.cause + 1) % causes.len().max(1);
                self.cause_focus = true;
                Some(Vec::new())
            }
            Action::Adopt => {
                let name = compare.name().unwrap_or_default();
                match crate::screens::rules::adopt(name, causes.get(self.cause)) {
                    Ok(job) => {
                        self.adopt_error = None;
                        Some(vec![job])
                    }
                    Err(why) => {
                        self.adopt_error = Some(why);
                        Some(Vec::new())
                    }
                }
            }
            _ => None,
        }
    }

    pub(super) fn render_causes(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(self.causes_title(), theme.style(Role::Title)));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let causes = match &self.causes {
            Some(Ok(causes)) if !causes.is_empty() => causes,
            state => {
                let (text, role) = match state {
                    None => ("ranking causes…".to_string(), Role::Dim),
                    Some(Err(e)) => (format!("could not rank causes: {e}"), Role::Error),
                    Some(Ok(_)) => (
                        "no causes: nothing concentrates the gap in a dimension".to_string(),
                        Role::Dim,
                    ),
                };
                f.render_widget(
                    Paragraph::new(Span::styled(text, theme.style(role)))
                        .wrap(ratatui::widgets::Wrap { trim: true }),
                    inner,
                );
                return;
            }
        };
        let width = inner.width as usize;
        let mut lines: Vec<Line> = self
            .adopt_error
            .iter()
            .map(|e| Line::from(Span::styled(e.clone(), theme.style(Role::Error))))
            .collect();
        let room = (inner.height as usize).saturating_sub(lines.len());
        // The selected cause stays in view.
        let top = self.cause.saturating_sub(room.saturating_sub(1));
        lines.extend(
            causes
                .iter()
                .enumerate()
                .skip(top)
                .take(room)
                .map(|(i, c)| {
                    let (mark, role) = match i == self.cause {
                        true => ("▶", Role::Selected),
                        false => (" ", Role::Text),
                    };
                    Line::from(vec![
                        Span::styled(
                            format!("{mark}{:>6} ", percent(c.share)),
                            theme.style(Role::Warn),
                        ),
                        Span::styled(
                            pad(&cause_line(c), width.saturating_sub(8)),
                            theme.style(role),
                        ),
                    ])
                }),
        );
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// A cause as its candidate rule: `exclude "kind" = 'VOID'`, `adjust … : amount = …`, or
/// the spread class's sentence.
fn cause_line(c: &Cause) -> String {
    match &c.rule {
        _ if c.spread => c.headline(),
        Some(rule) => {
            let kind = rule.kind.as_str();
            match &rule.expression {
                Some(e) => format!("{kind} {} : {e}", c.predicate),
                None => format!("{kind} {} ({})", c.predicate, c.row_class),
            }
        }
        None => format!("{} ({})", c.predicate, c.row_class),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn causes_panel(causes: Option<Result<Vec<Cause>, String>>) -> String {
        let screen = DrillScreen {
            causes,
            ..DrillScreen::default()
        };
        let mut terminal = Terminal::new(TestBackend::new(60, 6)).unwrap();
        let theme = Theme::built_in("mono");
        terminal
            .draw(|f| screen.render_causes(f, f.area(), &theme))
            .unwrap();
        crate::harness::buffer_text(terminal.backend().buffer())
    }

    /// The panel says what it is waiting for, that nothing was found, or why it failed;
    /// an empty answer is not drawn as still ranking.
    #[test]
    fn the_causes_panel_tells_waiting_from_none_from_failed() {
        assert!(causes_panel(None).contains("ranking causes…"));
        let none = causes_panel(Some(Ok(Vec::new())));
        assert!(
            none.contains("no causes") && !none.contains("ranking"),
            "{none}"
        );
        let failed = causes_panel(Some(Err("database: boom".into())));
        assert!(
            failed.contains("could not rank causes: database: boom"),
            "{failed}"
        );
    }

    #[test]
    fn the_title_says_whose_gap_the_causes_are_of() {
        let mut screen = DrillScreen {
            dimensions: vec!["company".into(), "branch".into()],
            causes_gap: assay_engine::decimal::Exact::parse("1234.5").unwrap(),
            ..DrillScreen::default()
        };
        assert_eq!(screen.causes_title(), " likely causes of +1,234.5 ");
        screen.causes_path = vec![(0, Some("acme".into())), (1, None)];
        assert_eq!(
            screen.causes_title(),
            " likely causes of +1,234.5 within acme › NULL "
        );
    }
}
