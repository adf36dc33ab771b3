//! Drill: the gap by one dimension with bars and shares; Enter drills into a value by the
//! next dimension (d picks another), Backspace goes back up the stack (the breadcrumb),
//! and below the last dimension come the rows. Explain's ranked causes sit beside it.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::compare::what_if_label;
use super::Comparison;
use crate::command::Command;
use crate::grid::pad;
use crate::jobs::{Job, Payload};
use crate::keymap::Action;
use crate::recon::explain::Cause;
use crate::recon::workbench::DrillRow;
use crate::recon::{ClassFilter, RowClass};
use crate::rows_view::RowsView;
use crate::text::{count, percent, signed_money};
use crate::theme::{Role, Theme};
use assay_engine::decimal::Exact;

mod causes;
mod screen;

pub use screen::ENTRY;

pub struct Step {
    pub path: Vec<(usize, Option<String>)>,
    pub by: usize,
    pub rows: Vec<DrillRow>,
    pub classes: Vec<(RowClass, i64)>,
    pub cursor: usize,
    pub loading: bool,
}

#[derive(Default)]
pub struct DrillScreen {
    pub dimensions: Vec<String>,
    pub stack: Vec<Step>,
    /// Below the last dimension: the rows of the path.
    pub rows: Option<RowsView>,
    /// Explain's ranked causes: None while they are being ranked, the reason if that failed.
    pub causes: Option<Result<Vec<Cause>, String>>,
    /// The path the causes are of (empty: the whole comparison), and the gap there: the
    /// causes follow the step on screen.
    pub causes_path: Vec<(usize, Option<String>)>,
    pub(super) causes_gap: Exact,
    /// The cause selected (`c`), which `a` adopts as a proposed rule; why it could not be.
    pub(super) cause: usize,
    pub(super) adopt_error: Option<String>,
    /// `c` was the last key: Enter goes to the selected cause's rows, not into the step's
    /// value (a step key hands Enter back to the step).
    pub(super) cause_focus: bool,
    total_delta: Exact,
    /// The rules lab's what-if the comparison is seen through (none: as it is).
    what_if: Vec<String>,
    /// Where the step's values were drawn (for clicks).
    hit: crate::hit::HitCell,
}

impl DrillScreen {
    /// Nothing drilled yet: no step, and no rows (a comparison with no dimension has
    /// rows only; counting steps alone started such a drill over on every visit).
    pub fn is_empty(&self) -> bool {
        self.stack.is_empty() && self.rows.is_none()
    }

    /// Start over at the top of a freshly prepared comparison.
    pub fn reset(&mut self, compare: &Comparison) -> Vec<Job> {
        self.dimensions = compare.dimensions.clone();
        self.what_if = compare.what_if.clone();
        self.stack.clear();
        self.rows = None;
        self.causes = None;
        self.causes_path = Vec::new();
        self.cause = 0;
        self.adopt_error = None;
        self.total_delta = compare
            .report
            .as_ref()
            .and_then(|r| r.measures.first())
            .map_or(Exact::ZERO, |m| m.delta);
        self.causes_gap = self.total_delta;
        // The whole comparison's causes are asked here, where they are kept: whoever
        // starts the drill over also asks for what it shows beside the steps.
        let causes = Job::Explain { path: Vec::new() };
        if self.dimensions.is_empty() {
            let mut view = RowsView::new(Vec::new(), ClassFilter::Differences);
            let job = view.first_job();
            self.rows = Some(view);
            return vec![job, causes];
        }
        let mut jobs = self.push(Vec::new(), 0);
        jobs.push(causes);
        jobs
    }

    pub(super) fn push(&mut self, path: Vec<(usize, Option<String>)>, by: usize) -> Vec<Job> {
        self.stack.push(Step {
            path: path.clone(),
            by,
            rows: Vec::new(),
            classes: Vec::new(),
            cursor: 0,
            loading: true,
        });
        let mut jobs = vec![Job::Drill { path, by }];
        jobs.extend(self.follow());
        jobs
    }

    /// The path on screen (the rows' below the last dimension, else the top step's) and
    /// its gap: the value opened to get there, the whole gap at the top.
    fn shown_path(&self) -> (Vec<(usize, Option<String>)>, Exact) {
        let depth = self.stack.len();
        let opened = |i: usize| {
            self.stack
                .get(i)
                .and_then(|s| s.rows.get(s.cursor))
                .map(|r| r.delta)
        };
        let (path, gap) = match (&self.rows, depth) {
            (Some(rows), d) if d > 0 => (rows.path.clone(), opened(d - 1)),
            (_, d) if d > 1 => (self.stack[d - 1].path.clone(), opened(d - 2)),
            _ => (Vec::new(), None),
        };
        (path, gap.unwrap_or(self.total_delta))
    }

    /// Ask for the causes of the path on screen when they are another path's.
    pub(super) fn follow(&mut self) -> Option<Job> {
        let (path, gap) = self.shown_path();
        if path == self.causes_path {
            return None;
        }
        self.causes = None;
        self.cause = 0;
        self.adopt_error = None;
        self.causes_gap = gap;
        self.causes_path = path.clone();
        Some(Job::Explain { path })
    }

    /// Explain answered: kept when it is the path still on screen.
    pub(super) fn on_causes(&mut self, job: &Job, causes: &[Cause]) {
        if matches!(job, Job::Explain { path } if *path == self.causes_path) {
            self.causes = Some(Ok(causes.to_vec()));
        }
    }

    /// Dimensions not yet on the path of the top step.
    pub(super) fn unused(&self, path: &[(usize, Option<String>)]) -> Vec<usize> {
        (0..self.dimensions.len())
            .filter(|d| !path.iter().any(|(p, _)| p == d))
            .collect()
    }

    pub(super) fn act(
        &mut self,
        action: Action,
        compare: &Comparison,
        commands: &mut Vec<Command>,
    ) -> Vec<Job> {
        if !compare.is_ready() {
            return Vec::new();
        }
        if let Some(jobs) = self.on_cause_action(action, compare) {
            return jobs;
        }
        if std::mem::take(&mut self.cause_focus) && matches!(action, Action::Open) {
            return self.go_to_cause();
        }
        if let Some(rows) = &mut self.rows {
            return match action {
                Action::Back if !self.stack.is_empty() && !rows.detail_open() => {
                    self.rows = None;
                    self.follow().into_iter().collect()
                }
                a => rows.on_action(a, commands).into_iter().collect(),
            };
        }
        let depth = self.stack.len();
        let Some(step) = self.stack.last_mut() else {
            return Vec::new();
        };
        let n = step.rows.len();
        match action {
            Action::Up => step.cursor = step.cursor.saturating_sub(1),
            Action::Down => step.cursor = (step.cursor + 1).min(n.saturating_sub(1)),
            Action::Top => step.cursor = 0,
            Action::Bottom => step.cursor = n.saturating_sub(1),
            Action::PageDown => step.cursor = (step.cursor + 10).min(n.saturating_sub(1)),
            Action::PageUp => step.cursor = step.cursor.saturating_sub(10),
            Action::NextDimension => {
                let path = step.path.clone();
                let unused = self.unused(&path);
                let step = self.stack.last_mut().expect("checked");
                let at = unused.iter().position(|d| *d == step.by).unwrap_or(0);
                step.by = unused[(at + 1) % unused.len()];
                step.loading = true;
                return vec![Job::Drill { path, by: step.by }];
            }
            Action::Open if n > 0 => {
                let mut path = step.path.clone();
                path.push((step.by, step.rows[step.cursor].value.clone()));
                let unused = self.unused(&path);
                return match unused.first() {
                    Some(&by) => self.push(path, by),
                    None => {
                        let mut view = RowsView::new(path, ClassFilter::Differences);
                        let job = view.first_job();
                        self.rows = Some(view);
                        std::iter::once(job).chain(self.follow()).collect()
                    }
                };
            }
            Action::Back if depth > 1 => {
                self.stack.pop();
                return self.follow().into_iter().collect();
            }
            Action::CopyCell | Action::CopyRow => {
                if let Some(r) = step.rows.get(step.cursor) {
                    commands.push(Command::Copy(format!(
                        "{}\t{}\t{}\t{}",
                        r.value.clone().unwrap_or_default(),
                        r.legacy,
                        r.new,
                        r.delta
                    )));
                }
            }
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn on_drilled(&mut self, job: &Job, payload: &Payload) {
        let (Job::Drill { path, by }, Payload::Drilled { rows, classes }) = (job, payload) else {
            return;
        };
        if let Some(step) = self
            .stack
            .iter_mut()
            .rev()
            .find(|s| s.path == *path && s.by == *by)
        {
            let mut rows = rows.clone();
            // Values whose sides agree say nothing about the gap: they sink to the bottom.
            rows.sort_by_key(|r| r.delta.is_zero());
            step.rows = rows;
            step.classes = classes.clone();
            step.cursor = step.cursor.min(step.rows.len().saturating_sub(1));
            step.loading = false;
        }
    }

    /// A click selects a value of the step (or a row below the last dimension).
    pub(super) fn click_at(&mut self, x: u16, y: u16) -> Vec<Job> {
        if let Some(rows) = &mut self.rows {
            return rows.click(x, y).into_iter().collect();
        }
        let at = crate::hit::row_at(&self.hit, x, y);
        if let (Some(step), Some(at)) = (self.stack.last_mut(), at) {
            if at < step.rows.len() {
                step.cursor = at;
            }
        }
        Vec::new()
    }

    /// Where the drill stands, from the comparison's scope (all its companies, or the one
    /// Compare is cut to).
    fn breadcrumb(&self, scope: &str) -> String {
        let mut parts = vec![scope.to_string()];
        let path = match (&self.rows, self.stack.last()) {
            (Some(r), _) => r.path.clone(),
            (None, Some(s)) => s.path.clone(),
            _ => Vec::new(),
        };
        for (d, v) in path {
            parts.push(format!(
                "{}={}",
                self.dimensions.get(d).cloned().unwrap_or_default(),
                v.unwrap_or_else(|| "NULL".into())
            ));
        }
        if let (None, Some(s)) = (&self.rows, self.stack.last()) {
            parts.push(format!(
                "by {}",
                self.dimensions.get(s.by).cloned().unwrap_or_default()
            ));
        }
        parts.join(" › ")
    }

    pub(super) fn draw(&mut self, f: &mut Frame, area: Rect, theme: &Theme, compare: &Comparison) {
        if !compare.is_ready() {
            let text = if compare.names.is_empty() {
                "No comparisons configured."
            } else {
                "comparing…"
            };
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Dim))),
                area,
            );
            return;
        }
        // Beside the step only when both keep room: at 120 columns a third is too narrow
        // for a cause's predicate, and the step would stay 80 wide.
        let wide = area.width >= 160;
        let causes_size = if wide {
            area.width / 3
        } else if area.height >= 36 {
            (area.height / 3).min(12)
        } else {
            (area.height / 3).min(9)
        };
        let (main, side) = if wide {
            let [m, s] = Layout::horizontal([Constraint::Min(40), Constraint::Length(causes_size)])
                .areas(area);
            (m, s)
        } else {
            let [m, s] =
                Layout::vertical([Constraint::Min(6), Constraint::Length(causes_size)]).areas(area);
            (m, s)
        };
        let [crumb, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(main);
        f.render_widget(
            Paragraph::new(Span::styled(
                format!(" {}", self.breadcrumb(&compare.company_label())),
                theme.style(Role::Header),
            )),
            crumb,
        );
        if let Some(rows) = &mut self.rows {
            rows.render(f, body, theme, "rows that differ (Backspace: back)");
        } else {
            self.render_step(f, body, theme);
        }
        self.render_causes(f, side, theme);
    }

    fn render_step(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(step) = self.stack.last() else {
            return;
        };
        let by = self.dimensions.get(step.by).cloned().unwrap_or_default();
        let classes = step
            .classes
            .iter()
            .filter(|(c, _)| *c != RowClass::Matched)
            .map(|(c, n)| format!("{c} {}", count(*n)))
            .collect::<Vec<_>>()
            .join(" · ");
        let title = format!(
            " gap by {by}{} (Enter: drill, d: dimension) ",
            if step.loading { " …" } else { "" }
        );
        let mut block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, theme.style(Role::Title)));
        if let Some(what_if) = what_if_label(&self.what_if) {
            block = block.title_bottom(Span::styled(what_if, theme.style(Role::Warn)));
        }
        let block =
            block.title_bottom(Span::styled(format!(" {classes} "), theme.style(Role::Dim)));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let columns = StepColumns::fit(inner.width as usize);
        let max = step
            .rows
            .iter()
            .map(|r| r.delta.abs().to_f64())
            .fold(0.0, f64::max)
            .max(1e-9);
        let height = (inner.height as usize).saturating_sub(1);
        let top = step.cursor.saturating_sub(height.saturating_sub(1));
        self.hit.set(Some(crate::hit::ListHit {
            area: Rect {
                y: inner.y + 1,
                height: inner.height.saturating_sub(1),
                ..inner
            },
            top,
        }));
        let mut lines = vec![columns.header(self.total_delta, theme)];
        lines.extend(
            step.rows
                .iter()
                .enumerate()
                .skip(top)
                .take(height)
                .map(|(i, r)| columns.line(r, max, i == step.cursor, theme)),
        );
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// The columns of a drill step that fit its width: the value, Δ and share always; then
/// rows, legacy and new as room allows; the bar takes what is left.
struct StepColumns {
    value: usize,
    rows: bool,
    sides: bool,
    bar: usize,
}

impl StepColumns {
    const MONEY: usize = 15;

    fn fit(width: usize) -> StepColumns {
        // Long values (branch names, invoice types) get room on a wide screen.
        let value = match width {
            w if w >= 110 => (w / 5).min(30),
            w => 16.min(w / 4).max(6),
        };
        let mut left = width.saturating_sub(value + Self::MONEY + 8 + 2);
        let rows = left >= 9 + 8;
        if rows {
            left -= 9;
        }
        let sides = left >= 2 * (Self::MONEY + 1) + 8;
        if sides {
            left -= 2 * (Self::MONEY + 1);
        }
        StepColumns {
            value,
            rows,
            sides,
            bar: left.saturating_sub(1).min(40),
        }
    }

    fn header(&self, total: Exact, theme: &Theme) -> Line<'static> {
        let mut text = format!("{} {:>15} {:>7}", pad("value", self.value), "Δ", "share");
        if self.rows {
            text.push_str(&format!(" {:>8}", "rows"));
        }
        if self.sides {
            text.push_str(&format!(" {:>15} {:>15}", "legacy", "new"));
        }
        text.push_str(&format!(
            "  share of the whole gap ({})",
            signed_money(total)
        ));
        Line::from(Span::styled(text, theme.style(Role::Header)))
    }

    fn line(&self, r: &DrillRow, max: f64, selected: bool, theme: &Theme) -> Line<'static> {
        let zero = r.delta.is_zero();
        let text_style = if selected {
            theme.style(Role::Selected)
        } else if zero {
            theme.style(Role::Dim)
        } else {
            theme.style(Role::Text)
        };
        let mut spans = vec![
            Span::styled(
                pad(r.value.as_deref().unwrap_or("NULL"), self.value),
                text_style,
            ),
            Span::styled(format!(" {:>15}", signed_money(r.delta)), text_style),
            Span::styled(
                format!(" {:>7}", r.share.map_or_else(|| "—".into(), percent)),
                theme.style(Role::Dim),
            ),
        ];
        if self.rows {
            spans.push(Span::styled(format!(" {:>8}", count(r.rows)), text_style));
        }
        if self.sides {
            spans.push(Span::styled(
                format!(" {:>15}", crate::text::money(r.legacy)),
                theme.style(Role::Legacy),
            ));
            spans.push(Span::styled(
                format!(" {:>15}", crate::text::money(r.new)),
                theme.style(Role::New),
            ));
        }
        let filled = ((r.delta.abs().to_f64() / max) * self.bar as f64).round() as usize;
        let (glyph, bar_role) = if !r.delta.is_negative() {
            ("█", Role::OnlyNew)
        } else {
            ("▒", Role::OnlyLegacy)
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            pad(&glyph.repeat(filled), self.bar),
            theme.style(bar_role),
        ));
        Line::from(spans)
    }
}
