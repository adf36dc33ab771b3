//! Models: the silver and gold models in build order, each with its SQL (highlighted),
//! what it reads and what reads it, and its rows per company from its last build — the
//! walk through the gold models a pairing session starts with.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{Entry, Screen, Shared};
use crate::build::lineage::ModelSummary;
use crate::command::Command;
use crate::grid::pad;
use crate::jobs::{Job, Payload};
use crate::keymap::{Action, ScreenKeys};
use crate::text::count;
use crate::theme::{Role, Theme};

pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "Models",
        name: "models",
        about: "models: SQL and lineage",
        keys: &[],
    },
    make: |_| Box::<ModelsScreen>::default(),
};

#[derive(Default)]
pub struct ModelsScreen {
    pub models: Vec<ModelSummary>,
    pub cursor: usize,
    /// First line of the SQL shown.
    scroll: usize,
    pub asked: bool,
    /// Where the list was drawn (for clicks).
    pub hit: crate::hit::HitCell,
}

impl ModelsScreen {
    /// The models, asked for once when the screen first shows (and on `r`).
    fn first_jobs(&mut self) -> Vec<Job> {
        if self.asked {
            return Vec::new();
        }
        self.asked = true;
        vec![Job::Models]
    }

    fn act(&mut self, action: Action) -> Vec<Job> {
        let n = self.models.len();
        match action {
            Action::Up => self.select(self.cursor.saturating_sub(1)),
            Action::Down => self.select((self.cursor + 1).min(n.saturating_sub(1))),
            Action::Top => self.select(0),
            Action::Bottom => self.select(n.saturating_sub(1)),
            Action::PageDown => self.scroll += 10,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::Refresh => {
                self.asked = false;
                return self.first_jobs();
            }
            _ => {}
        }
        Vec::new()
    }

    fn select(&mut self, at: usize) {
        if at != self.cursor {
            self.scroll = 0;
        }
        self.cursor = at;
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        if self.models.is_empty() {
            let text = if self.asked {
                "no models: put SELECTs in models/silver and models/gold (or they are being read)"
            } else {
                "reading the models…"
            };
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Dim))),
                area,
            );
            return;
        }
        let (list, detail) = if area.width >= 100 {
            let [l, d] =
                Layout::horizontal([Constraint::Length(32), Constraint::Min(40)]).areas(area);
            (l, d)
        } else {
            let list_height = (self.models.len() as u16 + 2).min(area.height / 3).max(4);
            let [l, d] =
                Layout::vertical([Constraint::Length(list_height), Constraint::Min(6)]).areas(area);
            (l, d)
        };
        self.render_list(f, list, theme);
        self.render_detail(f, detail, theme);
    }

    fn render_list(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            " models (build order) ",
            theme.style(Role::Title),
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let height = inner.height as usize;
        let top = self.cursor.saturating_sub(height.saturating_sub(1));
        self.hit.set(Some(crate::hit::ListHit { area: inner, top }));
        let lines: Vec<Line> = self
            .models
            .iter()
            .enumerate()
            .skip(top)
            .take(height)
            .map(|(i, m)| {
                let rows: i64 = m.rows.iter().map(|(_, n)| n).sum();
                let built = if m.built.is_some() {
                    count(rows)
                } else {
                    "not built".into()
                };
                let style = if i == self.cursor {
                    theme.style(Role::Selected)
                } else {
                    theme.style(Role::Text)
                };
                let name_w = (inner.width as usize).saturating_sub(11);
                Line::from(vec![
                    Span::styled(pad(&m.model.qualified(), name_w), style),
                    Span::styled(format!(" {built:>10}"), theme.style(Role::Dim)),
                ])
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn render_detail(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(m) = self.models.get(self.cursor) else {
            return;
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(
                format!(" {} · {} ", m.model.qualified(), m.model.path.display()),
                theme.style(Role::Title),
            ))
            .title_bottom(Span::styled(
                " PgUp/PgDn: scroll the SQL ",
                theme.style(Role::Dim),
            ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let list = |names: &[String]| {
            if names.is_empty() {
                "—".to_string()
            } else {
                names.join(", ")
            }
        };
        let reads: Vec<String> = m.model.reads.iter().cloned().collect();
        let mut lines = vec![
            labelled("reads", list(&reads), theme),
            labelled("read by", list(&m.read_by), theme),
            labelled("rows", rows_text(m), theme),
            Line::from(""),
        ];
        let sql: Vec<Line> = m.model.sql.lines().map(|l| highlight(l, theme)).collect();
        self.scroll = self.scroll.min(sql.len().saturating_sub(1));
        lines.extend(sql.into_iter().skip(self.scroll));
        f.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
            inner,
        );
    }
}

fn labelled(label: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:>8}  "), theme.style(Role::Header)),
        Span::styled(value, theme.style(Role::Text)),
    ])
}

/// "acme 11,711 · borealis 9,880 …" from the last build, or why there are none.
fn rows_text(m: &ModelSummary) -> String {
    match (&m.built, m.rows.as_slice()) {
        (None, _) => "not built yet (assay build)".into(),
        (Some(_), []) => "built; no rows recorded".into(),
        (Some(at), rows) => {
            let per: Vec<String> = rows
                .iter()
                .map(|(c, n)| {
                    if c == "*" {
                        count(*n)
                    } else {
                        format!("{c} {}", count(*n))
                    }
                })
                .collect();
            format!(
                "{} (built {} UTC)",
                per.join(" · "),
                at.format("%Y-%m-%d %H:%M")
            )
        }
    }
}

const KEYWORDS: [&str; 30] = [
    "SELECT", "FROM", "WHERE", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "ON", "USING", "GROUP",
    "BY", "ORDER", "HAVING", "AS", "AND", "OR", "NOT", "CASE", "WHEN", "THEN", "ELSE", "END",
    "CAST", "WITH", "UNION", "ALL", "DISTINCT", "IN", "NULL",
];

/// One line of SQL with keywords, strings and comments told apart.
fn highlight(line: &str, theme: &Theme) -> Line<'static> {
    let (code, comment) = match line.find("--") {
        Some(at) => (&line[..at], Some(&line[at..])),
        None => (line, None),
    };
    let mut spans = Vec::new();
    let mut word = String::new();
    let mut in_string = false;
    let flush = |word: &mut String, spans: &mut Vec<Span<'static>>, in_string: bool| {
        if word.is_empty() {
            return;
        }
        let role = if in_string {
            Role::New
        } else if KEYWORDS.contains(&word.to_ascii_uppercase().as_str()) {
            Role::Key
        } else {
            Role::Text
        };
        spans.push(Span::styled(std::mem::take(word), theme.style(role)));
    };
    for c in code.chars() {
        if c == '\'' {
            if in_string {
                word.push(c);
                flush(&mut word, &mut spans, true);
                in_string = false;
                continue;
            }
            flush(&mut word, &mut spans, false);
            in_string = true;
            word.push(c);
            continue;
        }
        if in_string || c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut spans, false);
            spans.push(Span::styled(c.to_string(), theme.style(Role::Text)));
        }
    }
    flush(&mut word, &mut spans, in_string);
    if let Some(comment) = comment {
        spans.push(Span::styled(comment.to_string(), theme.style(Role::Dim)));
    }
    Line::from(spans)
}

impl Screen for ModelsScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    fn on_action(&mut self, action: Action, _: &mut Shared, _: &mut Vec<Command>) -> Vec<Job> {
        self.act(action)
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, _: &Shared) {
        self.draw(f, area, theme)
    }

    fn shown(&mut self, _: &mut Shared) -> Vec<Job> {
        self.first_jobs()
    }

    fn on_answer(&mut self, _job: &Job, payload: &Payload, _: &mut Shared) -> Vec<Job> {
        if let Payload::Models(models) = payload {
            self.cursor = self.cursor.min(models.len().saturating_sub(1));
            self.models = models.clone();
        }
        Vec::new()
    }

    fn click(&mut self, x: u16, y: u16) -> Vec<Job> {
        if let Some(i) = crate::hit::row_at(&self.hit, x, y).filter(|i| *i < self.models.len()) {
            self.cursor = i;
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_strings_and_comments_are_told_apart() {
        let theme = Theme::built_in("dark");
        let line = highlight("SELECT 'a b' AS x FROM t -- why", &theme);
        let texts: Vec<String> = line.spans.iter().map(|s| s.content.to_string()).collect();
        assert!(texts.contains(&"'a b'".to_string()), "{texts:?}");
        assert_eq!(line.spans[0].style, theme.style(Role::Key));
        let last = line.spans.last().unwrap();
        assert_eq!(last.content, "-- why");
        assert_eq!(last.style, theme.style(Role::Dim));
    }
}
