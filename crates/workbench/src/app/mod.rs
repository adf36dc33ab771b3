//! The workbench's state and its update function: a key or a finished job in, commands out
//! (jobs to run, a cancel, text to copy). No terminal I/O here, so tests drive it directly.

use crossterm::event::KeyEvent;

use super::jobs::{Job, Lane, Payload};
use super::keymap::{Action, Context, Keymap};
use super::screens::{
    compare::CompareScreen, drill::DrillScreen, layers::LayersScreen, models::ModelsScreen,
    rules::RulesScreen, sources::SourcesScreen, sql::SqlScreen, waterfall::WaterfallScreen,
};
use super::theme::Theme;
use crate::config::Workspace;
use crate::error::Error;
use crate::extract::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Sources,
    Layers,
    Compare,
    Drill,
    Sql,
    Models,
    Waterfall,
    Rules,
}

pub const SCREENS: [Screen; 8] = [
    Screen::Sources,
    Screen::Layers,
    Screen::Compare,
    Screen::Drill,
    Screen::Sql,
    Screen::Models,
    Screen::Waterfall,
    Screen::Rules,
];

impl Screen {
    pub fn context(self) -> Context {
        match self {
            Screen::Sources => Context::Sources,
            Screen::Layers => Context::Layers,
            Screen::Compare => Context::Compare,
            Screen::Drill => Context::Drill,
            Screen::Sql => Context::Sql,
            Screen::Models => Context::Models,
            Screen::Waterfall => Context::Waterfall,
            Screen::Rules => Context::Rules,
        }
    }

    pub fn title(self) -> &'static str {
        self.context().title()
    }
}

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
    pub screen: Screen,
    pub keymap: Keymap,
    pub theme: Theme,
    pub help: bool,
    /// The first line of the help shown (it scrolls).
    pub help_scroll: u16,
    /// The help's search (`/`): entries whose keys or description contain it.
    pub help_query: String,
    /// Keys go to the help's search while it is being typed.
    pub help_typing: bool,
    /// The last message for the status line: (text, is_error).
    pub status: Option<(String, bool)>,
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
    pub sources: SourcesScreen,
    pub layers: LayersScreen,
    pub compare: CompareScreen,
    pub drill: DrillScreen,
    pub sql: SqlScreen,
    pub models: ModelsScreen,
    pub waterfall: WaterfallScreen,
    pub rules: RulesScreen,
    /// Where each tab was drawn: (first column, past the last, screen), for clicks.
    pub tab_hits: Vec<(u16, u16, Screen)>,
    /// The memory cap and the extractions run at once, said in the help.
    pub limits: crate::limits::Limits,
    /// `[checks] after_build` with tests configured: a build from the workbench runs them.
    tests_after_build: bool,
    /// The workspace's folder (files the workbench writes are named relative to it).
    root: std::path::PathBuf,
}

impl App {
    pub fn new(ws: &Workspace, keymap: Keymap, theme: Theme) -> App {
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
            screen: Screen::Sources,
            keymap,
            theme,
            help: false,
            help_scroll: 0,
            help_query: String::new(),
            help_typing: false,
            status: None,
            busy: Vec::new(),
            spinner: 0,
            quit: false,
            sources: SourcesScreen::new(ws),
            layers: LayersScreen::default(),
            compare: CompareScreen::new(ws),
            drill: DrillScreen::default(),
            sql: SqlScreen::new(
                crate::warehouse::dialect(&ws.config.warehouse)
                    == assay_engine::dialect::Dialect::ClickHouse,
            )
            .with_history_file(ws.cache_path().with_file_name("sql_history")),
            quit_armed: false,
            reveal_armed: false,
            revealed: false,
            models: ModelsScreen::default(),
            waterfall: WaterfallScreen::default(),
            rules: RulesScreen::default(),
            tab_hits: Vec::new(),
            limits: crate::limits::Limits::new(
                crate::DEFAULT_MEMORY_LIMIT,
                ws.config.workspace.parallelism,
            ),
            tests_after_build: ws.config.checks.after_build && !ws.config.tests.is_empty(),
            root: ws.root.clone(),
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
                self.sources.on_event(&event);
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
        self.status = Some((text.into(), true));
    }

    pub fn set_info(&mut self, text: impl Into<String>) {
        self.status = Some((text.into(), false));
    }

    /// Switch screens; a screen that has nothing yet asks for its data.
    pub fn go(&mut self, screen: Screen) -> Vec<Command> {
        self.screen = screen;
        let jobs = match screen {
            Screen::Compare | Screen::Drill if !self.compare.started() || self.compare.outdated => {
                self.compare.open_first()
            }
            Screen::Drill if self.drill.is_empty() && self.compare.is_ready() => {
                self.drill.reset(&self.compare)
            }
            Screen::Models => self.models.first_jobs(),
            Screen::Waterfall => self.waterfall.jobs_for(&self.compare, false),
            Screen::Rules => self.rules.jobs_for(&self.compare, false),
            _ => Vec::new(),
        };
        jobs.into_iter().map(Command::Run).collect()
    }

    pub(crate) fn screen_action(&mut self, action: Action) -> Vec<Command> {
        let mut commands = Vec::new();
        let jobs = match self.screen {
            Screen::Sources => self.sources.on_action(action),
            Screen::Layers => self.layers.on_action(action, &mut commands),
            Screen::Compare => self.compare.on_action(action, &mut commands),
            Screen::Drill => self.drill.on_action(action, &self.compare, &mut commands),
            Screen::Sql => self.sql.on_action(action, &mut commands),
            Screen::Models => self.models.on_action(action),
            Screen::Waterfall => self.waterfall.on_action(action, &self.compare),
            Screen::Rules => {
                let mut jobs = self.rules.on_action(action, &self.compare);
                jobs.extend(self.follow_what_if(false));
                jobs
            }
        };
        if self.screen == Screen::Drill && action == Action::Refresh {
            return self.go(Screen::Drill);
        }
        commands.extend(jobs.into_iter().map(Command::Run));
        for c in &commands {
            if let Command::Copy(text) = c {
                self.set_info(format!("copied {} characters", text.chars().count()));
            }
        }
        commands
    }
}
