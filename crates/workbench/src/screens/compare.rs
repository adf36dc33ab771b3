//! Compare: pick a comparison and a company; totals on top, legacy and new rows side by
//! side (filtered by row class), and legacy vs new by period.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use super::{Comparison, Entry, Screen, Shared};
use crate::command::Command;
use crate::jobs::{Job, Payload};
use crate::keymap::{Action, ScreenKeys};
use crate::recon::ClassFilter;
use crate::rows_view::RowsView;
use crate::text::{count, money, signed_money, size};
use crate::theme::{Role, Theme};

#[rustfmt::skip]
pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "Compare",
        name: "compare",
        about: "compare",
        keys: &[
        (Action::NextComparison, &["]"], "next_comparison", "next comparison"),
        (Action::NextCompany, &["c"], "next_company", "next company"),
        (Action::RowClass, &["v"], "row_class", "row class filter"),
        (Action::Open, &["enter"], "row_detail", "row detail: every column"),
        (Action::Back, &["backspace"], "close_detail", "close the row detail"),
        (Action::Mark, &["V"], "mark_compare_rows", "mark rows (Y copies)"),
        (Action::Sort, &["s"], "sort_rows", "rows by class, key ⇄ largest |Δ| first"),
        (Action::FindKey, &["/"], "find_key", "go to a key (the first row whose key holds it)"),
        ],
    },
    make: |_| Box::new(CompareScreen::new()),
};

pub struct CompareScreen {
    class: usize,
    pub rows: RowsView,
}

impl CompareScreen {
    fn new() -> CompareScreen {
        CompareScreen {
            class: 0,
            rows: RowsView::new(Vec::new(), ClassFilter::CYCLE[0]),
        }
    }

    /// Rows of the class picked, from the first page (the order kept).
    fn restart_rows(&mut self) -> Job {
        let order = self.rows.order;
        self.rows = RowsView::new(Vec::new(), ClassFilter::CYCLE[self.class]);
        self.rows.order = order;
        self.rows.first_job()
    }
}

impl Screen for CompareScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    fn shown(&mut self, shared: &mut Shared) -> Vec<Job> {
        shared.comparison.open_if_unseen()
    }

    fn follow(&mut self, shared: &mut Shared) -> Vec<Job> {
        shared.comparison.open_if_outdated()
    }

    fn on_action(
        &mut self,
        action: Action,
        shared: &mut Shared,
        commands: &mut Vec<Command>,
    ) -> Vec<Job> {
        let c = &mut shared.comparison;
        match action {
            Action::NextComparison => c.next_comparison(),
            Action::NextCompany => c.next_company(),
            Action::Refresh => c.open_first(),
            Action::RowClass if c.is_ready() => {
                self.class = (self.class + 1) % ClassFilter::CYCLE.len();
                vec![self.restart_rows()]
            }
            a => self.rows.on_action(a, commands).into_iter().collect(),
        }
    }

    /// A fresh comparison starts its rows over (Drill starts over too, and asks for the
    /// causes it shows).
    fn on_answer(&mut self, job: &Job, payload: &Payload, shared: &mut Shared) -> Vec<Job> {
        match payload {
            Payload::Compared { .. } if shared.comparison.is_current(job) => {
                vec![self.restart_rows()]
            }
            Payload::Rows { .. } => {
                self.rows.accept(job, payload);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn click(&mut self, x: u16, y: u16) -> Vec<Job> {
        self.rows.click(x, y).into_iter().collect()
    }

    fn prompt(&mut self) -> Option<&mut dyn super::Prompt> {
        self.rows
            .find_open()
            .then_some(&mut self.rows as &mut dyn super::Prompt)
    }

    fn rows(&mut self) -> Option<&mut RowsView> {
        Some(&mut self.rows)
    }

    fn note(&self, shared: &Shared) -> Option<String> {
        shared.what_if_note.clone()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, shared: &Shared) {
        let c = &shared.comparison;
        if c.names.is_empty() {
            f.render_widget(
                Paragraph::new("This workspace has no [comparisons.*] in assay.toml."),
                area,
            );
            return;
        }
        let chart_height = if c.by_period.len() > 1 && area.height >= 22 {
            8
        } else {
            0
        };
        let [totals, rows, chart] = Layout::vertical([
            Constraint::Length(4),
            Constraint::Min(5),
            Constraint::Length(chart_height),
        ])
        .areas(area);
        render_totals(c, f, totals, theme);
        let class = ClassFilter::CYCLE[self.class].label();
        let title = format!(
            "{} · {} of {} rows (v: row class)",
            class,
            count(self.rows.total),
            count(c.joined_rows)
        );
        self.rows.render(f, rows, theme, &title);
        if chart_height > 0 {
            render_chart(c, f, chart, theme);
        }
    }
}

fn render_totals(c: &Comparison, f: &mut Frame, area: Rect, theme: &Theme) {
    let measure = c.report.as_ref().and_then(|r| r.measures.first());
    let verdict = match measure {
        Some(m) if m.within_tolerance => " · within tolerance",
        Some(_) => " · OUT OF TOLERANCE",
        None => "",
    };
    let title = format!(
        " {} · {}{}{verdict} ",
        c.name().unwrap_or_default(),
        c.company_label(),
        measure.map_or_else(String::new, |m| format!(" · {}", m.name)),
    );
    let title_role = match measure {
        Some(m) if !m.within_tolerance => Role::Error,
        _ => Role::Title,
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.style(title_role)));
    if let Some(what_if) = what_if_label(&c.what_if) {
        block = block.title_bottom(Span::styled(what_if, theme.style(Role::Warn)));
    }
    if let Some(r) = c.report.as_ref().filter(|r| !r.wire.is_empty()) {
        let rows: u64 = r.wire.iter().map(|w| w.rows).sum();
        let bytes: u64 = r.wire.iter().map(|w| w.bytes).sum();
        block = block.title_bottom(Span::styled(
            format!(
                " from the warehouse: {} rows · {} in {} steps ",
                count(rows as i64),
                size(bytes),
                r.wire.len()
            ),
            theme.style(Role::Dim),
        ));
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(r) = &c.report else {
        f.render_widget(
            Paragraph::new(Span::styled("comparing…", theme.style(Role::Dim))),
            inner,
        );
        return;
    };
    let mut lines = Vec::new();
    if let Some(m) = measure {
        let role = if m.within_tolerance {
            Role::Ok
        } else {
            Role::Error
        };
        lines.push(Line::from(vec![
            Span::styled("legacy ", theme.style(Role::Dim)),
            Span::styled(money(m.legacy), theme.style(Role::Legacy)),
            Span::styled("  new ", theme.style(Role::Dim)),
            Span::styled(money(m.new), theme.style(Role::New)),
            Span::styled("  Δ ", theme.style(Role::Dim)),
            Span::styled(
                format!(
                    "{} ({})",
                    signed_money(m.delta),
                    m.delta_pct
                        .map_or_else(|| "—".into(), |p| format!("{p:+.2}%"))
                ),
                theme.style(role),
            ),
        ]));
    }
    let rows = &r.rows;
    lines.push(Line::from(vec![Span::styled(
        format!(
            "{} matched · {} changed · {} only legacy · {} only new · dup keys {}/{}",
            count(rows.matched),
            count(rows.changed),
            count(rows.only_legacy),
            count(rows.only_new),
            rows.duplicate_keys_legacy,
            rows.duplicate_keys_new,
        ),
        theme.style(Role::Text),
    )]));
    f.render_widget(Paragraph::new(lines), inner);
}

fn render_chart(c: &Comparison, f: &mut Frame, area: Rect, theme: &Theme) {
    let legacy: Vec<(f64, f64)> = c
        .by_period
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64, r.legacy.to_f64()))
        .collect();
    let new: Vec<(f64, f64)> = c
        .by_period
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64, r.new.to_f64()))
        .collect();
    let max = c
        .by_period
        .iter()
        .map(|r| r.legacy.max(r.new).to_f64())
        .fold(f64::MIN, f64::max);
    let min = c
        .by_period
        .iter()
        .map(|r| r.legacy.min(r.new).to_f64())
        .fold(f64::MAX, f64::min);
    // The gap is a few percent: scale to the data, not to zero, so it shows.
    let pad = ((max - min) * 0.1).max(1.0);
    let (low, high) = (min - pad, max + pad);
    let first = c
        .by_period
        .first()
        .and_then(|r| r.value.clone())
        .unwrap_or_default();
    let last = c
        .by_period
        .last()
        .and_then(|r| r.value.clone())
        .unwrap_or_default();
    let datasets = vec![
        Dataset::default()
            .name("legacy")
            .marker(Marker::Dot)
            .graph_type(GraphType::Line)
            .style(theme.style(Role::Legacy))
            .data(&legacy),
        Dataset::default()
            .name("new")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.style(Role::New))
            .data(&new),
    ];
    let chart = Chart::new(datasets)
        .block(Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" {} by month: legacy · vs new ⣿ ", c.measure),
            theme.style(Role::Title),
        )))
        .x_axis(
            Axis::default()
                .bounds([0.0, (c.by_period.len().max(2) - 1) as f64])
                .labels([short_month(&first), short_month(&last)]),
        )
        .y_axis(
            Axis::default()
                .bounds([low, high])
                .labels([whole(low), whole(high)]),
        );
    f.render_widget(chart, area);
}

/// 1234567.8 → "1,234,568"
fn whole(x: f64) -> String {
    count(x.round() as i64)
}

/// "2024-03-01" → "2024-03"
fn short_month(value: &str) -> String {
    value.chars().take(7).collect()
}

/// ` what-if: 2 rules applied (8 Rules) `, when the comparison is seen through one.
pub fn what_if_label(rules: &[String]) -> Option<String> {
    match rules.len() {
        0 => None,
        1 => Some(format!(" what-if: rule {} applied (8 Rules) ", rules[0])),
        n => Some(format!(" what-if: {n} rules applied (8 Rules) ")),
    }
}
