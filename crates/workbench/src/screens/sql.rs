//! SQL: an editor over the cache (warehouse attached), results in the same paged grid as
//! the Layers browser, a history of what ran; Esc interrupts a running query.

use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;

use crate::browse::View;
use crate::command::Command;
use crate::grid::{Grid, PAGE};
use crate::jobs::{Job, Lane, Payload, SQL_RESULT};
use crate::keymap::Action;
use crate::theme::{Role, Theme};

pub struct SqlScreen {
    pub editor: TextArea<'static>,
    pub history: Vec<String>,
    history_at: Option<usize>,
    pub grid: Option<Grid>,
    pub editing: bool,
    pub message: Option<String>,
    /// Where statements run, for the title: the cache, or the warehouse read-only.
    target: &'static str,
}

impl SqlScreen {
    pub fn new(on_warehouse: bool) -> SqlScreen {
        let mut editor = TextArea::default();
        editor.set_placeholder_text("SELECT … (F5 or Ctrl-R runs, Ctrl-O switches to the results)");
        SqlScreen {
            editor,
            history: Vec::new(),
            history_at: None,
            grid: None,
            editing: true,
            message: None,
            target: if on_warehouse {
                "SQL on ClickHouse (read-only)"
            } else {
                "SQL on the cache"
            },
        }
    }

    pub fn wants_text(&self) -> bool {
        self.editing
    }

    pub fn type_key(&mut self, key: KeyEvent) {
        self.editor.input(key);
    }

    pub fn set_text(&mut self, text: &str) {
        self.editor = TextArea::new(text.lines().map(String::from).collect());
        self.editor.move_cursor(tui_textarea::CursorMove::Bottom);
        self.editor.move_cursor(tui_textarea::CursorMove::End);
    }

    pub fn on_action(&mut self, action: Action, commands: &mut Vec<Command>) -> Vec<Job> {
        match action {
            Action::RunQuery => {
                let text = self.editor.lines().join("\n");
                if text.trim().is_empty() {
                    return Vec::new();
                }
                if self.history.last() != Some(&text) {
                    self.history.push(text.clone());
                }
                self.history_at = None;
                self.message = Some("running… (Esc cancels)".into());
                return vec![Job::Sql { text, limit: PAGE }];
            }
            Action::HistoryPrev | Action::HistoryNext if !self.history.is_empty() => {
                let last = self.history.len() - 1;
                let at = match (action, self.history_at) {
                    (Action::HistoryPrev, None) => last,
                    (Action::HistoryPrev, Some(i)) => i.saturating_sub(1),
                    (_, None) => return Vec::new(),
                    (_, Some(i)) => (i + 1).min(last),
                };
                self.history_at = Some(at);
                let text = self.history[at].clone();
                self.set_text(&text);
                self.editing = true;
            }
            Action::Focus => self.editing = !self.editing,
            _ => {
                let Some(grid) = &mut self.grid else {
                    return Vec::new();
                };
                let mut copied = Vec::new();
                let job = grid.navigate(action, &mut copied).flatten();
                commands.extend(copied.into_iter().map(Command::Copy));
                return job.into_iter().collect();
            }
        }
        Vec::new()
    }

    pub fn job_failed(&mut self, job: &Job) {
        if matches!(job, Job::Sql { .. }) {
            self.message = None;
        }
    }

    pub fn on_payload(
        &mut self,
        job: &Job,
        payload: Payload,
        status: &mut Option<(String, bool)>,
    ) -> Vec<Job> {
        match payload {
            Payload::SqlRows { total, page } => {
                self.message = None;
                let title = format!("result: {total} rows");
                self.grid = Some(Grid::new(
                    Lane::Sql,
                    &crate::browse::Table::cache(SQL_RESULT),
                    &title,
                    View::default(),
                    total,
                    &page,
                ));
                self.editing = false;
                *status = Some((format!("{total} rows (Ctrl-O: back to the editor)"), false));
            }
            Payload::SqlDone { message } => {
                self.message = None;
                *status = Some((message, false));
            }
            Payload::Page { offset, page } => {
                if let (Some(g), Job::Page { view, .. }) = (&mut self.grid, job) {
                    g.accept_page(view, offset, &page);
                    return g.need_page().into_iter().collect();
                }
            }
            _ => {}
        }
        Vec::new()
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let editor_height = if self.editing { 8 } else { 5 }.min(area.height / 2);
        let [editor, results] =
            Layout::vertical([Constraint::Length(editor_height), Constraint::Min(3)]).areas(area);
        let title = match &self.message {
            Some(m) => format!(" {} · {m} ", self.target),
            None => format!(" {} · {} in history ", self.target, self.history.len()),
        };
        let border = if self.editing {
            theme.style(Role::Title)
        } else {
            theme.style(Role::Dim)
        };
        self.editor.set_block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(title, border)),
        );
        self.editor
            .set_cursor_line_style(ratatui::style::Style::default());
        f.render_widget(&self.editor, editor);
        match &mut self.grid {
            Some(g) => g.render(f, results, theme, !self.editing),
            None => f.render_widget(
                Paragraph::new(Span::styled(
                    "Try: SELECT * FROM gold.fct_sales LIMIT 100",
                    theme.style(Role::Dim),
                ))
                .block(Block::default().borders(Borders::ALL).title(" result ")),
                results,
            ),
        }
    }
}

impl Default for SqlScreen {
    fn default() -> Self {
        SqlScreen::new(false)
    }
}
