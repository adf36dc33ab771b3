//! The workbench's state and its update function: a key or a finished job in, commands out
//! (jobs to run, a cancel, text to copy). No terminal I/O here, so tests drive it directly.

use crossterm::event::{KeyCode, KeyEvent};

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

use super::screens::Prompt;
pub use crate::command::Command;

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

    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if self.help {
            self.help_key(key);
            return Vec::new();
        }
        let context = self.screen.context();
        // In the SQL editor every plain key is text; only Ctrl-keys, F-keys and Esc act.
        if self.screen == Screen::Sql && self.sql.wants_text() {
            let command_key = key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL)
                || matches!(key.code, KeyCode::F(_) | KeyCode::Esc);
            let passthrough = !command_key;
            if passthrough {
                self.sql.type_key(key);
                return Vec::new();
            }
            // Esc with nothing running leaves the editor: the way out its footer names
            // (q, Tab and digits are text there).
            let running = self.busy.iter().any(|(lane, _)| *lane == Lane::Sql);
            if key.code == KeyCode::Esc && !running {
                self.sql.editing = false;
                self.set_info(
                    "left the editor: digits and Tab switch screens, q quits, Ctrl-O edits again",
                );
                return Vec::new();
            }
        }
        let prompt: Option<&mut dyn Prompt> = match self.screen {
            Screen::Layers if self.layers.prompt_open() => Some(&mut self.layers),
            Screen::Rules if self.rules.prompt_open() => Some(&mut self.rules),
            _ => None,
        };
        if let Some(p) = prompt {
            return match key.code {
                KeyCode::Esc => {
                    p.close_prompt();
                    Vec::new()
                }
                KeyCode::Enter => p.submit_prompt().into_iter().map(Command::Run).collect(),
                _ => {
                    p.type_key(key);
                    Vec::new()
                }
            };
        }
        let Some(action) = self.keymap.action(context, &key) else {
            return Vec::new();
        };
        self.status = None;
        let armed = std::mem::take(&mut self.quit_armed);
        let reveal_armed = std::mem::take(&mut self.reveal_armed);
        match action {
            Action::Reveal if self.revealed => vec![Command::Run(Job::Reveal {
                on: false,
                screen: self.screen.title().to_string(),
            })],
            Action::Reveal if !reveal_armed => {
                self.reveal_armed = true;
                self.set_info(
                    "show personal data as it is? P again shows it (recorded: who, when, screen)",
                );
                Vec::new()
            }
            Action::Reveal => vec![Command::Run(Job::Reveal {
                on: true,
                screen: self.screen.title().to_string(),
            })],
            // Ctrl-C in the SQL editor asks first: it is also what a user presses by habit.
            Action::Quit if !armed && self.screen == Screen::Sql && self.sql.has_text() => {
                self.quit_armed = true;
                self.set_info("quit? Ctrl-C again quits (your queries are kept in the history)");
                Vec::new()
            }
            Action::Quit => {
                self.quit = true;
                vec![Command::Cancel, Command::Quit]
            }
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
                self.help_query.clear();
                self.help_typing = false;
                Vec::new()
            }
            // Esc first closes a row detail; it cancels work only when nothing is open.
            Action::Cancel if self.close_detail() => Vec::new(),
            Action::Cancel => {
                self.set_info("cancelled");
                vec![Command::Cancel]
            }
            Action::Theme => {
                self.theme = self.theme.next();
                self.set_info(format!("theme: {}", self.theme.name));
                Vec::new()
            }
            Action::NextScreen | Action::PrevScreen => {
                let at = SCREENS.iter().position(|s| *s == self.screen).unwrap_or(0);
                let n = SCREENS.len();
                let next = if action == Action::NextScreen {
                    (at + 1) % n
                } else {
                    (at + n - 1) % n
                };
                self.go(SCREENS[next])
            }
            Action::Sources => self.go(Screen::Sources),
            Action::Layers => self.go(Screen::Layers),
            Action::Compare => self.go(Screen::Compare),
            Action::Drill => self.go(Screen::Drill),
            Action::Sql => self.go(Screen::Sql),
            Action::Models => self.go(Screen::Models),
            Action::Waterfall => self.go(Screen::Waterfall),
            Action::Rules => self.go(Screen::Rules),
            action => self.screen_action(action),
        }
    }

    /// The help scrolls and searches; Esc, ? or q close it (any other key used to, so its
    /// lower sections could not be reached).
    fn help_key(&mut self, key: KeyEvent) {
        if self.help_typing {
            match key.code {
                KeyCode::Esc => {
                    self.help_typing = false;
                    self.help_query.clear();
                }
                KeyCode::Enter => self.help_typing = false,
                KeyCode::Backspace => {
                    self.help_query.pop();
                }
                KeyCode::Char(c) => self.help_query.push(c),
                _ => {}
            }
            self.help_scroll = 0;
            return;
        }
        match key.code {
            KeyCode::Char('/') => {
                self.help_typing = true;
                self.help_query.clear();
                self.help_scroll = 0;
            }
            KeyCode::Esc if !self.help_query.is_empty() => self.help_query.clear(),
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => self.help = false,
            KeyCode::Down | KeyCode::Char('j') => self.help_scroll += 1,
            KeyCode::Up | KeyCode::Char('k') => {
                self.help_scroll = self.help_scroll.saturating_sub(1)
            }
            KeyCode::PageDown | KeyCode::Char(' ') => self.help_scroll += 10,
            KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => self.help_scroll = 0,
            KeyCode::End | KeyCode::Char('G') => self.help_scroll = u16::MAX,
            _ => {}
        }
    }

    /// Close the row detail of the current screen, if one is open.
    fn close_detail(&mut self) -> bool {
        let rows = match self.screen {
            Screen::Compare => Some(&mut self.compare.rows),
            Screen::Drill => self.drill.rows.as_mut(),
            _ => None,
        };
        match rows {
            Some(r) if r.detail_open() => {
                r.detail = None;
                true
            }
            _ => false,
        }
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

    fn on_done(&mut self, job: Job, result: Result<Payload, Error>) -> Vec<Command> {
        let payload = match result {
            Ok(p) => p,
            // The causes of a what-if the next toggle replaced: nothing to say.
            Err(Error::Cancelled) if matches!(job, Job::RulesCauses { .. }) => return Vec::new(),
            Err(e) => {
                let e_text = e.to_string();
                match e {
                    Error::Cancelled => self.set_info(format!("{}: cancelled", job.describe())),
                    e => self.set_error(format!("{}: {e}", job.describe())),
                }
                self.layers.job_failed(&job);
                self.sql.job_failed(&job);
                self.compare.job_failed(&job);
                self.drill.job_failed(&job, &e_text);
                self.waterfall.job_failed(&job, &e_text);
                self.rules.job_failed(&job, &e_text);
                if let Job::Extract(_) = job {
                    self.sources.finished();
                }
                return Vec::new();
            }
        };
        let jobs = match (&job, payload) {
            (Job::Freshness, Payload::Freshness { rows, tests }) => {
                self.sources.set_rows(rows, &tests);
                Vec::new()
            }
            (Job::History(_), Payload::History(history)) => {
                self.sources.set_history(*history);
                Vec::new()
            }
            (Job::Extract(_), Payload::Extracted(outcomes)) => {
                let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
                let msg = format!(
                    "extraction finished: {} runs, {failed} failed",
                    outcomes.len()
                );
                if failed > 0 {
                    let first = outcomes
                        .iter()
                        .find_map(|o| o.error.clone())
                        .unwrap_or_default();
                    self.set_error(format!("{msg}: {first}"));
                } else {
                    self.set_info(msg);
                }
                self.sources.finished();
                let mut jobs = vec![Job::Freshness, Job::Tables];
                jobs.extend(self.sources.history_again());
                jobs
            }
            (Job::Tables, Payload::Tables(tables)) => {
                self.layers.set_tables(tables);
                Vec::new()
            }
            (
                Job::Open { .. }
                | Job::Page {
                    lane: Lane::Browse, ..
                }
                | Job::Profile { .. },
                payload,
            ) => self.layers.on_payload(&job, payload),
            (
                Job::Sql { .. }
                | Job::Page {
                    lane: Lane::Sql, ..
                },
                payload,
            ) => self.sql.on_payload(&job, payload, &mut self.status),
            (Job::PrepareCompare { .. } | Job::Rows { .. } | Job::Explain { .. }, payload) => {
                let mut jobs = self.compare.on_payload(&job, payload.clone());
                match payload {
                    // An answer for a comparison no longer asked for is dropped by Compare.
                    Payload::Compared { .. } if !self.compare.is_ready() => jobs.push(Job::Tables),
                    Payload::Compared { .. } => {
                        jobs.extend(self.drill.reset(&self.compare));
                        // The compare imported the legacy export: Layers lists it now.
                        jobs.push(Job::Tables);
                    }
                    Payload::Causes(causes) => self.drill.on_causes(&job, causes),
                    rows @ Payload::Rows { .. } => self.drill.on_rows(&job, rows),
                    _ => {}
                }
                jobs
            }
            (Job::Drill { .. }, payload) => self.drill.on_payload(&job, payload),
            (Job::Models, payload) => {
                self.models.on_payload(payload);
                Vec::new()
            }
            (Job::Waterfall { .. }, payload) => {
                self.waterfall.on_payload(&job, payload);
                Vec::new()
            }
            (Job::Reveal { .. }, Payload::Revealed(on)) => self.revealed_now(on),
            (Job::RulesAdopt { .. }, Payload::RulesAdopted(done)) => {
                match (done.added.first(), done.passed_over.first()) {
                    (Some(rule), _) => {
                        self.set_info(format!("{rule}: proposed (in the rules file)"))
                    }
                    (None, Some((predicate, why))) => {
                        self.set_error(format!("not adopted: {predicate}: {why}"))
                    }
                    (None, None) => self.set_info(format!(
                        "the rules file has that rule already: {}",
                        done.known.join(", ")
                    )),
                }
                self.rules.decided(&self.compare)
            }
            (Job::RulesEdit { rule, .. }, Payload::RulesDecided) => {
                self.set_info(format!("{rule}: checked and saved"));
                // The rule reads differently now: the comparison through it is made again.
                let mut jobs = self.rules.decided(&self.compare);
                jobs.extend(self.follow_what_if(true));
                jobs
            }
            (Job::RulesDecide { rule, status, .. }, Payload::RulesDecided) => {
                self.set_info(format!("{rule}: {} (in the rules file)", status.as_str()));
                let mut jobs = self.rules.decided_on(&self.compare, rule, *status);
                jobs.extend(self.follow_what_if(true));
                jobs
            }
            (Job::Rules { .. } | Job::RulesCauses { .. }, payload) => {
                let mut jobs = self.rules.on_payload(&job, payload);
                jobs.extend(self.follow_what_if(false));
                jobs
            }
            _ => Vec::new(),
        };
        jobs.into_iter().map(Command::Run).collect()
    }

    /// Personal data was shown or masked again: what the screens hold was fetched the other
    /// way, so it is fetched again (the SQL console's answer is dropped: a statement is
    /// not run twice behind the user's back).
    fn revealed_now(&mut self, on: bool) -> Vec<Job> {
        self.revealed = on;
        self.set_info(match on {
            true => "personal data shown as it is (recorded); P masks it again",
            false => "personal data masked again",
        });
        if self.sql.grid.take().is_some() {
            self.sql.message = Some("run the query again (F5) to see its answer".into());
        }
        let mut jobs = Vec::new();
        if self.layers.grid.is_some() {
            jobs.extend(self.layers.on_action(Action::Refresh, &mut Vec::new()));
        }
        self.compare.outdated = true;
        self.drill.rows = None;
        if matches!(self.screen, Screen::Compare | Screen::Drill) {
            jobs.extend(self.compare.open_first());
        }
        jobs
    }

    /// Compare and Drill follow the lab's what-if: when its rules change (or, `force`d,
    /// one of them was edited), the comparison is made again through them, when one of the
    /// two is shown (seconds on a large comparison: not for every toggle on Rules).
    fn follow_what_if(&mut self, force: bool) -> Vec<Job> {
        let Some(want) = self.rules.what_if_of(self.compare.name()) else {
            return Vec::new();
        };
        if force || want != self.compare.what_if {
            self.compare.what_if = want;
            self.compare.outdated = true;
        }
        match self.screen {
            Screen::Compare | Screen::Drill if self.compare.outdated => self.compare.open_first(),
            _ => Vec::new(),
        }
    }
}
