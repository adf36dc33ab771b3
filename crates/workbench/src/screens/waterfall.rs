//! Waterfall: for the comparison open on Compare, per company, the rows, distinct keys and
//! the measure at each step — extraction, bronze, silver, gold — and legacy, with each
//! step set against legacy, so the layer where rows are lost, duplicated or re-valued shows
//! at a glance (the first step that differs from legacy is marked).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{Comparison, Entry, Screen, Shared};
use crate::command::Command;
use crate::decimal::Exact;
use crate::grid::pad;
use crate::jobs::{Job, Payload};
use crate::keymap::{Action, ScreenKeys};
use crate::recon::waterfall::{Step, Waterfall};
use crate::text::{count, right};
use crate::theme::{Role, Theme};

pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "Waterfall",
        name: "waterfall",
        about: "layer waterfall",
        keys: &[],
    },
    make: |_| Box::<WaterfallScreen>::default(),
};

#[derive(Default)]
pub struct WaterfallScreen {
    pub fall: Option<Waterfall>,
    /// The (comparison, company) asked for last: a new one is asked when Compare moves.
    asked: Option<(String, Option<String>)>,
    top: usize,
    /// Why the last waterfall could not be counted.
    error: Option<String>,
}

impl WaterfallScreen {
    /// Ask for the waterfall of what Compare shows, unless it is already here or asked.
    fn jobs_for(&mut self, compare: &Comparison, again: bool) -> Vec<Job> {
        let Some(name) = compare.name().map(String::from) else {
            return Vec::new();
        };
        let want = (name.clone(), compare.company());
        if !again && self.asked.as_ref() == Some(&want) {
            return Vec::new();
        }
        self.asked = Some(want.clone());
        self.fall = None;
        self.error = None;
        self.top = 0;
        vec![Job::Waterfall {
            name,
            company: want.1,
        }]
    }

    fn act(&mut self, action: Action, compare: &Comparison) -> Vec<Job> {
        let lines = self.fall.as_ref().map_or(0, |f| f.steps.len());
        match action {
            Action::Up => self.top = self.top.saturating_sub(1),
            Action::Down => self.top = (self.top + 1).min(lines.saturating_sub(1)),
            Action::PageDown => self.top = (self.top + 10).min(lines.saturating_sub(1)),
            Action::PageUp => self.top = self.top.saturating_sub(10),
            Action::Top => self.top = 0,
            Action::Refresh => return self.jobs_for(compare, true),
            _ => {}
        }
        Vec::new()
    }

    fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(fall) = &self.fall else {
            let (text, role) = match (&self.error, &self.asked) {
                (Some(e), _) => (
                    format!("could not count the layers: {e} (r: again)"),
                    Role::Error,
                ),
                (None, Some((name, _))) => {
                    (format!("counting {name} through the layers…"), Role::Dim)
                }
                (None, None) => ("No comparisons configured.".into(), Role::Dim),
            };
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(role)))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
            return;
        };
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(
                " {} · {} by layer, keys ({}) · ◀ where it first differs from legacy ",
                fall.comparison,
                fall.measure,
                fall.keys.join(", ")
            ),
            theme.style(Role::Title),
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let columns = Columns::fit(inner.width as usize, &fall.measure);
        let mut lines = vec![columns.header(theme)];
        let first_gaps = first_differences(&fall.steps);
        let mut previous: Option<&str> = None;
        for (i, step) in fall.steps.iter().enumerate().skip(self.top) {
            let company =
                (previous != Some(step.company.as_str())).then_some(step.company.as_str());
            previous = Some(step.company.as_str());
            lines.push(columns.line(step, company, first_gaps.contains(&i), theme));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// Per company, the first step (in flow order) whose measure differs from legacy's.
fn first_differences(steps: &[Step]) -> Vec<usize> {
    let mut marked = Vec::new();
    let mut done: Option<&str> = None;
    for (i, s) in steps.iter().enumerate() {
        if done == Some(s.company.as_str()) {
            continue;
        }
        let differs = s
            .vs_legacy
            .as_deref()
            .and_then(Exact::parse)
            .is_some_and(|d| !d.is_zero());
        if differs {
            marked.push(i);
            done = Some(s.company.as_str());
        }
    }
    marked
}

impl Screen for WaterfallScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared, _: &mut Vec<Command>) -> Vec<Job> {
        self.act(action, &shared.comparison)
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, _: &Shared) {
        self.draw(f, area, theme)
    }

    /// The waterfall of what Compare shows, unless it is here already.
    fn shown(&mut self, shared: &mut Shared) -> Vec<Job> {
        self.jobs_for(&shared.comparison, false)
    }

    /// Counted again after a rebuild (nothing asked: `layers_changed` forgot the last ask).
    fn follow(&mut self, shared: &mut Shared) -> Vec<Job> {
        match self.asked.is_none() {
            true => self.jobs_for(&shared.comparison, false),
            false => Vec::new(),
        }
    }

    fn on_answer(&mut self, job: &Job, payload: &Payload, _: &mut Shared) -> Vec<Job> {
        if let (Job::Waterfall { name, company }, Payload::Waterfall(fall)) = (job, payload) {
            if self.asked.as_ref() == Some(&(name.clone(), company.clone())) {
                self.fall = Some((**fall).clone());
            }
        }
        Vec::new()
    }

    /// A failed count says why where the waterfall would be (r asks again).
    fn job_failed(&mut self, job: &Job, error: &str) {
        if matches!(job, Job::Waterfall { .. }) {
            self.error = Some(error.to_string());
        }
    }

    /// The layers were rebuilt: counted again now if shown, else on the next visit.
    fn layers_changed(&mut self) {
        self.asked = None;
    }
}

/// The waterfall's columns that fit: company, table, rows, measure and Δ legacy always;
/// the layer and distinct keys when there is room.
struct Columns {
    table: usize,
    keys: bool,
    measure: String,
}

impl Columns {
    const MONEY: usize = 16;

    fn fit(width: usize, measure: &str) -> Columns {
        let fixed = 10 + 9 + 2 * (Self::MONEY + 1) + 2;
        let keys = width >= fixed + 24 + 10;
        let table = width
            .saturating_sub(fixed + if keys { 10 } else { 0 })
            .clamp(12, 30);
        Columns {
            table,
            keys,
            measure: measure.to_string(),
        }
    }

    fn header(&self, theme: &Theme) -> Line<'static> {
        let mut text = format!(
            "{}{}{:>9}",
            pad("company", 10),
            pad("step", self.table),
            "rows"
        );
        if self.keys {
            text.push_str(&format!(" {:>9}", "keys"));
        }
        text.push_str(&format!(
            " {} {}",
            right(&self.measure, Self::MONEY),
            right("vs legacy", Self::MONEY)
        ));
        Line::from(Span::styled(text, theme.style(Role::Header)))
    }

    fn line(
        &self,
        s: &Step,
        company: Option<&str>,
        first_gap: bool,
        theme: &Theme,
    ) -> Line<'static> {
        let role = if s.layer == "legacy" {
            Role::Legacy
        } else {
            Role::Text
        };
        let number = |t: &Option<String>| {
            t.as_deref()
                .map(|t| Exact::parse(t).map_or_else(|| t.to_string(), Exact::grouped))
                .unwrap_or_else(|| "—".into())
        };
        let differs = s
            .vs_legacy
            .as_deref()
            .and_then(Exact::parse)
            .is_some_and(|d| !d.is_zero());
        let step = if s.table.starts_with(&format!("{}.", s.layer)) || s.layer == "extract" {
            s.table.clone()
        } else {
            format!("{} {}", s.layer, s.table)
        };
        let mut spans = vec![
            Span::styled(pad(company.unwrap_or(""), 10), theme.style(Role::Header)),
            Span::styled(pad(&step, self.table), theme.style(role)),
            Span::styled(format!("{:>9}", count(s.rows)), theme.style(role)),
        ];
        if self.keys {
            let keys = s.keys.map_or_else(|| "—".into(), count);
            spans.push(Span::styled(format!(" {keys:>9}"), theme.style(role)));
        }
        spans.push(Span::styled(
            format!(" {}", right(&number(&s.measure), Self::MONEY)),
            theme.style(role),
        ));
        let vs = if s.layer == "legacy" {
            String::new()
        } else {
            number(&s.vs_legacy)
        };
        spans.push(Span::styled(
            format!(" {}", right(&vs, Self::MONEY)),
            theme.style(if differs { Role::Changed } else { Role::Dim }),
        ));
        if first_gap {
            spans.push(Span::styled(" ◀", theme.style(Role::Error)));
        }
        Line::from(spans)
    }
}
