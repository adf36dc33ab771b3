//! Compare: pick a comparison and a company; totals on top, legacy and new rows side by
//! side (filtered by row class), and legacy vs new by period.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use crate::command::Command;
use crate::config::Workspace;
use crate::jobs::{Job, Payload};
use crate::keymap::Action;
use crate::recon::report::Report;
use crate::recon::workbench::DrillRow;
use crate::recon::ClassFilter;
use crate::rows_view::RowsView;
use crate::text::{count, money, signed_money, size};
use crate::theme::{Role, Theme};

pub struct CompareScreen {
    pub names: Vec<String>,
    pub which: usize,
    /// Per comparison: None (all its companies) then each company.
    companies: Vec<Vec<Option<String>>>,
    pub company: usize,
    pub report: Option<Report>,
    pub measure: String,
    pub dimensions: Vec<String>,
    pub joined_rows: i64,
    by_period: Vec<DrillRow>,
    class: usize,
    pub rows: RowsView,
    preparing: bool,
    /// The rules lab's what-if the comparison is seen through (none: as it is).
    pub what_if: Vec<String>,
    /// The what-if changed since the comparison was made: made again when next shown.
    pub outdated: bool,
}

impl CompareScreen {
    pub fn new(ws: &Workspace) -> CompareScreen {
        let names: Vec<String> = ws.config.comparisons.keys().cloned().collect();
        let companies = names
            .iter()
            .map(|n| {
                let cmp = &ws.config.comparisons[n];
                let ids: Vec<String> = if cmp.companies.is_empty() {
                    ws.config.companies.keys().cloned().collect()
                } else {
                    cmp.companies.clone()
                };
                std::iter::once(None)
                    .chain(ids.into_iter().map(Some))
                    .collect()
            })
            .collect();
        CompareScreen {
            names,
            which: 0,
            companies,
            company: 0,
            report: None,
            measure: String::new(),
            dimensions: Vec::new(),
            joined_rows: 0,
            by_period: Vec::new(),
            class: 0,
            rows: RowsView::new(Vec::new(), ClassFilter::CYCLE[0]),
            preparing: false,
            what_if: Vec::new(),
            outdated: false,
        }
    }

    pub fn started(&self) -> bool {
        self.preparing || self.report.is_some()
    }

    pub fn is_ready(&self) -> bool {
        self.report.is_some() && !self.preparing
    }

    pub fn name(&self) -> Option<&str> {
        self.names.get(self.which).map(String::as_str)
    }

    /// The company the comparison is cut to (None: all of its companies).
    pub fn company(&self) -> Option<String> {
        self.companies
            .get(self.which)
            .and_then(|c| c.get(self.company))
            .cloned()
            .flatten()
    }

    pub fn company_label(&self) -> String {
        match self
            .companies
            .get(self.which)
            .and_then(|c| c.get(self.company))
        {
            Some(Some(c)) => c.clone(),
            _ => "all companies".into(),
        }
    }

    /// Prepare the current comparison (a new request replaces a pending one).
    pub fn open_first(&mut self) -> Vec<Job> {
        let Some(name) = self.name().map(String::from) else {
            return Vec::new();
        };
        self.preparing = true;
        self.outdated = false;
        self.report = None;
        let company = self.companies[self.which]
            .get(self.company)
            .cloned()
            .flatten();
        vec![Job::PrepareCompare {
            name,
            company,
            what_if: self.what_if.clone(),
        }]
    }

    pub fn on_action(&mut self, action: Action, commands: &mut Vec<Command>) -> Vec<Job> {
        match action {
            Action::NextComparison if !self.names.is_empty() => {
                self.which = (self.which + 1) % self.names.len();
                self.company = 0;
                // A what-if is the rules of one comparison.
                self.what_if.clear();
                self.open_first()
            }
            Action::NextCompany => {
                let n = self.companies.get(self.which).map_or(1, Vec::len);
                self.company = (self.company + 1) % n.max(1);
                self.open_first()
            }
            Action::Refresh => self.open_first(),
            Action::RowClass if self.is_ready() => {
                self.class = (self.class + 1) % ClassFilter::CYCLE.len();
                let order = self.rows.order;
                self.rows = RowsView::new(Vec::new(), ClassFilter::CYCLE[self.class]);
                self.rows.order = order;
                vec![self.rows.first_job()]
            }
            a => self.rows.on_action(a, commands).into_iter().collect(),
        }
    }

    /// A failed or cancelled preparation leaves the screen ready to try again (r).
    pub fn job_failed(&mut self, job: &Job) {
        if matches!(job, Job::PrepareCompare { .. }) {
            self.preparing = false;
        }
    }

    pub fn on_payload(&mut self, job: &Job, payload: Payload) -> Vec<Job> {
        match (job, payload) {
            (
                Job::PrepareCompare {
                    name,
                    company,
                    what_if,
                },
                Payload::Compared {
                    report,
                    dimensions,
                    measure,
                    rows,
                    by_period,
                },
            ) => {
                let current = self.companies[self.which]
                    .get(self.company)
                    .cloned()
                    .flatten();
                if self.name() != Some(name.as_str())
                    || current != *company
                    || self.what_if != *what_if
                {
                    return Vec::new();
                }
                self.preparing = false;
                self.report = Some(*report);
                self.dimensions = dimensions;
                self.measure = measure;
                self.joined_rows = rows;
                self.by_period = by_period;
                let order = self.rows.order;
                self.rows = RowsView::new(Vec::new(), ClassFilter::CYCLE[self.class]);
                self.rows.order = order;
                vec![self.rows.first_job(), Job::Explain { path: Vec::new() }]
            }
            (Job::Rows { .. }, payload) => {
                self.rows.accept(job, payload);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        if self.names.is_empty() {
            f.render_widget(
                Paragraph::new("This workspace has no [comparisons.*] in assay.toml."),
                area,
            );
            return;
        }
        let chart_height = if self.by_period.len() > 1 && area.height >= 22 {
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
        self.render_totals(f, totals, theme);
        let class = ClassFilter::CYCLE[self.class].label();
        let title = format!(
            "{} · {} of {} rows (v: row class)",
            class,
            count(self.rows.total),
            count(self.joined_rows)
        );
        self.rows.render(f, rows, theme, &title);
        if chart_height > 0 {
            self.render_chart(f, chart, theme);
        }
    }

    fn render_totals(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let measure = self.report.as_ref().and_then(|r| r.measures.first());
        let verdict = match measure {
            Some(m) if m.within_tolerance => " · within tolerance",
            Some(_) => " · OUT OF TOLERANCE",
            None => "",
        };
        let title = format!(
            " {} · {}{}{verdict} ",
            self.name().unwrap_or_default(),
            self.company_label(),
            measure.map_or_else(String::new, |m| format!(" · {}", m.name)),
        );
        let title_role = match measure {
            Some(m) if !m.within_tolerance => Role::Error,
            _ => Role::Title,
        };
        let mut block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, theme.style(title_role)));
        if let Some(what_if) = what_if_label(&self.what_if) {
            block = block.title_bottom(Span::styled(what_if, theme.style(Role::Warn)));
        }
        if let Some(r) = self.report.as_ref().filter(|r| !r.wire.is_empty()) {
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
        let Some(r) = &self.report else {
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

    fn render_chart(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let legacy: Vec<(f64, f64)> = self
            .by_period
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64, r.legacy.to_f64()))
            .collect();
        let new: Vec<(f64, f64)> = self
            .by_period
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64, r.new.to_f64()))
            .collect();
        let max = self
            .by_period
            .iter()
            .map(|r| r.legacy.max(r.new).to_f64())
            .fold(f64::MIN, f64::max);
        let min = self
            .by_period
            .iter()
            .map(|r| r.legacy.min(r.new).to_f64())
            .fold(f64::MAX, f64::min);
        // The gap is a few percent: scale to the data, not to zero, so it shows.
        let pad = ((max - min) * 0.1).max(1.0);
        let (low, high) = (min - pad, max + pad);
        let first = self
            .by_period
            .first()
            .and_then(|r| r.value.clone())
            .unwrap_or_default();
        let last = self
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
                format!(" {} by month: legacy · vs new ⣿ ", self.measure),
                theme.style(Role::Title),
            )))
            .x_axis(
                Axis::default()
                    .bounds([0.0, (self.by_period.len().max(2) - 1) as f64])
                    .labels([short_month(&first), short_month(&last)]),
            )
            .y_axis(
                Axis::default()
                    .bounds([low, high])
                    .labels([whole(low), whole(high)]),
            );
        f.render_widget(chart, area);
    }
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
