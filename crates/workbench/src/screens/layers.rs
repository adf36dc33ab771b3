//! Layers: the catalog of legacy, bronze, silver and gold tables; open one in the grid
//! (paged, sortable, filterable, columns hidden or pinned) with a profile beside it.

use crossterm::event::KeyEvent;
use polars::prelude::DataFrame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;

use super::{Entry, Screen, Shared};
use crate::browse::{Table, TableInfo, View};
use crate::command::Command;
use crate::frame::to_text_rows;
use crate::grid::{pad, Grid, PAGE};
use crate::jobs::{Job, Lane, Payload};
use crate::keymap::{Action, ScreenKeys};
use crate::theme::{Role, Theme};

#[rustfmt::skip]
pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "Layers",
        name: "layers",
        about: "layers",
        keys: &[
        (Action::Open, &["enter"], "open", "open table"),
        (Action::Back, &["backspace"], "back", "back to the list"),
        (Action::Sort, &["s"], "sort", "sort by column"),
        (Action::Filter, &["/"], "filter", "filter (SQL)"),
        (Action::FilterByCell, &["="], "filter_by_cell", "filter = cell"),
        (Action::ClearFilter, &["\\"], "clear_filter", "clear filter"),
        (Action::HideColumn, &["x"], "hide_column", "hide column"),
        (Action::ShowColumns, &["X"], "show_columns", "show all columns"),
        (Action::PinColumn, &["p"], "pin_column", "pin columns to here"),
        (Action::Profile, &["i"], "profile", "profile"),
        (Action::Mark, &["V"], "mark", "mark rows (Y copies)"),
        ],
    },
    make: |_| Box::<LayersScreen>::default(),
};

#[derive(Default)]
pub struct LayersScreen {
    pub tables: Vec<TableInfo>,
    pub cursor: usize,
    pub grid: Option<Grid>,
    /// The table being opened (its first page is on the way).
    opening: Option<(Table, String, View)>,
    pub show_profile: bool,
    profile: Option<(DataFrame, Option<DataFrame>)>,
    prompt: Option<TextArea<'static>>,
    /// Where the list of tables was drawn (for clicks).
    pub hit: crate::hit::HitCell,
}

impl LayersScreen {
    /// A fresh list of tables; the cursor stays on the list (it may have shrunk, e.g. when a
    /// table was dropped), so opening never reads past its end.
    pub fn set_tables(&mut self, tables: Vec<TableInfo>) {
        self.tables = tables;
        self.cursor = self.cursor.min(self.tables.len().saturating_sub(1));
    }

    pub fn prompt_open(&self) -> bool {
        self.prompt.is_some()
    }

    fn open_view(&mut self, view: View) -> Job {
        let (relation, title) = match &self.grid {
            Some(g) => (g.relation.clone(), g.title.clone()),
            None => {
                let t = &self.tables[self.cursor];
                (t.table(), t.label())
            }
        };
        self.opening = Some((relation.clone(), title, view.clone()));
        Job::Open {
            relation,
            view,
            limit: PAGE,
        }
    }

    fn act(&mut self, action: Action, commands: &mut Vec<Command>) -> Vec<Job> {
        if self.grid.is_none() || action == Action::Open {
            return self.on_list_action(action);
        }
        let grid = self.grid.as_mut().expect("checked");
        let mut copied = Vec::new();
        if let Some(job) = grid.navigate(action, &mut copied) {
            commands.extend(copied.into_iter().map(Command::Copy));
            // The profile's top values follow the cursor's column.
            let profile = matches!(action, Action::Left | Action::Right)
                .then(|| self.profile_job())
                .flatten();
            return job.into_iter().chain(profile).collect();
        }
        let job = match action {
            Action::Back => {
                self.grid = None;
                self.profile = None;
                None
            }
            Action::Sort => {
                let view = grid.toggle_sort();
                Some(self.open_view(view))
            }
            Action::Filter => {
                let mut t = TextArea::new(vec![grid.view.filter.clone().unwrap_or_default()]);
                t.move_cursor(tui_textarea::CursorMove::End);
                self.prompt = Some(t);
                None
            }
            Action::FilterByCell => {
                let Some((column, value)) = grid.cell() else {
                    return Vec::new();
                };
                let mut view = grid.view.clone();
                view.and_equals(grid.relation.dialect, &column, value.as_deref());
                Some(self.open_view(view))
            }
            Action::ClearFilter => {
                let mut view = grid.view.clone();
                view.filter = None;
                Some(self.open_view(view))
            }
            Action::HideColumn => {
                grid.hide_column();
                None
            }
            Action::ShowColumns => {
                grid.show_columns();
                None
            }
            Action::PinColumn => {
                grid.toggle_pin();
                None
            }
            Action::Profile => {
                self.show_profile = !self.show_profile;
                self.profile_job()
            }
            Action::Refresh => {
                let view = grid.view.clone();
                Some(self.open_view(view))
            }
            _ => None,
        };
        job.into_iter().collect()
    }

    fn on_list_action(&mut self, action: Action) -> Vec<Job> {
        let n = self.tables.len();
        match action {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = n.saturating_sub(1),
            Action::Refresh => return vec![Job::Tables],
            Action::Open | Action::Right if n > 0 => {
                self.grid = None;
                self.profile = None;
                return vec![self.open_view(View::default())];
            }
            _ => {}
        }
        Vec::new()
    }

    fn profile_job(&self) -> Option<Job> {
        let grid = self.grid.as_ref()?;
        self.show_profile.then(|| Job::Profile {
            relation: grid.relation.clone(),
            column: grid.columns.get(grid.col).cloned(),
        })
    }

    fn on_payload(&mut self, job: &Job, payload: &Payload) -> Vec<Job> {
        match (job, payload) {
            (Job::Open { relation, view, .. }, Payload::Opened { total, page }) => {
                let Some((r, title, v)) = self.opening.clone() else {
                    return Vec::new();
                };
                if &r != relation || &v != view {
                    return Vec::new();
                }
                self.opening = None;
                let keep = self.grid.take();
                let mut grid =
                    Grid::new(Lane::Browse, relation, &title, view.clone(), *total, page);
                if let Some(old) = keep.filter(|o| o.relation == *relation) {
                    // Same table, new sort or filter: keep the column state.
                    grid.col = old.col.min(grid.columns.len().saturating_sub(1));
                    grid.hidden = old.hidden;
                    grid.pinned = old.pinned;
                    grid.height = old.height;
                }
                self.grid = Some(grid);
                self.profile_job().into_iter().collect()
            }
            (
                Job::Page {
                    lane: Lane::Browse,
                    view,
                    offset,
                    ..
                },
                Payload::Page { page, .. },
            ) => {
                if let Some(g) = &mut self.grid {
                    g.accept_page(view, *offset, page);
                    return g.need_page().into_iter().collect();
                }
                Vec::new()
            }
            (Job::Profile { .. }, Payload::Profile { summary, top }) => {
                self.profile = Some((summary.clone(), top.clone()));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let list_width = if self.grid.is_some() {
            22
        } else {
            area.width.min(60)
        };
        let [list, main] =
            Layout::horizontal([Constraint::Length(list_width), Constraint::Min(10)]).areas(area);
        self.render_list(f, list, theme);
        let Some(grid) = &mut self.grid else {
            let hint = if self.tables.is_empty() {
                "No tables yet: extract (screen 1) and build."
            } else {
                "Enter opens a table."
            };
            f.render_widget(
                Paragraph::new(Span::styled(hint, theme.style(Role::Dim))),
                inner_of(main),
            );
            return;
        };
        let profile_height = if self.show_profile {
            main.height / 2
        } else {
            0
        };
        let prompt_height = if self.prompt.is_some() { 3 } else { 0 };
        let [grid_area, prompt_area, profile_area] = Layout::vertical([
            Constraint::Min(5),
            Constraint::Length(prompt_height),
            Constraint::Length(profile_height),
        ])
        .areas(main);
        grid.render(f, grid_area, theme, self.prompt.is_none());
        if let Some(p) = &mut self.prompt {
            p.set_block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" filter: a SQL condition, Enter applies, Esc closes "),
            );
            f.render_widget(&*p, prompt_area);
        }
        if self.show_profile {
            render_profile(f, profile_area, theme, self.profile.as_ref());
        }
    }

    fn render_list(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" tables ({}) ", self.tables.len()),
            theme.style(Role::Title),
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let height = inner.height as usize;
        let top = self.cursor.saturating_sub(height.saturating_sub(1));
        self.hit.set(Some(crate::hit::ListHit { area: inner, top }));
        let width = inner.width as usize;
        let lines: Vec<Line> = self
            .tables
            .iter()
            .enumerate()
            .skip(top)
            .take(height)
            .map(|(i, t)| {
                let rows = t
                    .estimated_rows
                    .map_or_else(String::new, |n| format!(" {}", crate::text::count(n)));
                let text = if width > 40 {
                    format!("{} {}{rows}", pad(&t.label(), 30), t.kind)
                } else {
                    t.label()
                };
                let style = if i == self.cursor {
                    theme.style(Role::Selected)
                } else {
                    theme.style(Role::Text)
                };
                Line::from(Span::styled(pad(&text, width), style))
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
}

fn inner_of(area: Rect) -> Rect {
    Block::default().borders(Borders::ALL).inner(area)
}

fn render_profile(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    profile: Option<&(DataFrame, Option<DataFrame>)>,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" profile ", theme.style(Role::Title)));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some((summary, top)) = profile else {
        f.render_widget(
            Paragraph::new(Span::styled("profiling…", theme.style(Role::Dim))),
            inner,
        );
        return;
    };
    let top_width = if top.is_some() { 26 } else { 0 };
    let [left, right] =
        Layout::horizontal([Constraint::Min(20), Constraint::Length(top_width)]).areas(inner);
    let widths = [14usize, 13, 8, 6, 8, 12, 12];
    let lines = frame_lines(summary, theme, |row| {
        row.iter()
            .zip(widths)
            .map(|(c, w)| format!("{} ", pad(c, w)))
            .collect()
    });
    f.render_widget(Paragraph::new(lines), left);
    if let Some(top) = top {
        let lines = frame_lines(top, theme, |row| {
            format!("{} {:>8}", pad(&row[0], 16), row[1])
        });
        f.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::LEFT)
                    .title(" top values "),
            ),
            right,
        );
    }
}

/// A frame as lines, the header in the header style, each row formatted by `row`.
fn frame_lines(
    df: &DataFrame,
    theme: &Theme,
    row: impl Fn(&[String]) -> String,
) -> Vec<Line<'static>> {
    to_text_rows(df)
        .into_iter()
        .enumerate()
        .map(|(i, cells)| {
            let role = if i == 0 { Role::Header } else { Role::Text };
            Line::from(Span::styled(row(&cells), theme.style(role)))
        })
        .collect()
}

impl Screen for LayersScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    fn on_action(&mut self, action: Action, _: &mut Shared, out: &mut Vec<Command>) -> Vec<Job> {
        self.act(action, out)
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, _: &Shared) {
        self.draw(f, area, theme)
    }

    /// The catalog, a table's pages and profile; a comparison may have imported a legacy
    /// export, so the catalog is read again after one.
    fn on_answer(&mut self, job: &Job, payload: &Payload, _: &mut Shared) -> Vec<Job> {
        match payload {
            Payload::Tables(tables) => {
                self.set_tables(tables.clone());
                Vec::new()
            }
            Payload::Compared { .. } => vec![Job::Tables],
            _ => self.on_payload(job, payload),
        }
    }

    fn job_failed(&mut self, job: &Job, _error: &str) {
        if matches!(job, Job::Open { .. }) {
            self.opening = None;
        }
    }

    fn click(&mut self, x: u16, y: u16) -> Vec<Job> {
        if let Some(i) = crate::hit::row_at(&self.hit, x, y).filter(|i| *i < self.tables.len()) {
            self.cursor = i;
        }
        Vec::new()
    }

    fn prompt(&mut self) -> Option<&mut dyn super::Prompt> {
        match self.prompt_open() {
            true => Some(self),
            false => None,
        }
    }

    /// The table open is read again the other way.
    fn revealed(&mut self) -> Vec<Job> {
        match self.grid.is_some() {
            true => self.act(Action::Refresh, &mut Vec::new()),
            false => Vec::new(),
        }
    }
}

impl super::Prompt for LayersScreen {
    fn close_prompt(&mut self) {
        self.prompt = None;
    }

    fn type_key(&mut self, key: KeyEvent) {
        if let Some(p) = &mut self.prompt {
            p.input(key);
        }
    }

    /// Apply the typed filter (empty: no filter).
    fn submit_prompt(&mut self) -> Option<Job> {
        let text = self.prompt.take()?.lines().join(" ").trim().to_string();
        let grid = self.grid.as_ref()?;
        let mut view = grid.view.clone();
        view.filter = (!text.is_empty()).then_some(text);
        Some(self.open_view(view))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> TableInfo {
        TableInfo {
            schema: "gold".into(),
            name: name.into(),
            kind: "table".into(),
            columns: 1,
            estimated_rows: Some(1),
            warehouse: None,
        }
    }

    #[test]
    fn a_shorter_list_keeps_the_cursor_on_it_and_opening_does_not_panic() {
        let mut screen = LayersScreen::default();
        screen.set_tables((0..6).map(|i| table(&format!("t{i}"))).collect());
        screen.cursor = 5;
        screen.set_tables(vec![table("a"), table("b")]);
        assert_eq!(screen.cursor, 1);
        let jobs = screen.act(Action::Open, &mut Vec::new());
        assert!(
            matches!(jobs.as_slice(), [Job::Open { relation, .. }] if relation.sql.contains("\"b\""))
        );
        screen.set_tables(Vec::new());
        assert!(screen.act(Action::Open, &mut Vec::new()).is_empty());
    }
}
