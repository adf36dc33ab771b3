//! Sources: every company × entity × layer with its last load, rows, age and freshness;
//! extraction of one entity, a company or everything, with live progress.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::config::Workspace;
use crate::extract::{Event, Selection};
use crate::freshness::history::History;
use crate::freshness::status::{matrix_with_tests, Cell, Matrix};
use crate::freshness::status_text::grid;
use crate::freshness::{human_age, Row, Status};
use crate::grid::pad;
use crate::jobs::Job;
use crate::keymap::Action;
use crate::theme::{Role, Theme};

mod screen;
pub use screen::ENTRY;

#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub rows: i64,
    pub fraction: Option<f64>,
    pub rows_per_sec: f64,
    pub done: Option<String>,
}

pub struct SourcesScreen {
    pub rows: Vec<Row>,
    /// The rows as the health grid (made when they arrive, not at every frame).
    health: Matrix,
    pub cursor: usize,
    top: usize,
    companies: usize,
    entities: usize,
    /// (company, entity) → progress of the running extraction.
    pub progress: BTreeMap<(String, String), Progress>,
    pub running: bool,
    /// When the rows were read: ages shown are theirs plus the time since.
    fetched: Option<Instant>,
    /// When fresh rows were last asked for.
    asked: Option<Instant>,
    /// Where the rows were drawn (for clicks).
    pub hit: crate::hit::HitCell,
    /// The history of the row Enter was pressed on, shown instead of the list.
    history: Option<History>,
    history_scroll: u16,
}

/// How long Sources shows the catalog as read before asking again (statuses change as
/// data ages, and other processes extract and build).
pub const REFRESH: Duration = Duration::from_secs(30);

impl SourcesScreen {
    pub fn new(ws: &Workspace) -> SourcesScreen {
        SourcesScreen {
            rows: Vec::new(),
            health: Matrix::default(),
            cursor: 0,
            top: 0,
            companies: ws.config.companies.len(),
            entities: ws.config.entities.len(),
            progress: BTreeMap::new(),
            running: false,
            fetched: None,
            asked: None,
            hit: Default::default(),
            history: None,
            history_scroll: 0,
        }
    }

    /// Fresh rows from the catalog, problems first (then as the catalog lists them).
    fn set_rows(&mut self, mut rows: Vec<Row>, tests: &BTreeMap<String, Cell>) {
        rows.sort_by_key(|r| std::cmp::Reverse(r.status));
        self.health = matrix_with_tests(&rows, tests);
        self.rows = rows;
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
        self.fetched = Some(Instant::now());
    }

    /// The catalog read again when the rows are older than `REFRESH` (once per `REFRESH`,
    /// and not while an extraction runs: it asks when it ends).
    pub fn ask_again(&mut self) -> Option<Job> {
        let old = |at: Option<Instant>| at.is_none_or(|at| at.elapsed() >= REFRESH);
        if self.running || self.fetched.is_none() || !old(self.fetched) || !old(self.asked) {
            return None;
        }
        self.asked = Some(Instant::now());
        Some(Job::Freshness)
    }

    /// A row's age now: its age when read, plus the time since.
    fn age_now(&self, age_seconds: Option<i64>) -> Option<i64> {
        let since = self.fetched.map_or(0, |at| at.elapsed().as_secs() as i64);
        age_seconds.map(|a| a + since)
    }

    fn act(&mut self, action: Action) -> Vec<Job> {
        if self.history.is_some() && self.scroll_history(action) {
            return Vec::new();
        }
        let n = self.rows.len();
        match action {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::PageUp => self.cursor = self.cursor.saturating_sub(10),
            Action::PageDown => self.cursor = (self.cursor + 10).min(n.saturating_sub(1)),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = n.saturating_sub(1),
            Action::Refresh => {
                let mut jobs = vec![Job::Freshness];
                jobs.extend(self.history_again());
                return jobs;
            }
            Action::Open => {
                if let Some(row) = self.rows.get(self.cursor) {
                    return vec![Job::History(Box::new(row.clone()))];
                }
            }
            Action::Back => self.history = None,
            Action::ExtractOne | Action::ExtractCompany | Action::ExtractAll if !self.running => {
                let row = self.rows.get(self.cursor);
                let selection = match (action, row) {
                    (Action::ExtractOne, Some(r)) => Selection {
                        companies: vec![r.company.clone()],
                        entities: vec![r.entity.clone()],
                        full_refresh: false,
                    },
                    (Action::ExtractCompany, Some(r)) => Selection {
                        companies: vec![r.company.clone()],
                        entities: Vec::new(),
                        full_refresh: false,
                    },
                    (Action::ExtractAll, _) => Selection::default(),
                    _ => return Vec::new(),
                };
                self.running = true;
                self.progress.clear();
                return vec![Job::Extract(selection)];
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_event(&mut self, event: &Event) {
        match event {
            Event::Started {
                company, entity, ..
            } => {
                self.progress
                    .insert((company.clone(), entity.clone()), Progress::default());
            }
            Event::Progress {
                company,
                entity,
                rows,
                done_fraction,
                rows_per_sec,
            } => {
                let p = self
                    .progress
                    .entry((company.clone(), entity.clone()))
                    .or_default();
                p.rows = *rows;
                p.fraction = *done_fraction;
                p.rows_per_sec = *rows_per_sec;
            }
            Event::Drift {
                company,
                entity,
                drift,
            } => {
                let p = self
                    .progress
                    .entry((company.clone(), entity.clone()))
                    .or_default();
                p.done = Some(format!("drift: {drift}"));
            }
            Event::Finished { outcome } => {
                let p = self
                    .progress
                    .entry((outcome.company.clone(), outcome.entity.clone()))
                    .or_default();
                p.rows = outcome.rows;
                // Only a finished run fills its bar; a failed or cancelled one stops where
                // it was, and says why on a line of its own.
                if outcome.error.is_none() && outcome.status == crate::store::RunStatus::Ok {
                    p.fraction = Some(1.0);
                }
                p.done = Some(match &outcome.error {
                    Some(e) => format!("failed: {e}"),
                    None => format!("{} in {:.1}s", outcome.status.as_str(), outcome.seconds),
                });
            }
        }
    }

    fn finished(&mut self) {
        self.running = false;
    }

    /// The history shown, if one is open.
    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// The history of a row, to show until Backspace (from its top, unless it is the one
    /// shown, asked again).
    fn set_history(&mut self, history: History) {
        let same = self
            .history
            .as_ref()
            .is_some_and(|h| (&h.company, &h.table) == (&history.company, &history.table));
        if !same {
            self.history_scroll = 0;
        }
        self.history = Some(history);
    }

    /// Moving keys scroll an open history; whether `action` was one.
    fn scroll_history(&mut self, action: Action) -> bool {
        let s = &mut self.history_scroll;
        match action {
            Action::Up => *s = s.saturating_sub(1),
            Action::Down => *s = s.saturating_add(1),
            Action::PageUp => *s = s.saturating_sub(10),
            Action::PageDown => *s = s.saturating_add(10),
            Action::Top => *s = 0,
            _ => return false,
        }
        true
    }

    /// The open history asked for again (after an extraction, on refresh), if one is open.
    fn history_again(&self) -> Option<Job> {
        let h = self.history.as_ref()?;
        let row = self
            .rows
            .iter()
            .find(|r| r.company == h.company && r.table == h.table)?;
        Some(Job::History(Box::new(row.clone())))
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let progress_height = if self.progress.is_empty() {
            0
        } else {
            let reasons = self
                .progress
                .values()
                .filter(|p| p.done.as_deref().is_some_and(|d| d.contains(": ")))
                .count();
            ((self.progress.len() + 2 * reasons) as u16 + 2).min(area.height / 2)
        };
        let [health_area, table_area, progress_area] = Layout::vertical([
            Constraint::Length(self.health_height(area)),
            Constraint::Min(3),
            Constraint::Length(progress_height),
        ])
        .areas(area);
        self.render_health(f, health_area, theme);
        match &self.history {
            Some(h) => super::history::render(f, table_area, h, self.history_scroll, theme),
            None => self.render_list(f, table_area, theme),
        }
        if progress_height > 0 {
            self.render_progress(f, progress_area, theme);
        }
    }

    /// Every row (company × entity × layer), problems first, under the cursor.
    fn render_list(&mut self, f: &mut Frame, table_area: Rect, theme: &Theme) {
        let worst = self.rows.iter().map(|r| r.status).max();
        let title = format!(
            " {} companies · {} entities · {} ",
            self.companies,
            self.entities,
            match worst {
                Some(Status::Failed) => "an extraction failed (see its note)",
                Some(Status::Error) => "some data is stale (error)",
                Some(Status::Cancelled) => "an extraction was cancelled",
                Some(Status::Warn) => "some data is getting old (warn)",
                Some(Status::Ok) => "all fresh",
                None => "nothing loaded yet",
            }
        );
        let widths = [9usize, 13, 22, 8, 7, 6];
        let mut block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, theme.style(Role::Title)));
        // At 80 columns the note column holds a word ("failed"): the selected row's whole
        // note goes on the frame, where it has the width of the screen.
        let room = (table_area.width as usize).saturating_sub(widths.iter().sum::<usize>() + 8);
        if let Some(r) = self.rows.get(self.cursor) {
            if r.note.chars().count() > room {
                block = block.title_bottom(Span::styled(
                    format!(" {}: {} ", r.company, r.note),
                    theme.style(Role::Dim),
                ));
            }
        }
        let inner = block.inner(table_area);
        f.render_widget(block, table_area);
        let header = ["company", "entity", "table", "rows", "age", "status"];
        let mut lines = vec![Line::from(
            header
                .iter()
                .zip(widths)
                .map(|(h, w)| Span::styled(format!("{} ", pad(h, w)), theme.style(Role::Header)))
                .chain(std::iter::once(Span::styled(
                    "note",
                    theme.style(Role::Header),
                )))
                .collect::<Vec<_>>(),
        )];
        let height = inner.height.saturating_sub(1) as usize;
        if self.cursor < self.top {
            self.top = self.cursor;
        }
        if height > 0 && self.cursor >= self.top + height {
            self.top = self.cursor + 1 - height;
        }
        self.hit.set(Some(crate::hit::ListHit {
            area: Rect {
                y: inner.y + 1,
                height: inner.height.saturating_sub(1),
                ..inner
            },
            top: self.top,
        }));
        for (i, r) in self.rows.iter().enumerate().skip(self.top).take(height) {
            let status_role = role_of(r.status);
            let base = if i == self.cursor {
                theme.style(Role::Selected)
            } else {
                theme.style(Role::Text)
            };
            let cells = [
                r.company.clone(),
                r.entity.clone(),
                r.table.clone(),
                r.rows.map_or_else(
                    || "—".into(),
                    |n| crate::text::right(&crate::text::count(n), widths[3]),
                ),
                self.age_now(r.age_seconds)
                    .map_or_else(|| "never".into(), human_age),
            ];
            let mut spans: Vec<Span> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| Span::styled(format!("{} ", pad(c, w)), base))
                .collect();
            let status_style = if i == self.cursor {
                base
            } else {
                theme.style(status_role)
            };
            spans.push(Span::styled(
                format!("{} ", pad(r.status.as_str(), widths[5])),
                status_style,
            ));
            spans.push(Span::styled(
                r.note.clone(),
                if i == self.cursor {
                    base
                } else {
                    theme.style(Role::Dim)
                },
            ));
            lines.push(Line::from(spans));
        }
        if self.rows.is_empty() {
            lines.push(Line::from(Span::styled(
                "No loads yet: press A to extract everything.",
                theme.style(Role::Dim),
            )));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    /// Lines for the health grid: every company (or as many as fit above a list of a few
    /// rows, problems first), its header and its borders. At 80×24 the demo's eight fit.
    fn health_height(&self, area: Rect) -> u16 {
        if self.health.companies.is_empty() {
            return 0;
        }
        ((self.health.companies.len() + 3) as u16).min(area.height.saturating_sub(8))
    }

    /// The health grid `assay status` prints: a row per company, a cell per entity and
    /// layer, problems first.
    fn render_health(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        if area.height < 3 {
            return;
        }
        let m = &self.health;
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" health · {} ", counts(m)),
            theme.style(Role::Title),
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let room = (inner.height as usize).saturating_sub(1);
        let mut g = grid(m, inner.width as usize, Some(room));
        // What does not fit is summed up on the last line (problems are listed first).
        if m.companies.len() > room {
            g.rows.truncate(room.saturating_sub(1));
        }
        let mut lines = vec![Line::from(Span::styled(
            g.header,
            theme.style(Role::Header),
        ))];
        for (status, text) in g.rows {
            lines.push(Line::from(Span::styled(text, theme.style(role_of(status)))));
        }
        let shown = lines.len() - 1;
        if shown < m.companies.len() {
            lines.push(Line::from(Span::styled(
                format!("… {} more companies", m.companies.len() - shown),
                theme.style(Role::Dim),
            )));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn render_progress(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            if self.running {
                " extracting (Esc cancels) "
            } else {
                " last extraction "
            },
            theme.style(Role::Title),
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let bar_width = 20usize;
        let lines: Vec<Line> =
            self.progress
                .iter()
                .flat_map(|((company, entity), p)| {
                    let filled = (p.fraction.unwrap_or(0.0).clamp(0.0, 1.0) * bar_width as f64)
                        .round() as usize;
                    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(bar_width - filled));
                    let (tail, reason, role) = match p.done.as_deref() {
                        None => (format!("{:.0} rows/s", p.rows_per_sec), None, Role::Text),
                        Some(d) => match d.split_once(": ") {
                            Some((what, why)) if what == "failed" || what == "drift" => {
                                (what.to_string(), Some(why.to_string()), Role::Error)
                            }
                            _ if d.starts_with("cancelled") => (d.to_string(), None, Role::Warn),
                            _ => (d.to_string(), None, Role::Ok),
                        },
                    };
                    let mut line = vec![Line::from(vec![
                        Span::raw(format!("{} ", pad(&format!("{company}/{entity}"), 22))),
                        Span::styled(bar, theme.style(Role::New)),
                        Span::raw(format!(" {:>9} ", crate::text::count(p.rows))),
                        Span::styled(tail, theme.style(role)),
                    ])];
                    // The whole reason, wrapped under its run: cut at 80 columns it said nothing.
                    line.extend(reason.map(|why| {
                        Line::from(Span::styled(format!("  └ {why}"), theme.style(role)))
                    }));
                    line
                })
                .collect();
        f.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
            inner,
        );
    }
}

fn role_of(status: Status) -> Role {
    match status {
        Status::Ok => Role::Ok,
        Status::Warn | Status::Cancelled => Role::Warn,
        Status::Error | Status::Failed => Role::Error,
    }
}

/// "7 ok, 1 failed": companies per state, worst first.
fn counts(m: &Matrix) -> String {
    let mut parts: Vec<(&String, &usize)> = m.counts.iter().collect();
    parts.sort_by_key(|(s, _)| std::cmp::Reverse(s.as_str() != "ok"));
    parts
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen() -> SourcesScreen {
        SourcesScreen {
            rows: Vec::new(),
            health: Matrix::default(),
            cursor: 0,
            top: 0,
            companies: 1,
            entities: 1,
            progress: BTreeMap::new(),
            running: false,
            fetched: None,
            asked: None,
            hit: Default::default(),
            history: None,
            history_scroll: 0,
        }
    }

    /// A failed run keeps its bar where it stopped (it drew a full one) and shows its whole
    /// reason under it at 80 columns (it was cut).
    #[test]
    fn a_failed_run_says_why_in_full() {
        use crate::extract::Outcome;
        use crate::store::RunStatus;
        let mut s = screen();
        s.on_event(&Event::Progress {
            company: "acme".into(),
            entity: "invoices".into(),
            rows: 10,
            done_fraction: Some(0.25),
            rows_per_sec: 5.0,
        });
        let why = "cannot read acme/invoices_2024.csv: line 1204, column 7: unterminated quote";
        s.on_event(&Event::Finished {
            outcome: Outcome {
                company: "acme".into(),
                entity: "invoices".into(),
                run_id: Some(1),
                status: RunStatus::Failed,
                rows: 10,
                seconds: 1.0,
                error: Some(why.into()),
                drift_failure: false,
                unchanged: false,
            },
        });
        let p = &s.progress[&("acme".to_string(), "invoices".to_string())];
        assert_eq!(
            p.fraction,
            Some(0.25),
            "the bar stays where the run stopped"
        );
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        let theme = Theme::built_in("mono");
        terminal.draw(|f| s.draw(f, f.area(), &theme)).unwrap();
        let text = crate::harness::buffer_text(terminal.backend().buffer());
        let joined: String = text
            .lines()
            .map(|l| l.trim_matches(['│', ' ']))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(joined.contains("unterminated quote"), "{text}");
        assert!(!text.contains(&"█".repeat(20)), "no full bar: {text}");
    }

    /// Ages advance while the screen is shown (they stood still until `r`), and the catalog
    /// is read again once the rows are `REFRESH` old, once.
    #[test]
    fn ages_advance_and_stale_rows_are_read_again() {
        let mut s = screen();
        assert_eq!(
            s.ask_again(),
            None,
            "nothing read yet: the first read is on its way"
        );
        s.set_rows(Vec::new(), &BTreeMap::new());
        s.fetched = Some(Instant::now() - Duration::from_secs(5));
        assert_eq!(s.age_now(Some(10)), Some(15));
        assert_eq!(s.age_now(None), None);
        assert_eq!(s.ask_again(), None, "5 s old is fresh enough");
        s.fetched = Some(Instant::now() - REFRESH);
        assert_eq!(s.ask_again(), Some(Job::Freshness));
        assert_eq!(s.ask_again(), None, "asked once");
        s.running = true;
        s.asked = None;
        assert_eq!(s.ask_again(), None, "not while extracting");
    }
}
