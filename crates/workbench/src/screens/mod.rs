//! One module per screen: its state, its keys, what they do, and how it draws. A screen is
//! one file with a `Screen` and an `ENTRY`, and one line in `SCREENS`: the app, the tabs,
//! the footer, the help, the keymap and the mouse reach screens only through the trait.

use std::any::Any;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::command::Command;
use crate::config::Workspace;
use crate::extract::Event;
use crate::jobs::{Job, Lane, Payload};
use crate::keymap::{Action, Keymap, ScreenKeys};
use crate::rows_view::RowsView;
use crate::theme::Theme;

pub mod compare;
mod comparison;
pub mod drill;
pub mod history;
pub mod layers;
pub mod models;
pub mod parity;
pub mod rules;
pub mod sources;
pub mod sql;
pub mod waterfall;

pub use crate::prompt::Prompt;
pub use comparison::Comparison;

/// A screen as the registry lists it: its keys (title, go-to action, bindings) and how it
/// is made for a workspace.
#[derive(Clone, Copy)]
pub struct Entry {
    pub keys: ScreenKeys,
    pub make: fn(&Workspace) -> Box<dyn Screen>,
}

/// The screens, in tab order (the first is shown first; `1`… go to them).
pub const SCREENS: [Entry; 9] = [
    sources::ENTRY,
    layers::ENTRY,
    compare::ENTRY,
    drill::ENTRY,
    sql::ENTRY,
    models::ENTRY,
    waterfall::ENTRY,
    rules::ENTRY,
    parity::ENTRY,
];

/// The default keymap of the registry's screens.
pub fn keymap() -> Keymap {
    let keys: Vec<ScreenKeys> = SCREENS.iter().map(|e| e.keys).collect();
    Keymap::new(&keys)
}

/// What screens share: the comparison open on Compare (Drill, Waterfall and Rules follow
/// it) and the status line.
pub struct Shared {
    pub comparison: Comparison,
    /// The last message for the status line: (text, is_error).
    pub status: Option<(String, bool)>,
    /// What the rules lab's what-if leaves, said where the comparison is shown.
    pub what_if_note: Option<String>,
    /// A screen asks for another to be shown (by its go-to name): Parity opens Compare.
    pub show: Option<&'static str>,
}

impl Shared {
    pub fn new(ws: &Workspace) -> Shared {
        Shared {
            comparison: Comparison::new(ws),
            status: None,
            what_if_note: None,
            show: None,
        }
    }

    pub fn set_error(&mut self, text: impl Into<String>) {
        self.status = Some((text.into(), true));
    }

    pub fn set_info(&mut self, text: impl Into<String>) {
        self.status = Some((text.into(), false));
    }
}

/// A text editor a screen holds: every plain key is typed into it.
pub trait TextEntry {
    fn type_key(&mut self, key: KeyEvent);
    /// Esc with nothing running on `busy`'s lanes: the editor is left; what to say then.
    fn leave(&mut self, busy: &[(Lane, String)]) -> Option<&'static str>;
}

/// A screen of the workbench. Every method but the first three has a default for screens
/// without that part (no prompt, no rows, no text editor…).
pub trait Screen: Any {
    /// Its title (tab and help), go-to action and bindings: its `ENTRY`'s.
    fn keys(&self) -> ScreenKeys;

    /// A key's action, when it is not a global one.
    fn on_action(
        &mut self,
        action: Action,
        shared: &mut Shared,
        out: &mut Vec<Command>,
    ) -> Vec<Job>;

    fn render(&mut self, f: &mut Frame, area: Rect, theme: &Theme, shared: &Shared);

    /// The screen is shown: what it asks for when it has nothing yet, or its numbers are
    /// outdated.
    fn shown(&mut self, _shared: &mut Shared) -> Vec<Job> {
        Vec::new()
    }

    /// Shown while an answer changed what it follows (the what-if, rebuilt layers): what
    /// it asks again now.
    fn follow(&mut self, _shared: &mut Shared) -> Vec<Job> {
        Vec::new()
    }

    /// An answer to a job (every screen sees each): what it asks next. A screen keeps
    /// only the answers to what it asked, and only while it still wants them.
    fn on_answer(&mut self, _job: &Job, _payload: &Payload, _shared: &mut Shared) -> Vec<Job> {
        Vec::new()
    }

    /// A job failed or was cancelled: a screen that asked for it stops waiting.
    fn job_failed(&mut self, _job: &Job, _error: &str) {}

    /// An extraction's progress.
    fn on_extract(&mut self, _event: &Event) {}

    /// A click at (x, y) inside the screen.
    fn click(&mut self, _x: u16, _y: u16) -> Vec<Job> {
        Vec::new()
    }

    /// The prompt being typed into, if one is open: it takes the keys.
    fn prompt(&mut self) -> Option<&mut dyn Prompt> {
        None
    }

    /// The comparison's rows shown (their detail, and `/` going to a key).
    fn rows(&mut self) -> Option<&mut RowsView> {
        None
    }

    /// A text editor that takes plain keys, while it has the focus.
    fn text(&mut self) -> Option<&mut dyn TextEntry> {
        None
    }

    /// Whether `text` has the focus now (the footer names the way out then).
    fn typing(&self) -> bool {
        false
    }

    /// Work that quitting at once would lose: what to ask first.
    fn unsaved(&self) -> Option<&'static str> {
        None
    }

    /// Each second while shown.
    fn tick(&mut self) -> Vec<Job> {
        Vec::new()
    }

    /// The layers were rebuilt: numbers from them are outdated.
    fn layers_changed(&mut self) {}

    /// Personal data was shown or masked: what was fetched the other way, fetched again.
    fn revealed(&mut self) -> Vec<Job> {
        Vec::new()
    }

    /// A note for the status line when nothing else is said.
    fn note(&self, _shared: &Shared) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::{Context, Key};

    #[test]
    fn every_screen_key_parses_and_every_name_is_unique() {
        let mut names = std::collections::BTreeSet::new();
        for e in &SCREENS {
            assert!(names.insert(e.keys.name), "{} twice", e.keys.name);
            for (_, keys, name, _) in e.keys.keys {
                for k in *keys {
                    assert!(Key::parse(k).is_some(), "{name}: {k}");
                }
            }
        }
        let map = keymap();
        for b in &map.bindings {
            let twice = map.bindings.iter().filter(|o| o.name == b.name).count();
            assert_eq!(twice, 1, "`{}` names two bindings", b.name);
        }
        let titles: Vec<&str> = SCREENS.iter().map(|e| e.keys.title).collect();
        let contexts: Vec<&str> = map.screens().iter().map(|c| c.title()).collect();
        assert_eq!(titles, contexts);
        assert!(map.screens().iter().all(|c| *c != Context::Global));
    }
}
