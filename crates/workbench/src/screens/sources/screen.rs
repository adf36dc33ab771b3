//! Sources as a screen of the registry: its keys, and the answers it takes.

use ratatui::layout::Rect;
use ratatui::Frame;

use super::SourcesScreen;
use crate::command::Command;
use crate::extract::Event;
use crate::jobs::{Job, Payload};
use crate::keymap::{Action, ScreenKeys};
use crate::screens::{Entry, Screen, Shared};
use crate::theme::Theme;

#[rustfmt::skip]
pub const ENTRY: Entry = Entry {
    keys: ScreenKeys {
        title: "Sources",
        name: "sources",
        about: "sources",
        keys: &[
        (Action::Open, &["enter"], "history", "history"),
        (Action::Back, &["backspace"], "close_history", "back"),
        (Action::ExtractOne, &["e"], "extract_one", "extract this entity"),
        (Action::ExtractCompany, &["E"], "extract_company", "extract the company"),
        (Action::ExtractAll, &["A"], "extract_all", "extract everything"),
        ],
    },
    make: |ws| Box::new(SourcesScreen::new(ws)),
};

impl Screen for SourcesScreen {
    fn keys(&self) -> ScreenKeys {
        ENTRY.keys
    }

    fn on_action(&mut self, action: Action, _: &mut Shared, _: &mut Vec<Command>) -> Vec<Job> {
        self.act(action)
    }

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, _: &Shared) {
        self.draw(f, area, theme)
    }

    /// The catalog's rows and a row's history; after an extraction, the history shown is
    /// read again (the catalog is asked for by the app, for every screen).
    fn on_answer(&mut self, _job: &Job, payload: &Payload, _: &mut Shared) -> Vec<Job> {
        match payload {
            Payload::Freshness { rows, tests } => self.set_rows(rows.clone(), tests),
            Payload::History(history) => self.set_history((**history).clone()),
            Payload::Extracted(_) => {
                self.finished();
                return self.history_again().into_iter().collect();
            }
            _ => {}
        }
        Vec::new()
    }

    fn job_failed(&mut self, job: &Job, _error: &str) {
        if let Job::Extract(_) = job {
            self.finished();
        }
    }

    fn on_extract(&mut self, event: &Event) {
        self.on_event(event)
    }

    fn click(&mut self, x: u16, y: u16) -> Vec<Job> {
        if let Some(i) = crate::hit::row_at(&self.hit, x, y).filter(|i| *i < self.rows.len()) {
            self.cursor = i;
        }
        Vec::new()
    }

    /// Ages are shown as of now: a stale catalog read is asked for again.
    fn tick(&mut self) -> Vec<Job> {
        self.ask_again().into_iter().collect()
    }
}
