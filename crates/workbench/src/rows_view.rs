//! Legacy rows and new rows side by side, one scroll position for both: changed cells
//! highlighted, one-side-only rows marked. Pages of rows come from the comparison's
//! classified join (`Job::Rows`) as the cursor moves.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::grid::pad;
use super::jobs::{Job, Payload};
use super::keymap::Action;
use super::text::count;
use super::theme::{Role, Theme};
use crate::recon::workbench::SideRow;
use crate::recon::{ClassFilter, RowClass};

const PAGE: u64 = 100;
const WIDTH: usize = 14;

pub struct RowsView {
    pub path: Vec<(usize, Option<String>)>,
    pub class: ClassFilter,
    pub total: i64,
    /// Rows of this view known only as group sums (the agreeing slices of a pushed-down
    /// compare): counted, not listed.
    pub unlisted: i64,
    offset: u64,
    rows: Vec<SideRow>,
    columns: Vec<(String, String)>,
    pub cursor: u64,
    top: u64,
    height: u64,
    /// First non-key column shown (horizontal scroll, both sides together).
    left: usize,
    waiting: Option<u64>,
}

impl RowsView {
    pub fn new(path: Vec<(usize, Option<String>)>, class: ClassFilter) -> RowsView {
        RowsView {
            path,
            class,
            total: 0,
            unlisted: 0,
            offset: 0,
            rows: Vec::new(),
            columns: Vec::new(),
            cursor: 0,
            top: 0,
            height: 10,
            left: 0,
            waiting: None,
        }
    }

    pub fn first_job(&mut self) -> Job {
        self.waiting = Some(0);
        self.job(0)
    }

    fn job(&self, offset: u64) -> Job {
        Job::Rows {
            path: self.path.clone(),
            class: self.class,
            offset,
            limit: PAGE,
        }
    }

    /// Rows for this view (same path and class) replace the cached page.
    pub fn accept(&mut self, job: &Job, payload: Payload) -> bool {
        let (
            Job::Rows { path, class, .. },
            Payload::Rows {
                offset,
                rows,
                total,
                unlisted,
                columns,
            },
        ) = (job, payload)
        else {
            return false;
        };
        if *path != self.path || *class != self.class {
            return false;
        }
        self.offset = offset;
        self.rows = rows;
        if let Some(total) = total {
            self.total = total;
        }
        if let Some(unlisted) = unlisted {
            self.unlisted = unlisted;
        }
        self.columns = columns;
        if self.waiting == Some(offset) {
            self.waiting = None;
        }
        true
    }

    pub fn on_action(&mut self, action: Action) -> Option<Job> {
        let page = self.height.max(1) as i64;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => -(self.cursor as i64),
            Action::Bottom => self.total - 1 - self.cursor as i64,
            Action::Left => {
                self.left = self.left.saturating_sub(1);
                return None;
            }
            Action::Right => {
                self.left = (self.left + 1).min(self.columns.len().saturating_sub(1));
                return None;
            }
            _ => return None,
        };
        let last = (self.total.max(1) - 1) as u64;
        self.cursor = (self.cursor as i64 + delta).clamp(0, last as i64) as u64;
        if self.cursor < self.top {
            self.top = self.cursor;
        }
        if self.cursor >= self.top + self.height {
            self.top = self.cursor + 1 - self.height;
        }
        let end = self.offset + self.rows.len() as u64;
        let view_end = (self.top + self.height).min(self.total.max(0) as u64);
        if self.top >= self.offset && view_end <= end {
            return None;
        }
        let want = self.top.saturating_sub(PAGE / 4);
        if self.waiting == Some(want) {
            return None;
        }
        self.waiting = Some(want);
        Some(self.job(want))
    }

    pub fn current(&self) -> Option<&SideRow> {
        self.cursor
            .checked_sub(self.offset)
            .and_then(|i| self.rows.get(i as usize))
    }

    /// "key | legacy values | new values" of the current row, for copying.
    pub fn current_text(&self) -> Option<String> {
        let r = self.current()?;
        let side =
            |v: &Option<Vec<String>>| v.as_ref().map_or_else(|| "—".into(), |v| v.join("\t"));
        Some(format!(
            "{}\t{}\t{}",
            r.class,
            side(&r.legacy),
            side(&r.new)
        ))
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, title: &str) {
        let mut block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(format!(" {title} "), theme.style(Role::Title)));
        if self.unlisted > 0 {
            block = block.title_bottom(Span::styled(
                format!(
                    " +{} equal rows stay in the warehouse (slices whose sums agree) ",
                    count(self.unlisted)
                ),
                theme.style(Role::Dim),
            ));
        }
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height < 2 || inner.width < 20 {
            return;
        }
        self.height = u64::from(inner.height - 1);
        let [left, gap, right] = Layout::horizontal([
            Constraint::Percentage(50),
            Constraint::Length(1),
            Constraint::Percentage(50),
        ])
        .areas(inner);
        f.render_widget(Paragraph::new("│".repeat(gap.height as usize)), gap);
        self.render_side(f, left, theme, true);
        self.render_side(f, right, theme, false);
    }

    fn shown_columns(&self, width: usize) -> Vec<usize> {
        // The first column (a key) always shows; the rest scroll together.
        let fit = (width.saturating_sub(2) / (WIDTH + 1)).max(1);
        let mut cols = vec![0];
        cols.extend((1 + self.left..self.columns.len()).take(fit.saturating_sub(1)));
        cols.retain(|&c| c < self.columns.len());
        cols
    }

    fn render_side(&self, f: &mut Frame, area: Rect, theme: &Theme, legacy: bool) {
        let cols = self.shown_columns(area.width as usize);
        let name = |c: usize| {
            let (a, b) = &self.columns[c];
            if legacy {
                a.clone()
            } else {
                b.clone()
            }
        };
        let side_role = if legacy { Role::Legacy } else { Role::New };
        let mut header = vec![Span::styled(
            if legacy { "L " } else { "N " },
            theme.style(side_role),
        )];
        header.extend(cols.iter().map(|&c| {
            Span::styled(
                format!("{} ", pad(&name(c), WIDTH)),
                theme.style(Role::Header),
            )
        }));
        let mut lines = vec![Line::from(header)];
        for at in self.top..(self.top + self.height).min(self.total.max(0) as u64) {
            let selected = at == self.cursor;
            let row = at
                .checked_sub(self.offset)
                .and_then(|i| self.rows.get(i as usize));
            let Some(row) = row else {
                lines.push(Line::from(Span::styled("…", theme.style(Role::Dim))));
                continue;
            };
            let (mark, mark_role) = match row.class {
                RowClass::OnlyNew => ("+", Role::OnlyNew),
                RowClass::OnlyLegacy => ("-", Role::OnlyLegacy),
                RowClass::Changed => ("~", Role::Changed),
                RowClass::Matched => (" ", Role::Text),
            };
            let values = if legacy { &row.legacy } else { &row.new };
            let base = if selected {
                theme.style(Role::Selected)
            } else {
                Style::default()
            };
            let mut spans = vec![Span::styled(
                format!("{mark} "),
                theme.style(mark_role).patch(base),
            )];
            for &c in &cols {
                let (text, role) = match values {
                    Some(v) => {
                        let text = v.get(c).cloned().unwrap_or_default();
                        let differs = row.differs.iter().any(|d| *d == self.columns[c].0);
                        (text, if differs { Role::Changed } else { Role::Text })
                    }
                    None => ("·".to_string(), Role::Dim),
                };
                let style = if role == Role::Changed {
                    theme.style(role)
                } else {
                    theme.style(role).patch(base)
                };
                spans.push(Span::styled(pad(&text, WIDTH), style));
                spans.push(Span::styled(" ", base));
            }
            lines.push(Line::from(spans));
        }
        if self.total == 0 {
            lines.push(Line::from(Span::styled(
                "no rows in this class",
                theme.style(Role::Dim),
            )));
        }
        f.render_widget(Paragraph::new(lines), area);
    }
}
