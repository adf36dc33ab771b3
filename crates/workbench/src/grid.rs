//! A grid over a relation of any size: it holds one page of rows around the viewport and
//! asks for the next page before the cursor reaches its edge; sort, filter, hidden and
//! pinned columns are part of its state. Used by the Layers browser and the SQL console.

use std::collections::BTreeSet;

use polars::prelude::DataFrame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::jobs::{Job, Lane};
use super::keymap::Action;
use super::theme::{Role, Theme};
use crate::browse::{Table, View};
use crate::frame::to_cells;
use crate::text::{grouped_number, right};

/// Rows fetched per page; the viewport is at most a screen, so a page covers several.
pub const PAGE: u64 = 200;
/// Fetch the next page when the viewport comes this close to the cached rows' edge.
const MARGIN: u64 = 60;
const MAX_WIDTH: usize = 28;

pub struct Grid {
    pub lane: Lane,
    pub relation: Table,
    pub title: String,
    pub view: View,
    pub columns: Vec<String>,
    /// Which columns hold numbers (right-aligned, grouped in thousands).
    numeric: Vec<bool>,
    pub total: i64,
    page_start: u64,
    rows: Vec<Vec<Option<String>>>,
    pub cursor: u64,
    top: u64,
    pub col: usize,
    left: usize,
    pub hidden: BTreeSet<usize>,
    pub pinned: usize,
    /// Rows the last render could show.
    pub height: u64,
    waiting: Option<u64>,
    /// Where a marked range of rows starts (the cursor ends it).
    pub mark: Option<u64>,
}

impl Grid {
    pub fn new(
        lane: Lane,
        relation: &Table,
        title: &str,
        view: View,
        total: i64,
        first: &DataFrame,
    ) -> Grid {
        Grid {
            lane,
            relation: relation.clone(),
            title: title.to_string(),
            view,
            columns: first
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect(),
            numeric: first
                .dtypes()
                .iter()
                .map(|t| t.is_primitive_numeric() || t.is_decimal())
                .collect(),
            total,
            page_start: 0,
            rows: to_cells(first),
            cursor: 0,
            top: 0,
            col: 0,
            left: 0,
            hidden: BTreeSet::new(),
            pinned: 0,
            height: 20,
            waiting: None,
            mark: None,
        }
    }

    pub fn row(&self, at: u64) -> Option<&Vec<Option<String>>> {
        at.checked_sub(self.page_start)
            .and_then(|i| self.rows.get(i as usize))
    }

    pub fn cell(&self) -> Option<(String, Option<String>)> {
        let name = self.columns.get(self.col)?.clone();
        let value = self.row(self.cursor)?.get(self.col)?.clone();
        Some((name, value))
    }

    /// The current row as tab-separated text (for copying).
    pub fn row_text(&self) -> Option<String> {
        self.row(self.cursor).map(|r| {
            r.iter()
                .map(|c| c.clone().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\t")
        })
    }

    /// The keys every grid understands: moving, and copying a cell or row. None when the
    /// action is not one of them; Some(job) with the page the move needs, if any.
    pub fn navigate(&mut self, action: Action, copy: &mut Vec<String>) -> Option<Option<Job>> {
        let page = self.height.max(1) as i64;
        Some(match action {
            Action::Up => self.move_rows(-1),
            Action::Down => self.move_rows(1),
            Action::PageUp => self.move_rows(-page),
            Action::PageDown => self.move_rows(page),
            Action::Top => self.jump_to(0),
            Action::Bottom => self.jump_to(self.total.max(1) as u64 - 1),
            Action::Left => {
                self.move_cols(-1);
                None
            }
            Action::Right => {
                self.move_cols(1);
                None
            }
            Action::CopyCell => {
                copy.extend(self.cell().map(|(_, v)| v.unwrap_or_default()));
                None
            }
            Action::CopyRow => {
                copy.extend(self.marked_text().or_else(|| self.row_text()));
                None
            }
            Action::Mark => {
                self.mark = match self.mark {
                    Some(_) => None,
                    None => Some(self.cursor),
                };
                None
            }
            _ => return None,
        })
    }

    /// The marked rows (mark to cursor) that are in the cached page, tab-separated lines with
    /// a header; the mark is cleared.
    pub fn marked_text(&mut self) -> Option<String> {
        let mark = self.mark.take()?;
        let (from, to) = (mark.min(self.cursor), mark.max(self.cursor));
        let mut lines = vec![self.columns.join("\t")];
        for at in from..=to {
            let row = self.row(at)?;
            lines.push(
                row.iter()
                    .map(|c| c.clone().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("\t"),
            );
        }
        Some(lines.join("\n"))
    }

    fn is_marked(&self, at: u64) -> bool {
        self.mark
            .is_some_and(|m| (m.min(self.cursor)..=m.max(self.cursor)).contains(&at))
    }

    /// Move the cursor by `delta` rows (clamped) and ask for a page when needed.
    pub fn move_rows(&mut self, delta: i64) -> Option<Job> {
        let last = (self.total.max(1) - 1) as u64;
        self.cursor = (self.cursor as i64 + delta).clamp(0, last as i64) as u64;
        if self.cursor < self.top {
            self.top = self.cursor;
        }
        if self.cursor >= self.top + self.height {
            self.top = self.cursor + 1 - self.height.max(1);
        }
        self.need_page()
    }

    pub fn move_cols(&mut self, delta: i64) {
        let visible: Vec<usize> = (0..self.columns.len())
            .filter(|c| !self.hidden.contains(c))
            .collect();
        if visible.is_empty() {
            return;
        }
        let at = visible.iter().position(|&c| c == self.col).unwrap_or(0) as i64;
        let next = (at + delta).clamp(0, visible.len() as i64 - 1) as usize;
        self.col = visible[next];
        if self.col < self.left.max(self.pinned) {
            self.left = self.col;
        }
    }

    /// A page request if the viewport (plus a margin) is not covered by the cached rows.
    pub fn need_page(&mut self) -> Option<Job> {
        let cached_end = self.page_start + self.rows.len() as u64;
        let total = self.total.max(0) as u64;
        let want_end = (self.top + self.height + MARGIN).min(total);
        let want_start = self.top.saturating_sub(MARGIN);
        if want_start >= self.page_start && want_end <= cached_end {
            return None;
        }
        // The page starts a margin above the viewport and reaches a margin below it, so
        // once it arrives this same check is satisfied (no request loop).
        let offset = want_start;
        // Asked already, or this very page came back short (the table changed): no loop.
        if self.waiting == Some(offset) || (self.page_start == offset && !self.rows.is_empty()) {
            return None;
        }
        self.waiting = Some(offset);
        Some(Job::Page {
            lane: self.lane,
            relation: self.relation.clone(),
            view: self.view.clone(),
            offset,
            limit: PAGE.max(self.height + 2 * MARGIN),
        })
    }

    /// A page arrived; ignored when it was asked for another view.
    pub fn accept_page(&mut self, view: &View, offset: u64, page: &DataFrame) {
        if view != &self.view {
            return;
        }
        self.page_start = offset;
        self.rows = to_cells(page);
        if self.waiting == Some(offset) {
            self.waiting = None;
        }
    }

    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    pub fn jump_to(&mut self, row: u64) -> Option<Job> {
        self.move_rows(row as i64 - self.cursor as i64)
    }

    /// Sort by the cursor column: ascending, then descending, then unsorted.
    pub fn toggle_sort(&mut self) -> View {
        let column = self.columns.get(self.col).cloned().unwrap_or_default();
        let mut view = self.view.clone();
        view.sort = match &view.sort {
            Some((c, false)) if *c == column => Some((column, true)),
            Some((c, true)) if *c == column => None,
            _ => Some((column, false)),
        };
        view
    }

    pub fn hide_column(&mut self) {
        let shown = self.columns.len() - self.hidden.len();
        if shown > 1 {
            self.hidden.insert(self.col);
            self.move_cols(1);
            if self.hidden.contains(&self.col) {
                self.move_cols(-1);
            }
        }
    }

    pub fn show_columns(&mut self) {
        self.hidden.clear();
    }

    /// Pin the columns up to and including the cursor's (again: unpin).
    pub fn toggle_pin(&mut self) {
        self.pinned = if self.pinned == self.col + 1 {
            0
        } else {
            self.col + 1
        };
        self.left = self.left.max(self.pinned);
    }

    fn width_of(&self, c: usize) -> usize {
        let values = self.rows.iter().take(100).map(|r| {
            r.get(c)
                .and_then(|v| v.as_ref())
                .map_or(1, |v| v.chars().count())
        });
        values
            .chain(std::iter::once(self.columns[c].chars().count()))
            .max()
            .unwrap_or(4)
            .min(MAX_WIDTH)
    }

    /// The columns that fit in `width`: pinned ones, then from `left`, keeping the cursor in.
    fn layout(&mut self, width: usize) -> Vec<(usize, usize)> {
        let shown = |c: &usize| !self.hidden.contains(c);
        let pinned: Vec<usize> = (0..self.pinned.min(self.columns.len()))
            .filter(shown)
            .collect();
        loop {
            let mut out: Vec<(usize, usize)> =
                pinned.iter().map(|&c| (c, self.width_of(c))).collect();
            let mut used: usize = out.iter().map(|(_, w)| w + 1).sum();
            for c in (self.left.max(self.pinned)..self.columns.len()).filter(shown) {
                let w = self.width_of(c);
                if used + w > width && !out.is_empty() {
                    break;
                }
                out.push((c, w));
                used += w + 1;
            }
            if self.col < self.pinned
                || out.iter().any(|(c, _)| *c == self.col)
                || self.left >= self.col
            {
                return out;
            }
            self.left += 1;
        }
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, focused: bool) {
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" {} ", self.title),
            theme.style(Role::Title),
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.height < 3 {
            return;
        }
        self.height = u64::from(inner.height.saturating_sub(2));
        // Keep the cursor on screen after a resize.
        if self.cursor >= self.top + self.height {
            self.top = self.cursor + 1 - self.height.max(1);
        }
        let cols = self.layout(inner.width as usize);
        let mut lines = Vec::new();
        let header: Vec<Span> = cols
            .iter()
            .flat_map(|&(c, w)| {
                let mark = match &self.view.sort {
                    Some((s, desc)) if *s == self.columns[c] => {
                        if *desc {
                            "↓"
                        } else {
                            "↑"
                        }
                    }
                    _ => "",
                };
                // The arrow leads, so a long name cut to its width keeps it.
                let name = format!("{mark}{}", self.columns[c]);
                [
                    Span::styled(pad(&name, w), theme.style(Role::Header)),
                    Span::raw(" "),
                ]
            })
            .collect();
        lines.push(Line::from(header));
        for r in self.top..(self.top + self.height).min(self.total.max(0) as u64) {
            let row = self.row(r);
            let selected = r == self.cursor || self.is_marked(r);
            let spans: Vec<Span> = cols
                .iter()
                .flat_map(|&(c, w)| {
                    let number = self.numeric.get(c).copied().unwrap_or(false);
                    let (text, style) = match row.map(|row| row.get(c).cloned().flatten()) {
                        Some(Some(v)) if number => (
                            right(&grouped_number(&v).unwrap_or(v), w),
                            theme.style(Role::Text),
                        ),
                        Some(Some(v)) => (v, theme.style(Role::Text)),
                        Some(None) => ("∅".to_string(), theme.style(Role::Dim)),
                        None => ("…".to_string(), theme.style(Role::Dim)),
                    };
                    let mut style = if selected {
                        theme.style(Role::Selected)
                    } else {
                        style
                    };
                    if selected && focused && c == self.col {
                        style = style.add_modifier(ratatui::style::Modifier::REVERSED);
                    }
                    [
                        Span::styled(pad(&text, w), style),
                        Span::styled(
                            " ",
                            if selected {
                                theme.style(Role::Selected)
                            } else {
                                Style::default()
                            },
                        ),
                    ]
                })
                .collect();
            lines.push(Line::from(spans));
        }
        let mut status = format!(
            "row {} of {}",
            super::text::count(if self.total > 0 {
                self.cursor as i64 + 1
            } else {
                0
            }),
            super::text::count(self.total)
        );
        if let Some((column, desc)) = &self.view.sort {
            let way = if *desc {
                "↓ descending"
            } else {
                "↑ ascending"
            };
            status.push_str(&format!(" · sorted by {column} {way}"));
        }
        if let Some(filter) = &self.view.filter {
            status.push_str(&format!(" · where {filter}"));
        }
        if !self.hidden.is_empty() {
            status.push_str(&format!(" · {} hidden", self.hidden.len()));
        }
        if self.pinned > 0 {
            status.push_str(&format!(" · {} pinned", self.pinned));
        }
        if let Some(m) = self.mark {
            status.push_str(&format!(
                " · {} marked",
                super::text::rows(m.abs_diff(self.cursor) as i64 + 1)
            ));
        }
        let body = Rect {
            height: inner.height - 1,
            ..inner
        };
        f.render_widget(Paragraph::new(lines), body);
        let foot = Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        };
        f.render_widget(
            Paragraph::new(Span::styled(status, theme.style(Role::Dim))),
            foot,
        );
    }
}

/// `text` cut or padded to exactly `width` characters.
pub fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n > width {
        let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    } else {
        format!("{text}{}", " ".repeat(width - n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::Column;

    fn page(start: i64, n: i64) -> DataFrame {
        DataFrame::new(vec![Column::new(
            "id".into(),
            (start..start + n).collect::<Vec<i64>>(),
        )])
        .unwrap()
    }

    #[test]
    fn asks_for_the_next_page_before_the_edge_and_drops_stale_pages() {
        let mut g = Grid::new(
            Lane::Browse,
            &Table::cache("t"),
            "t",
            View::default(),
            10_000,
            &page(0, PAGE as i64),
        );
        g.height = 20;
        assert!(g.move_rows(50).is_none(), "well inside the first page");
        let job = g.move_rows(100).expect("near the edge");
        let Job::Page { offset, .. } = job else {
            panic!()
        };
        assert_eq!(offset, g.top - MARGIN);
        assert!(
            g.move_rows(1).is_none() || g.is_waiting(),
            "no duplicate request"
        );
        let mut other = View::default();
        other.and_equals(assay_engine::dialect::Dialect::DuckDb, "id", Some("3"));
        g.accept_page(&other, offset, &page(offset as i64, PAGE as i64));
        assert!(g.is_waiting(), "a page for another view is ignored");
        g.accept_page(&View::default(), offset, &page(offset as i64, PAGE as i64));
        assert_eq!(
            g.row(g.cursor).unwrap()[0].as_deref(),
            Some(g.cursor.to_string().as_str())
        );
        assert!(g.jump_to(9_999).is_some());
        assert_eq!(g.cursor, 9_999);
    }

    #[test]
    fn marked_rows_copy_with_their_header() {
        let mut g = Grid::new(
            Lane::Browse,
            &Table::cache("t"),
            "t",
            View::default(),
            100,
            &page(0, 100),
        );
        let mut copied = Vec::new();
        g.navigate(Action::Mark, &mut copied);
        g.navigate(Action::Down, &mut copied);
        g.navigate(Action::Down, &mut copied);
        g.navigate(Action::CopyRow, &mut copied);
        assert_eq!(copied, vec!["id\n0\n1\n2".to_string()]);
        assert!(g.mark.is_none());
        g.navigate(Action::CopyRow, &mut copied);
        assert_eq!(copied[1], "2", "without a mark: the cursor's row");
    }

    #[test]
    fn sort_cycles_and_pads_cut_long_text() {
        let mut g = Grid::new(
            Lane::Browse,
            &Table::cache("t"),
            "t",
            View::default(),
            1,
            &page(0, 1),
        );
        let v = g.toggle_sort();
        assert_eq!(v.sort, Some(("id".into(), false)));
        g.view = v;
        assert_eq!(g.toggle_sort().sort, Some(("id".into(), true)));
        assert_eq!(pad("abcdef", 4), "abc…");
        assert_eq!(pad("ab", 4), "ab  ");
    }
}
