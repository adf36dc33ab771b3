//! The workbench's state and its update function: a key or a finished job in, commands out
//! (jobs to run, a cancel, text to copy). No terminal I/O here, so tests drive it directly.

use std::any::Any;

use crossterm::event::KeyEvent;

use super::jobs::{Job, Lane, Payload};
use super::keymap::{Action, Context, Keymap};
use super::screens::{Comparison, Entry, Screen, Shared, SCREENS};
use super::theme::Theme;
use crate::config::Workspace;
use crate::error::Error;
use crate::extract::Event;

pub use crate::command::Command;

mod done;
mod keys;
mod outcomes;

pub enum Msg {
    Key(KeyEvent),
    Mouse(crossterm::event::MouseEvent),
    /// A job finished (or failed, or was cancelled).
    Done(Job, Result<Payload, Error>),
    Extract(Event),
    /// A job started or ended on a lane: drives the spinner.
    Busy(Lane, Option<String>),
}

pub struct App {
    pub workspace: String,
    /// The screens, in the registry's order, and the one shown (its place there).
    pub screens: Vec<Box<dyn Screen>>,
    pub screen: usize,
    /// What the screens share: the comparison they follow, the status line.
    pub shared: Shared,
    pub keymap: Keymap,
    pub theme: Theme,
    pub help: bool,
    /// The first line of the help shown (it scrolls).
    pub help_scroll: u16,
    /// The help's search (`/`): entries whose keys or description contain it.
    pub help_query: String,
    /// Keys go to the help's search while it is being typed.
    pub help_typing: bool,
    /// What each busy lane is doing.
    pub busy: Vec<(Lane, String)>,
    pub spinner: usize,
    pub quit: bool,
    /// Quit was pressed once where it asks first (the SQL editor holds a statement).
    quit_armed: bool,
    /// Reveal was pressed once: the second press shows personal data (and records it).
    reveal_armed: bool,
    /// Personal data is shown as it is (a recorded reveal), not masked.
    pub revealed: bool,
    /// Where each tab was drawn: (first column, past the last, screen), for clicks.
    pub tab_hits: Vec<(u16, u16, usize)>,
    /// The memory cap and the extractions run at once, said in the help.
    pub limits: crate::limits::Limits,
    /// `[checks] after_build` with tests configured: a build from the workbench runs them.
    tests_after_build: bool,
}

impl App {
    pub fn new(ws: &Workspace, keymap: Keymap, theme: Theme) -> App {
        App::with_screens(ws, keymap, theme, &SCREENS)
    }

    /// The workbench with `screens` (the registry's, or a test's with one more).
    pub fn with_screens(ws: &Workspace, keymap: Keymap, theme: Theme, screens: &[Entry]) -> App {
        let name = match ws.config.workspace.name.as_str() {
            "" => ws
                .root
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            n => n.to_string(),
        };
        App {
            workspace: name,
            screens: screens.iter().map(|e| (e.make)(ws)).collect(),
            screen: 0,
            shared: Shared::new(ws),
            keymap,
            theme,
            help: false,
            help_scroll: 0,
            help_query: String::new(),
            help_typing: false,
            busy: Vec::new(),
            spinner: 0,
            quit: false,
            quit_armed: false,
            reveal_armed: false,
            revealed: false,
            tab_hits: Vec::new(),
            limits: crate::limits::Limits::new(
                crate::DEFAULT_MEMORY_LIMIT,
                ws.config.workspace.parallelism,
            ),
            tests_after_build: ws.config.checks.after_build && !ws.config.tests.is_empty(),
        }
    }

    /// The jobs to run when the workbench opens.
    pub fn start(&mut self) -> Vec<Command> {
        vec![Command::Run(Job::Freshness), Command::Run(Job::Tables)]
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Mouse(event) => self.on_mouse(event),
            Msg::Done(job, result) => self.on_done(job, result),
            Msg::Extract(event) => {
                self.screens.iter_mut().for_each(|s| s.on_extract(&event));
                Vec::new()
            }
            Msg::Busy(lane, what) => {
                self.busy.retain(|(l, _)| *l != lane);
                if let Some(w) = what {
                    self.busy.push((lane, w));
                }
                Vec::new()
            }
        }
    }

    pub fn set_error(&mut self, text: impl Into<String>) {
        self.shared.set_error(text);
    }

    pub fn set_info(&mut self, text: impl Into<String>) {
        self.shared.set_info(text);
    }

    /// The status line's message: (text, is_error).
    pub fn status(&self) -> Option<&(String, bool)> {
        self.shared.status.as_ref()
    }

    /// The comparison the screens follow.
    pub fn comparison(&self) -> &Comparison {
        &self.shared.comparison
    }

    /// The screen of type `T` (every screen is in the registry once).
    pub fn get<T: Screen>(&self) -> &T {
        self.screens
            .iter()
            .find_map(|s| (s.as_ref() as &dyn Any).downcast_ref::<T>())
            .expect("a screen of the registry")
    }

    pub fn get_mut<T: Screen>(&mut self) -> &mut T {
        self.screens
            .iter_mut()
            .find_map(|s| (s.as_mut() as &mut dyn Any).downcast_mut::<T>())
            .expect("a screen of the registry")
    }

    /// The title of the screen shown (its tab's).
    pub fn title(&self) -> &'static str {
        self.screens[self.screen].keys().title
    }

    /// A text editor of the screen shown has the keys.
    pub fn editing(&self) -> bool {
        self.screens[self.screen].typing()
    }

    /// The keymap's context of the screen shown.
    pub fn context(&self) -> Context {
        Context::Screen(self.title())
    }

    /// Switch to the screen whose go-to action is `name` (`compare`), if there is one.
    pub fn go_to(&mut self, name: &str) -> Vec<Command> {
        match self.screens.iter().position(|s| s.keys().name == name) {
            Some(at) => self.go(at),
            None => Vec::new(),
        }
    }

    /// Switch screens; a screen that has nothing yet asks for its data.
    pub fn go(&mut self, screen: usize) -> Vec<Command> {
        self.screen = screen.min(self.screens.len() - 1);
        let jobs = self.screens[self.screen].shown(&mut self.shared);
        jobs.into_iter().map(Command::Run).collect()
    }

    pub(crate) fn screen_action(&mut self, action: Action) -> Vec<Command> {
        let mut commands = Vec::new();
        let shown = &mut self.screens[self.screen];
        let jobs = shown.on_action(action, &mut self.shared, &mut commands);
        commands.extend(jobs.into_iter().map(Command::Run));
        if let Some(name) = self.shared.show.take() {
            commands.extend(self.go_to(name));
        }
        for c in &commands {
            if let Command::Copy(text) = c {
                self.set_info(format!("copied {} characters", text.chars().count()));
            }
        }
        commands
    }
}
