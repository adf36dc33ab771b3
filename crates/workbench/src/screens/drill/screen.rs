//! Drill as a screen of the registry: its keys, what it asks for when shown, and the
//! answers it keeps (a fresh comparison starts it over).

use ratatui::layout::Rect;
use ratatui::Frame;

use super::DrillScreen;
use crate::command::Command;
use crate::jobs::{Job, Payload};
use crate::keymap::{Action, ScreenKeys};
use crate::rows_view::RowsView;
use crate::screens::{Entry, Prompt, Screen, Shared};
use crate::theme::Theme;

#[rustfmt::skip]
pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "Drill",
        name: "drill",
        about: "drill",
        keys: &[
        (Action::Open, &["enter"], "drill_in", "drill into value"),
        (Action::Back, &["backspace"], "drill_out", "back up"),
        (Action::NextDimension, &["d"], "next_dimension", "next dimension"),
        (Action::Mark, &["V"], "mark_drill_rows", "mark rows (Y copies)"),
        (Action::Sort, &["s"], "sort_drill_rows", "rows by class, key ⇄ largest |Δ| first"),
        (Action::FindKey, &["/"], "find_drill_key", "go to a key in the step's rows"),
        (Action::NextCause, &["c"], "next_cause", "select the next likely cause (then Enter: its rows)"),
        (Action::Adopt, &["a"], "adopt_drill_cause", "adopt the selected cause as a proposed rule"),
        ],
    },
    make: |_| Box::<DrillScreen>::default(),
};

impl Screen for DrillScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    /// The comparison first (prepared when shown), then its top step.
    fn shown(&mut self, shared: &mut Shared) -> Vec<Job> {
        let c = &mut shared.comparison;
        let asked = c.open_if_unseen();
        if !asked.is_empty() || !self.is_empty() || !c.is_ready() {
            return asked;
        }
        self.reset(c)
    }

    fn follow(&mut self, shared: &mut Shared) -> Vec<Job> {
        shared.comparison.open_if_outdated()
    }

    fn on_action(
        &mut self,
        action: Action,
        shared: &mut Shared,
        out: &mut Vec<Command>,
    ) -> Vec<Job> {
        match action {
            // Reload is showing the screen anew: the comparison if it is outdated, else
            // the drill from the top of a fresh one.
            Action::Refresh => self.shown(shared),
            a => self.act(a, &shared.comparison, out),
        }
    }

    /// A fresh comparison starts the drill over; its causes, steps and rows come here.
    fn on_answer(&mut self, job: &Job, payload: &Payload, shared: &mut Shared) -> Vec<Job> {
        let c = &shared.comparison;
        match payload {
            Payload::Compared { .. } if c.is_current(job) && c.is_ready() => return self.reset(c),
            Payload::Causes(causes) => self.on_causes(job, causes),
            Payload::Drilled { .. } => self.on_drilled(job, payload),
            Payload::Rows { .. } => {
                if let Some(view) = &mut self.rows {
                    view.accept(job, payload);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Explain failed: said where its causes would have been.
    fn job_failed(&mut self, job: &Job, error: &str) {
        if matches!(job, Job::Explain { path } if *path == self.causes_path) {
            self.causes = Some(Err(error.to_string()));
        }
    }

    fn click(&mut self, x: u16, y: u16) -> Vec<Job> {
        self.click_at(x, y)
    }

    fn prompt(&mut self) -> Option<&mut dyn Prompt> {
        let rows = self.rows.as_mut().filter(|r| r.find_open())?;
        Some(rows as &mut dyn Prompt)
    }

    fn rows(&mut self) -> Option<&mut RowsView> {
        self.rows.as_mut()
    }

    fn layers_changed(&mut self) {
        self.rows = None;
    }

    fn revealed(&mut self) -> Vec<Job> {
        self.rows = None;
        Vec::new()
    }

    fn note(&self, shared: &Shared) -> Option<String> {
        shared.what_if_note.clone()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, shared: &Shared) {
        self.draw(f, area, theme, &shared.comparison)
    }
}
