//! The rows of a comparison, one line per key: the keys pinned on the left, then each
//! measure as legacy, new and Δ, then the columns that differ most in the rows shown, then
//! the rest — so at 80 columns a changed row says which record it is and what changed
//! without scrolling. Enter opens every column of both sides with the differences marked.
//! Pages come from the comparison's classified join (`Job::Rows`) as the cursor moves.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::command::Command;
use super::grid::pad;
use super::jobs::{Job, Payload};
use super::keymap::Action;
use super::text::{count, exact_delta, grouped_number, right};
use super::theme::{Role, Theme};
use crate::recon::workbench::SideRow;
use crate::recon::{ClassFilter, RowClass, RowOrder};

mod detail;
mod find;

const PAGE: u64 = 100;

/// What a grid column shows of each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// The i-th key.
    Key(usize),
    /// Column c's legacy value, its new value, new − legacy (the measures).
    Legacy(usize),
    New(usize),
    Delta(usize),
    /// Column c: its value, or `legacy→new` where the sides differ.
    Both(usize),
}

pub struct RowsView {
    pub path: Vec<(usize, Option<String>)>,
    pub class: ClassFilter,
    /// By class and key, or the largest |Δ| first (`s`).
    pub order: RowOrder,
    pub total: i64,
    /// Rows of this view known only as group sums (the agreeing slices of a pushed-down
    /// compare): counted, not listed.
    pub unlisted: i64,
    offset: u64,
    rows: Vec<SideRow>,
    columns: Vec<(String, String)>,
    keys: usize,
    measures: Vec<String>,
    pub cursor: u64,
    top: u64,
    height: u64,
    /// The grid column under the cursor (`y` copies its cell).
    col: usize,
    /// First scrolled (non-key) grid column shown.
    left: usize,
    /// Where a marked range of rows starts (the cursor ends it; `Y` copies it).
    mark: Option<u64>,
    /// The row detail, open at this line.
    pub detail: Option<usize>,
    waiting: Option<u64>,
    /// Where the rows were drawn (for clicks).
    hit: crate::hit::HitCell,
    /// The key being typed after `/` (the prompt is open while this is Some).
    find: Option<String>,
}

impl RowsView {
    pub fn new(path: Vec<(usize, Option<String>)>, class: ClassFilter) -> RowsView {
        RowsView {
            path,
            class,
            order: RowOrder::default(),
            total: 0,
            unlisted: 0,
            offset: 0,
            rows: Vec::new(),
            columns: Vec::new(),
            keys: 0,
            measures: Vec::new(),
            cursor: 0,
            top: 0,
            height: 10,
            col: 0,
            left: 0,
            mark: None,
            detail: None,
            waiting: None,
            hit: Default::default(),
            find: None,
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
            order: self.order,
            offset,
            limit: PAGE,
        }
    }

    /// Rows for this view (same path and class) replace the cached page.
    pub fn accept(&mut self, job: &Job, payload: &Payload) -> bool {
        let (
            Job::Rows {
                path, class, order, ..
            },
            Payload::Rows {
                offset,
                rows,
                total,
                unlisted,
                columns,
                keys,
                measures,
            },
        ) = (job, payload)
        else {
            return false;
        };
        if *path != self.path || *class != self.class || *order != self.order {
            return false;
        }
        self.offset = *offset;
        self.rows = rows.clone();
        if let Some(total) = total {
            self.total = *total;
        }
        if let Some(unlisted) = unlisted {
            self.unlisted = *unlisted;
        }
        self.columns = columns.clone();
        self.keys = *keys;
        self.measures = measures.clone();
        if self.waiting == Some(*offset) {
            self.waiting = None;
        }
        true
    }

    /// Keys, movement, copying and the row detail. Returns a page to fetch, if the cursor
    /// left the cached one.
    pub fn on_action(&mut self, action: Action, commands: &mut Vec<Command>) -> Option<Job> {
        if let Some(line) = self.detail {
            self.detail = match action {
                Action::Open | Action::Back | Action::Cancel => None,
                Action::Down => Some(line + 1),
                Action::Up => Some(line.saturating_sub(1)),
                Action::PageDown => Some(line + 10),
                Action::PageUp => Some(line.saturating_sub(10)),
                Action::Top => Some(0),
                _ => Some(line),
            };
            return None;
        }
        let page = self.height.max(1) as i64;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => -(self.cursor as i64),
            Action::Bottom => self.total - 1 - self.cursor as i64,
            Action::Left => {
                self.col = self.col.saturating_sub(1);
                return None;
            }
            Action::Right => {
                self.col = (self.col + 1).min(self.layout().len().saturating_sub(1));
                return None;
            }
            Action::Open if self.current().is_some() => {
                self.detail = Some(0);
                return None;
            }
            Action::Sort => {
                // Another order is another list: from its first row.
                self.order = self.order.toggled();
                self.rows.clear();
                (self.cursor, self.top, self.mark) = (0, 0, None);
                return Some(self.first_job());
            }
            Action::FindKey => {
                self.open_find();
                return None;
            }
            Action::Mark => {
                self.mark = match self.mark {
                    Some(_) => None,
                    None => Some(self.cursor),
                };
                return None;
            }
            Action::CopyCell => {
                commands.extend(self.cell_text().map(Command::Copy));
                return None;
            }
            Action::CopyRow => {
                commands.extend(self.marked_text().map(Command::Copy));
                return None;
            }
            _ => return None,
        };
        self.move_by(delta)
    }

    /// A click on a row moves the cursor there (fetching its page if needed).
    pub fn click(&mut self, x: u16, y: u16) -> Option<Job> {
        if self.detail.is_some() {
            return None;
        }
        let at = crate::hit::row_at(&self.hit, x, y)? as i64;
        if at >= self.total {
            return None;
        }
        self.move_by(at - self.cursor as i64)
    }

    pub fn detail_open(&self) -> bool {
        self.detail.is_some()
    }

    fn move_by(&mut self, delta: i64) -> Option<Job> {
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
        self.row_at(self.cursor)
    }

    fn row_at(&self, at: u64) -> Option<&SideRow> {
        at.checked_sub(self.offset)
            .and_then(|i| self.rows.get(i as usize))
    }

    /// The grid's columns: keys, each measure's legacy/new/Δ, then the other columns, those
    /// differing in most of the cached rows first.
    fn layout(&self) -> Vec<Shown> {
        let mut shown: Vec<Shown> = (0..self.keys).map(Shown::Key).collect();
        let measure_at = |m: &String| {
            (self.keys..self.columns.len()).find(|&c| self.columns[c].0.eq_ignore_ascii_case(m))
        };
        let measures: Vec<usize> = self.measures.iter().filter_map(measure_at).collect();
        for &c in &measures {
            shown.extend([Shown::Legacy(c), Shown::New(c), Shown::Delta(c)]);
        }
        let mut rest: Vec<(usize, usize)> = (self.keys..self.columns.len())
            .filter(|c| !measures.contains(c))
            .map(|c| {
                let name = &self.columns[c].0;
                let differing = self
                    .rows
                    .iter()
                    .filter(|r| r.differs.iter().any(|d| d == name))
                    .count();
                (c, differing)
            })
            .collect();
        rest.sort_by_key(|&(c, differing)| (std::cmp::Reverse(differing), c));
        shown.extend(rest.into_iter().map(|(c, _)| Shown::Both(c)));
        shown
    }

    fn header(&self, shown: Shown) -> String {
        match shown {
            Shown::Key(i) => self
                .columns
                .get(i)
                .map_or_else(String::new, |c| c.0.clone()),
            Shown::Legacy(c) => format!("L {}", self.columns[c].0),
            Shown::New(c) => format!("N {}", self.columns[c].0),
            Shown::Delta(c) => format!("Δ {}", self.columns[c].0),
            Shown::Both(c) => self.columns[c].0.clone(),
        }
    }

    fn side(row: &SideRow, legacy: bool, c: usize) -> Option<&str> {
        let values = if legacy { &row.legacy } else { &row.new };
        values.as_ref().and_then(|v| v.get(c)).map(String::as_str)
    }

    fn differs(&self, row: &SideRow, c: usize) -> bool {
        row.differs.iter().any(|d| *d == self.columns[c].0)
    }

    /// A cell's raw text (what `y` copies) and whether it is a difference.
    fn raw(&self, row: &SideRow, shown: Shown) -> (String, bool) {
        match shown {
            Shown::Key(i) => (row.key.get(i).cloned().unwrap_or_default(), false),
            Shown::Legacy(c) | Shown::New(c) => {
                let legacy = matches!(shown, Shown::Legacy(_));
                let text = Self::side(row, legacy, c).unwrap_or("·").to_string();
                (text, self.differs(row, c))
            }
            Shown::Delta(c) => {
                let delta = exact_delta(Self::side(row, true, c), Self::side(row, false, c));
                let text = delta.map_or_else(|| "?".into(), |d| d.replace(',', ""));
                let nonzero = text.chars().any(|ch| ch.is_ascii_digit() && ch != '0');
                (text, nonzero)
            }
            Shown::Both(c) => {
                let (l, n) = (Self::side(row, true, c), Self::side(row, false, c));
                match (l, n) {
                    (Some(l), Some(n)) if self.differs(row, c) => (format!("{l}→{n}"), true),
                    (Some(v), _) | (None, Some(v)) => (v.to_string(), false),
                    (None, None) => ("·".into(), false),
                }
            }
        }
    }

    /// A cell as shown: numbers grouped in thousands and right-aligned.
    fn shown(&self, row: &SideRow, shown: Shown) -> (String, bool, bool) {
        let (raw, differs) = self.raw(row, shown);
        let number = match shown {
            Shown::Delta(c) => exact_delta(Self::side(row, true, c), Self::side(row, false, c)),
            // A side without the row shows its dot where the numbers stand.
            Shown::Legacy(_) | Shown::New(_) => grouped_number(&raw).or(Some(raw.clone())),
            _ => None,
        };
        match number {
            Some(n) => (n, differs, true),
            None => (raw, differs, false),
        }
    }

    fn width(&self, shown: Shown) -> usize {
        let header = self.header(shown).chars().count();
        let widest = self
            .rows
            .iter()
            .map(|r| self.shown(r, shown).0.chars().count())
            .max()
            .unwrap_or(0);
        let (least, most) = match shown {
            Shown::Key(_) => (4, 18),
            Shown::Both(_) => (4, 22),
            _ => (6, 16),
        };
        header.max(widest).clamp(least, most)
    }

    /// The current cell's text, for copying.
    fn cell_text(&self) -> Option<String> {
        let row = self.current()?;
        let shown = *self.layout().get(self.col)?;
        Some(self.raw(row, shown).0)
    }

    /// The marked rows (mark to cursor) in the cached page, or the current row: every grid
    /// column, tab-separated, under a header line. The mark is cleared.
    fn marked_text(&mut self) -> Option<String> {
        let (from, to) = match self.mark.take() {
            Some(m) => (m.min(self.cursor), m.max(self.cursor)),
            None => (self.cursor, self.cursor),
        };
        let layout = self.layout();
        let mut lines = vec![layout
            .iter()
            .map(|&s| self.header(s))
            .collect::<Vec<_>>()
            .join("\t")];
        for at in from..=to {
            if let Some(row) = self.row_at(at) {
                let cells: Vec<String> = layout.iter().map(|&s| self.raw(row, s).0).collect();
                lines.push(cells.join("\t"));
            }
        }
        (lines.len() > 1).then(|| lines.join("\n"))
    }

    pub fn status(&self) -> Option<String> {
        self.mark.map(|m| {
            format!(
                "{} marked (Y copies)",
                super::text::rows(m.abs_diff(self.cursor) as i64 + 1)
            )
        })
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, title: &str) {
        let mut block = Block::default().borders(Borders::ALL).title(Span::styled(
            match self.order {
                RowOrder::ClassThenKey => format!(" {title} "),
                order => format!(" {title} · {} ", order.label()),
            },
            theme.style(Role::Title),
        ));
        if self.unlisted > 0 {
            block = block.title_bottom(Span::styled(
                format!(
                    " +{} rows stay in the warehouse (known by their sums) ",
                    count(self.unlisted)
                ),
                theme.style(Role::Dim),
            ));
        }
        if let Some(title) = self.find_title() {
            block = block.title_bottom(Span::styled(title, theme.style(Role::Selected)));
        }
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height < 2 || inner.width < 20 {
            return;
        }
        self.height = u64::from(inner.height - 1);
        self.hit.set(Some(crate::hit::ListHit {
            area: Rect {
                y: inner.y + 1,
                height: inner.height - 1,
                ..inner
            },
            top: self.top as usize,
        }));
        let columns = self.visible(inner.width as usize);
        let mut lines = vec![self.header_line(&columns, theme)];
        for at in self.top..(self.top + self.height).min(self.total.max(0) as u64) {
            lines.push(self.row_line(at, &columns, theme));
        }
        if self.total == 0 {
            lines.push(Line::from(Span::styled(
                "no rows in this class",
                theme.style(Role::Dim),
            )));
        }
        f.render_widget(Paragraph::new(lines), inner);
        if self.detail.is_some() {
            self.render_detail(f, area, theme);
        }
    }

    /// The grid columns that fit `width`, with their widths: the keys always, then from
    /// the scroll position, which follows the column cursor.
    fn visible(&mut self, width: usize) -> Vec<(usize, Shown, usize)> {
        let layout = self.layout();
        self.col = self.col.min(layout.len().saturating_sub(1));
        let widths: Vec<usize> = layout.iter().map(|&s| self.width(s)).collect();
        let pinned: usize = 2 + widths[..self.keys.min(widths.len())]
            .iter()
            .map(|w| w + 1)
            .sum::<usize>();
        let fits = |left: usize| {
            let mut used = pinned;
            let mut last = left;
            for (i, w) in widths.iter().enumerate().skip(left) {
                if used + w > width {
                    break;
                }
                used += w + 1;
                last = i;
            }
            last
        };
        self.left = self.left.max(self.keys);
        if self.col >= self.keys {
            if self.col < self.left {
                self.left = self.col;
            }
            while self.left < self.col && fits(self.left) < self.col {
                self.left += 1;
            }
        }
        let mut shown: Vec<(usize, Shown, usize)> = (0..self.keys.min(layout.len()))
            .map(|i| (i, layout[i], widths[i]))
            .collect();
        let last = fits(self.left);
        if self.left < layout.len() {
            shown.extend((self.left..=last).map(|i| (i, layout[i], widths[i])));
        }
        shown
    }

    fn header_line(&self, columns: &[(usize, Shown, usize)], theme: &Theme) -> Line<'static> {
        let mut spans = vec![Span::raw("  ")];
        for &(_, s, w) in columns {
            let text = self.header(s);
            let role = match s {
                Shown::Legacy(_) => Role::Legacy,
                Shown::New(_) => Role::New,
                _ => Role::Header,
            };
            let cell = if matches!(s, Shown::Key(_) | Shown::Both(_)) {
                pad(&text, w)
            } else {
                right(&text, w)
            };
            spans.push(Span::styled(cell, theme.style(role)));
            spans.push(Span::raw(" "));
        }
        Line::from(spans)
    }

    fn row_line(&self, at: u64, columns: &[(usize, Shown, usize)], theme: &Theme) -> Line<'static> {
        let Some(row) = self.row_at(at) else {
            return Line::from(Span::styled("…", theme.style(Role::Dim)));
        };
        let marked = self
            .mark
            .is_some_and(|m| (m.min(self.cursor)..=m.max(self.cursor)).contains(&at));
        let base = if at == self.cursor || marked {
            theme.style(Role::Selected)
        } else {
            Style::default()
        };
        let (mark, mark_role) = match row.class {
            RowClass::OnlyNew => ("+", Role::OnlyNew),
            RowClass::OnlyLegacy => ("-", Role::OnlyLegacy),
            RowClass::Changed => ("~", Role::Changed),
            RowClass::Matched => (" ", Role::Text),
        };
        let mut spans = vec![Span::styled(
            format!("{mark} "),
            theme.style(mark_role).patch(base),
        )];
        for &(i, s, w) in columns {
            let (text, differs, number) = self.shown(row, s);
            let cell = if number {
                right(&text, w)
            } else {
                pad(&text, w)
            };
            let mut style = if differs {
                theme.style(Role::Changed)
            } else {
                theme.style(Role::Text).patch(base)
            };
            if at == self.cursor && i == self.col {
                style = style.add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
            }
            spans.push(Span::styled(cell, style));
            spans.push(Span::styled(" ", base));
        }
        Line::from(spans)
    }
}
