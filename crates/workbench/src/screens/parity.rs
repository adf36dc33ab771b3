//! Parity: the migration engineer's home. One row per comparison × company from the
//! history (latest gap, what is unexplained, the sign-off, when it was compared, the trend),
//! worst first; Enter opens Compare on that company. Below, the picked row's gap over its
//! recorded runs as a chart.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};
use ratatui::Frame;

use super::{Entry, Screen, Shared};
use crate::campaign::parity::{Board, ParityRow, State};
use crate::command::Command;
use crate::decimal::Exact;
use crate::grid::pad;
use crate::jobs::{Job, Payload};
use crate::keymap::{Action, ScreenKeys};
use crate::text::right;
use crate::theme::{Role, Theme};

pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "Parity",
        name: "parity",
        about: "parity: each company's gap, sign-off, trend",
        keys: &[
            (
                Action::Open,
                &["enter"],
                "parity_open",
                "open Compare on this company",
            ),
            (
                Action::Sort,
                &["s"],
                "parity_sort",
                "sort by state, gap or company",
            ),
            (
                Action::SignOff,
                &["O"],
                "parity_sign_off",
                "sign off this company (a note)",
            ),
        ],
    },
    make: |_| Box::<ParityScreen>::default(),
};

/// What the rows are sorted by (`s` cycles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Worst first (failing, stale, never, open, done), then the largest gap.
    #[default]
    State,
    /// Largest gap (in size) first.
    Gap,
    Company,
}

impl SortBy {
    fn next(self) -> SortBy {
        match self {
            SortBy::State => SortBy::Gap,
            SortBy::Gap => SortBy::Company,
            SortBy::Company => SortBy::State,
        }
    }

    fn label(self) -> &'static str {
        match self {
            SortBy::State => "state",
            SortBy::Gap => "gap",
            SortBy::Company => "company",
        }
    }
}

#[derive(Default)]
pub struct ParityScreen {
    pub board: Option<Board>,
    /// The rows in the order shown (indexes into the board's).
    pub order: Vec<usize>,
    pub cursor: usize,
    pub sort: SortBy,
    asked: bool,
    /// A compare or a sign-off since the board was read: read again when shown.
    outdated: bool,
    hit: crate::hit::HitCell,
    /// The note of a company's sign-off being typed: (comparison, company, text).
    signing: Option<(String, String, tui_textarea::TextArea<'static>)>,
}

fn size(e: Option<Exact>) -> Exact {
    e.map(Exact::abs).unwrap_or_default()
}

fn rank(s: State) -> u8 {
    match s {
        State::Failing => 0,
        State::Stale => 1,
        State::Never => 2,
        State::Open => 3,
        State::Done => 4,
    }
}

impl ParityScreen {
    fn ask(&mut self) -> Vec<Job> {
        self.asked = true;
        self.outdated = false;
        vec![Job::Parity]
    }

    fn sorted(&mut self) {
        let Some(board) = &self.board else { return };
        let rows = &board.rows;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let key = |i: &usize| {
            let r = &rows[*i];
            (r.comparison.clone(), r.company.clone())
        };
        match self.sort {
            SortBy::State => order.sort_by(|a, b| {
                let (x, y) = (&rows[*a], &rows[*b]);
                rank(x.state)
                    .cmp(&rank(y.state))
                    .then(size(y.gap).cmp(&size(x.gap)))
                    .then(key(a).cmp(&key(b)))
            }),
            SortBy::Gap => order.sort_by(|a, b| {
                size(rows[*b].gap)
                    .cmp(&size(rows[*a].gap))
                    .then(key(a).cmp(&key(b)))
            }),
            SortBy::Company => order.sort_by_key(|i| (rows[*i].company.clone(), key(i))),
        }
        self.order = order;
        self.cursor = self.cursor.min(self.order.len().saturating_sub(1));
    }

    /// The row under the cursor.
    pub fn picked(&self) -> Option<&ParityRow> {
        let board = self.board.as_ref()?;
        board.rows.get(*self.order.get(self.cursor)?)
    }

    fn act(&mut self, action: Action, shared: &mut Shared) -> Vec<Job> {
        let n = self.order.len();
        match action {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = n.saturating_sub(1),
            Action::PageDown => self.cursor = (self.cursor + 10).min(n.saturating_sub(1)),
            Action::PageUp => self.cursor = self.cursor.saturating_sub(10),
            Action::Sort => {
                self.sort = self.sort.next();
                self.sorted();
                shared.set_info(format!("parity sorted by {}", self.sort.label()));
            }
            Action::Refresh => return self.ask(),
            Action::Open => return self.open(shared),
            Action::SignOff => {
                if let Some(r) = self.picked() {
                    let (name, company) = (r.comparison.clone(), r.company.clone());
                    self.signing = Some((name, company, tui_textarea::TextArea::default()));
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Compare on the picked row's comparison and company, shown.
    fn open(&mut self, shared: &mut Shared) -> Vec<Job> {
        let Some(row) = self.picked() else {
            return Vec::new();
        };
        let (name, company) = (row.comparison.clone(), row.company.clone());
        let jobs = shared.comparison.pick(&name, Some(&company));
        shared.show = Some("compare");
        jobs
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(board) = &self.board else {
            let text = if self.asked {
                "reading the parity board…"
            } else {
                "no board yet (r reads it)"
            };
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Dim))),
                area,
            );
            return;
        };
        if board.rows.is_empty() {
            f.render_widget(
                Paragraph::new(Span::styled(
                    "no comparisons: add [comparisons.*] to assay.toml",
                    theme.style(Role::Dim),
                )),
                area,
            );
            return;
        }
        let detail = 7.min(area.height / 2);
        let ask = if self.signing.is_some() { 3 } else { 0 };
        let [list, prompt, chart] = Layout::vertical([
            Constraint::Min(4),
            Constraint::Length(ask),
            Constraint::Length(detail),
        ])
        .areas(area);
        self.render_list(f, list, theme);
        if let Some((name, company, t)) = &mut self.signing {
            t.set_block(Block::default().borders(Borders::ALL).title(format!(
                " sign off {name} for {company}: what was agreed, with whom · Enter signs · Esc "
            )));
            f.render_widget(&*t, prompt);
        }
        if let Some(row) = self.picked() {
            render_detail(f, chart, row, theme);
        }
    }

    fn render_list(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(board) = &self.board else { return };
        let counts = board
            .comparisons
            .iter()
            .map(|t| format!("{} {}", t.comparison, t.state.as_str()))
            .collect::<Vec<_>>()
            .join(" · ");
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" parity · {counts} · by {} ", self.sort.label()),
            theme.style(Role::Title),
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let many = board.comparisons.len() > 1;
        let mut lines = vec![Line::from(Span::styled(
            columns(
                many,
                [
                    "state",
                    "comparison",
                    "company",
                    "gap",
                    "unexplained",
                    "signoff",
                    "age",
                    "trend",
                ]
                .map(String::from),
            ),
            theme.style(Role::Header),
        ))];
        let height = (inner.height as usize).saturating_sub(1);
        let top = self.cursor.saturating_sub(height.saturating_sub(1));
        self.hit.set(Some(crate::hit::ListHit {
            area: Rect {
                y: inner.y + 1,
                height: inner.height.saturating_sub(1),
                ..inner
            },
            top,
        }));
        for (at, i) in self.order.iter().enumerate().skip(top).take(height) {
            let r = &board.rows[*i];
            let style = if at == self.cursor {
                theme.style(Role::Selected)
            } else {
                theme.style(state_role(r.state))
            };
            lines.push(Line::from(Span::styled(columns(many, cells(r)), style)));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

fn state_role(s: State) -> Role {
    match s {
        State::Done => Role::Ok,
        State::Open | State::Never => Role::Text,
        State::Stale | State::Failing => Role::Error,
    }
}

fn amount(e: Option<Exact>) -> String {
    e.map_or_else(|| "—".into(), Exact::grouped)
}

/// A row's cells, in the order of `columns`.
fn cells(r: &ParityRow) -> [String; 8] {
    [
        r.state.as_str().to_string(),
        r.comparison.clone(),
        r.company.clone(),
        amount(r.gap),
        amount(r.unexplained),
        r.signoff_word().to_string(),
        r.age_seconds()
            .map_or("never".to_string(), crate::freshness::status::short_age),
        r.sparkline(),
    ]
}

/// One line of the table, fitted to 78 characters (80 columns less the border); the
/// comparison is a column only when there are several, and the trend takes what is left.
fn columns(many: bool, c: [String; 8]) -> String {
    let mut out = format!("{} ", pad(&c[0], 7));
    if many {
        out.push_str(&format!("{} ", pad(&c[1], 10)));
    }
    out.push_str(&format!(
        "{} {} {} {} {} ",
        pad(&c[2], 10),
        right(&c[3], 13),
        right(&c[4], 13),
        pad(&c[5], 7),
        right(&c[6], 5),
    ));
    let room = if many { 6 } else { 17 };
    let trend: Vec<char> = c[7].chars().collect();
    out.extend(&trend[trend.len().saturating_sub(room)..]);
    out
}

/// The picked row: its numbers, its sign-off or error, and what was left over the runs.
fn render_detail(f: &mut Frame, area: Rect, r: &ParityRow, theme: &Theme) {
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(
            " {} · {}: unexplained over the last {} runs ",
            r.comparison,
            r.company,
            r.trend.len()
        ),
        theme.style(Role::Title),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [text, chart] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
    let rows = r.rows.map_or(String::new(), |k| {
        format!(" · rows −{} +{} ≠{}", k.only_legacy, k.only_new, k.changed)
    });
    let first = format!(
        "legacy {} · new {}{rows} · {}",
        amount(r.legacy),
        amount(r.new),
        if r.within_tolerance {
            "within tolerance"
        } else {
            "out of tolerance"
        }
    );
    let second = match (&r.error, &r.signoff) {
        (Some(e), _) => format!("failed: {e}"),
        (None, Some(s)) => {
            let what = match s.state.changed.is_empty() {
                true => s.state.state.to_string(),
                false => format!(
                    "STALE: {}",
                    crate::rules::signed::Change::list(&s.state.changed, "; ")
                ),
            };
            format!(
                "signed off ({}) by {} {}: {what}",
                s.of,
                s.state.signoff.by,
                s.state.signoff.at.chars().take(10).collect::<String>(),
            )
        }
        (None, None) => format!(
            "not signed off (assay signoff {} --company {} --note …)",
            r.comparison, r.company
        ),
    };
    let role = if r.error.is_some() {
        Role::Error
    } else {
        Role::Dim
    };
    f.render_widget(
        Paragraph::new(vec![
            Line::from(Span::styled(first, theme.style(Role::Text))),
            Line::from(Span::styled(second, theme.style(role))),
        ]),
        text,
    );
    // What is left unexplained, in cents: a bar per run, oldest on the left.
    let data: Vec<u64> = r
        .trend
        .iter()
        .map(|g| g.abs().units_down(2).min(u64::MAX as i128) as u64)
        .collect();
    f.render_widget(
        Sparkline::default()
            .data(&data)
            .style(theme.style(Role::Key)),
        chart,
    );
}

impl Screen for ParityScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared, _: &mut Vec<Command>) -> Vec<Job> {
        self.act(action, shared)
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, _: &Shared) {
        self.draw(f, area, theme)
    }

    fn shown(&mut self, _: &mut Shared) -> Vec<Job> {
        match !self.asked || self.outdated {
            true => self.ask(),
            false => Vec::new(),
        }
    }

    fn on_answer(&mut self, job: &Job, payload: &Payload, shared: &mut Shared) -> Vec<Job> {
        match (job, payload) {
            (Job::Parity, Payload::Parity(board)) => {
                self.board = Some((**board).clone());
                self.sorted();
            }
            // This screen's sign-off: the board read again now, with it.
            (
                Job::SignOff {
                    company: Some(_), ..
                },
                Payload::SignedOff(s),
            ) => {
                let company = s.company.clone().unwrap_or_default();
                shared.set_info(format!("{company} signed off by {}", s.by));
                return self.ask();
            }
            // A compare or a sign-off was recorded: the board is read again when shown.
            (_, Payload::Compared { .. } | Payload::SignedOff(_)) => self.outdated = true,
            _ => {}
        }
        Vec::new()
    }

    fn job_failed(&mut self, job: &Job, _error: &str) {
        if matches!(job, Job::Parity) {
            self.asked = false;
        }
    }

    fn click(&mut self, x: u16, y: u16) -> Vec<Job> {
        if let Some(i) = crate::hit::row_at(&self.hit, x, y).filter(|i| *i < self.order.len()) {
            self.cursor = i;
        }
        Vec::new()
    }

    fn prompt(&mut self) -> Option<&mut dyn super::Prompt> {
        match self.signing.is_some() {
            true => Some(self),
            false => None,
        }
    }
}

impl super::Prompt for ParityScreen {
    fn close_prompt(&mut self) {
        self.signing = None;
    }

    fn type_key(&mut self, key: crossterm::event::KeyEvent) {
        if let Some((_, _, t)) = &mut self.signing {
            t.input(key);
        }
    }

    /// The company's sign-off with its note (an empty note is refused by the engine, named).
    fn submit_prompt(&mut self) -> Option<Job> {
        let (name, company, t) = self.signing.take()?;
        Some(Job::SignOff {
            name,
            note: t.lines().join(" ").trim().to_string(),
            company: Some(company),
        })
    }
}
