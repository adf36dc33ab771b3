//! SQL: an editor over the cache (warehouse attached), results in the same paged grid as
//! the Layers browser, a history of what ran; Esc interrupts a running query.

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;

use super::{Entry, Screen, Shared, TextEntry};
use crate::browse::View;
use crate::command::Command;
use crate::grid::{Grid, PAGE};
use crate::jobs::{Job, Lane, Payload, SQL_RESULT};
use crate::keymap::{Action, ScreenKeys};
use crate::theme::{Role, Theme};

#[rustfmt::skip]
pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "SQL",
        name: "sql",
        about: "SQL console",
        keys: &[
        (Action::RunQuery, &["f5", "ctrl-r"], "run_query", "run query"),
        (Action::HistoryPrev, &["ctrl-p"], "history_prev", "previous query"),
        (Action::HistoryNext, &["ctrl-n"], "history_next", "next query"),
        (Action::Focus, &["ctrl-o"], "focus", "editor ⇄ results"),
        (Action::Writable, &["ctrl-w"], "writable", "read-only ⇄ writable"),
        (Action::Mark, &["V"], "mark_results", "mark rows (Y copies)"),
        ],
    },
    make: |ws| {
        let warehouse = crate::warehouse::remote_name(&ws.config.warehouse);
        let history = ws.cache_path().with_file_name("sql_history");
        Box::new(SqlScreen::new(warehouse).with_history_file(history))
    },
};

pub struct SqlScreen {
    pub editor: TextArea<'static>,
    pub history: Vec<String>,
    history_at: Option<usize>,
    pub grid: Option<Grid>,
    pub editing: bool,
    pub message: Option<String>,
    /// Where statements run, for the title: the cache, or the warehouse read-only.
    target: String,
    on_warehouse: bool,
    /// The user asked for a writable console (Ctrl-W); read-only otherwise.
    pub writable: bool,
    /// Where the history is kept between sessions.
    history_file: Option<PathBuf>,
}

/// Statements kept in the history file.
const HISTORY_KEPT: usize = 500;

/// One statement per line, its newlines and backslashes escaped.
fn encode(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn decode(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

impl SqlScreen {
    /// A console on the cache, or on the warehouse named `warehouse` (read-only).
    pub fn new(warehouse: Option<&str>) -> SqlScreen {
        let mut editor = TextArea::default();
        editor.set_placeholder_text("SELECT … (F5 or Ctrl-R runs, Ctrl-O switches to the results)");
        SqlScreen {
            editor,
            history: Vec::new(),
            history_at: None,
            grid: None,
            editing: true,
            message: None,
            target: match warehouse {
                Some(name) => format!("SQL on {name} (read-only)"),
                None => "SQL on the cache".into(),
            },
            on_warehouse: warehouse.is_some(),
            writable: false,
            history_file: None,
        }
    }

    /// Keep the history in `file`, starting from what an earlier session left there.
    pub fn with_history_file(mut self, file: PathBuf) -> SqlScreen {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut all: Vec<String> = text.lines().filter(|l| !l.is_empty()).map(decode).collect();
            let over = all.len().saturating_sub(HISTORY_KEPT);
            all.drain(..over);
            if over > 0 {
                // The file only grows as statements run; it is cut back here, once.
                let lines: Vec<String> = all.iter().map(|t| encode(t)).collect();
                let _ = std::fs::write(&file, lines.join("\n") + "\n");
            }
            self.history = all;
        }
        self.history_file = Some(file);
        self
    }

    /// Add a statement to the history (and its file; a history that cannot be written is
    /// only lost for the next session, so that is not an error).
    fn remember(&mut self, text: String) {
        if self.history.last() == Some(&text) {
            return;
        }
        self.history.push(text);
        if self.history.len() > HISTORY_KEPT {
            self.history.remove(0);
        }
        if let Some(file) = &self.history_file {
            // One line appended per run: the UI thread never rewrites the whole file.
            use std::io::Write;
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .and_then(|mut f| writeln!(f, "{}", encode(self.history.last().expect("pushed"))));
            let _ = appended;
        }
    }

    /// Whether the editor holds a statement (quitting would lose it from the screen).
    pub fn has_text(&self) -> bool {
        self.editing && self.editor.lines().iter().any(|l| !l.trim().is_empty())
    }

    pub fn wants_text(&self) -> bool {
        self.editing
    }

    pub fn set_text(&mut self, text: &str) {
        self.editor = TextArea::new(text.lines().map(String::from).collect());
        self.editor.move_cursor(tui_textarea::CursorMove::Bottom);
        self.editor.move_cursor(tui_textarea::CursorMove::End);
    }

    fn act(&mut self, action: Action, commands: &mut Vec<Command>) -> Vec<Job> {
        match action {
            Action::RunQuery => {
                let text = self.editor.lines().join("\n");
                if text.trim().is_empty() {
                    return Vec::new();
                }
                self.remember(text.clone());
                self.history_at = None;
                self.message = Some("running… (Esc cancels)".into());
                return vec![Job::Sql {
                    text,
                    limit: PAGE,
                    write: self.writable,
                }];
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
            // The warehouse is asked read-only whatever the console says (its server decides).
            Action::Writable if !self.on_warehouse => self.writable = !self.writable,
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

    fn on_payload(&mut self, job: &Job, payload: &Payload, shared: &mut Shared) -> Vec<Job> {
        match (job, payload) {
            (Job::Sql { .. }, Payload::SqlRows { total, page }) => {
                self.message = None;
                let title = format!("result: {}", crate::text::rows(*total));
                self.grid = Some(Grid::new(
                    Lane::Sql,
                    &crate::browse::Table::cache(SQL_RESULT),
                    &title,
                    View::default(),
                    *total,
                    page,
                ));
                // Focus stays in the editor: typing must not land on the grid's keys.
                shared.set_info(format!(
                    "{} (Ctrl-O: to the results)",
                    crate::text::rows(*total)
                ));
            }
            (Job::Sql { .. }, Payload::SqlDone { message }) => {
                self.message = None;
                shared.set_info(message.clone());
            }
            (
                Job::Page {
                    lane: Lane::Sql,
                    view,
                    ..
                },
                Payload::Page { offset, page },
            ) => {
                if let Some(g) = &mut self.grid {
                    g.accept_page(view, *offset, page);
                    return g.need_page().into_iter().collect();
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let editor_height = if self.editing { 8 } else { 5 }.min(area.height / 2);
        let [editor, results] =
            Layout::vertical([Constraint::Length(editor_height), Constraint::Min(3)]).areas(area);
        let mode = match (self.on_warehouse, self.writable) {
            (true, _) => "",
            (false, false) => " (read-only · Ctrl-W: writable)",
            (false, true) => " (WRITABLE · Ctrl-W: read-only)",
        };
        let title = match &self.message {
            Some(m) => format!(" {}{mode} · {m} ", self.target),
            None => format!(
                " {}{mode} · {} in history ",
                self.target,
                self.history.len()
            ),
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

impl Screen for SqlScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    fn on_action(&mut self, action: Action, _: &mut Shared, out: &mut Vec<Command>) -> Vec<Job> {
        self.act(action, out)
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, _: &Shared) {
        self.draw(f, area, theme)
    }

    fn on_answer(&mut self, job: &Job, payload: &Payload, shared: &mut Shared) -> Vec<Job> {
        self.on_payload(job, payload, shared)
    }

    fn job_failed(&mut self, job: &Job, _error: &str) {
        if matches!(job, Job::Sql { .. }) {
            self.message = None;
        }
    }

    fn text(&mut self) -> Option<&mut dyn TextEntry> {
        match self.editing {
            true => Some(self),
            false => None,
        }
    }

    fn typing(&self) -> bool {
        self.editing
    }

    fn unsaved(&self) -> Option<&'static str> {
        self.has_text()
            .then_some("quit? Ctrl-C again quits (your queries are kept in the history)")
    }

    /// A result fetched the other way is dropped, not run again: a statement is never run
    /// twice behind the user's back.
    fn revealed(&mut self) -> Vec<Job> {
        if self.grid.take().is_some() {
            self.message = Some("run the query again (F5) to see its answer".into());
        }
        Vec::new()
    }
}

/// In the editor every plain key is text; Esc leaves it when no statement runs.
impl TextEntry for SqlScreen {
    fn type_key(&mut self, key: KeyEvent) {
        self.editor.input(key);
    }

    fn leave(&mut self, busy: &[(Lane, String)]) -> Option<&'static str> {
        if busy.iter().any(|(lane, _)| *lane == Lane::Sql) {
            return None;
        }
        self.editing = false;
        Some("left the editor: digits and Tab switch screens, q quits, Ctrl-O edits again")
    }
}

impl Default for SqlScreen {
    fn default() -> Self {
        SqlScreen::new(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The history survives the session: statements with newlines and backslashes come back
    /// as they were written.
    #[test]
    fn the_history_is_kept_between_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sql_history");
        let mut first = SqlScreen::new(None).with_history_file(file.clone());
        let statements = ["SELECT 1", "SELECT 'a\\b'\nFROM t", "SELECT 1"];
        for text in statements {
            first.set_text(text);
            first.act(Action::RunQuery, &mut Vec::new());
        }
        let second = SqlScreen::new(None).with_history_file(file);
        assert_eq!(
            second.history,
            vec!["SELECT 1", "SELECT 'a\\b'\nFROM t", "SELECT 1"]
        );
    }

    #[test]
    fn the_console_asks_read_only_until_told() {
        let mut screen = SqlScreen::new(None);
        screen.set_text("DELETE FROM t");
        let jobs = screen.act(Action::RunQuery, &mut Vec::new());
        assert!(matches!(jobs.as_slice(), [Job::Sql { write: false, .. }]));
        screen.act(Action::Writable, &mut Vec::new());
        let jobs = screen.act(Action::RunQuery, &mut Vec::new());
        assert!(matches!(jobs.as_slice(), [Job::Sql { write: true, .. }]));
        let mut warehouse = SqlScreen::new(Some("ClickHouse"));
        warehouse.act(Action::Writable, &mut Vec::new());
        assert!(!warehouse.writable, "ClickHouse is asked read-only");
    }
}
