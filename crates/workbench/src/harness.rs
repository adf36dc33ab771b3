//! The workbench without a terminal: jobs run inline, in order, and frames render into a
//! ratatui `TestBackend`. Snapshot tests, `assay screenshots` and the TUI benchmark drive
//! the real update loop through it.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

use super::app::{App, Command, Msg};
use super::jobs::{execute, Lane, LaneState, Progress, LANES};
use super::keymap::Key;
use super::theme::Theme;
use super::view;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::extract::Cancel;
use crate::store::{Access, Lease, Session, Wait};

pub struct Harness {
    pub app: App,
    ws: Workspace,
    lanes: BTreeMap<Lane, LaneState>,
    terminal: Terminal<TestBackend>,
    /// Everything copied (OSC52) so far.
    pub copied: Vec<String>,
    pending: Vec<Command>,
}

impl Harness {
    /// Open the workbench and run the jobs it starts with.
    pub fn open(root: &Path, width: u16, height: u16, theme: Theme) -> Result<Harness> {
        let mut h = Harness::open_deferred(root, width, height, theme)?;
        let start = h.take_pending();
        h.run(start);
        Ok(h)
    }

    /// Open the workbench but leave its first jobs pending (see `take_pending`).
    pub fn open_deferred(root: &Path, width: u16, height: u16, theme: Theme) -> Result<Harness> {
        let ws = Workspace::load(root)?;
        let mut lanes = BTreeMap::new();
        let personal = crate::jobs::masking::Personal::new();
        for lane in LANES {
            let session = Session::new(&ws.cache_path())?;
            lanes.insert(lane, LaneState::new(session, personal.clone()));
        }
        let terminal = Terminal::new(TestBackend::new(width, height))
            .map_err(|e| Error::Runtime(format!("test terminal: {e}")))?;
        let app = App::new(&ws, crate::screens::keymap(), theme);
        let mut h = Harness {
            app,
            ws,
            lanes,
            terminal,
            copied: Vec::new(),
            pending: Vec::new(),
        };
        h.pending = h.app.start();
        Ok(h)
    }

    /// The cache attached to a lane's session (benchmarks drive the engine on it directly).
    pub fn lane_lease(&self, lane: Lane) -> Result<Lease<'_>> {
        let wait = Wait::for_workspace(&self.ws);
        self.lanes
            .get(&lane)
            .expect("lane")
            .session
            .lease(Access::Read, &wait)
    }

    pub fn take_pending(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.pending)
    }

    /// Cap DuckDB's memory as the workbench does (each lane's database).
    pub fn memory_limit(&self, limit: &str) -> Result<()> {
        for lane in self.lanes.values() {
            super::set_memory_limit(lane.session.conn(), limit)?;
        }
        Ok(())
    }

    /// Press keys written as in keymap files, separated by spaces: `"3 v j enter"`.
    pub fn press(&mut self, keys: &str) {
        for key in key_events(keys) {
            self.key(key);
        }
    }

    /// Type text into whatever has focus (the SQL editor, a filter prompt).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                KeyModifiers::NONE,
            ));
        }
    }

    pub fn key(&mut self, key: KeyEvent) {
        let commands = self.app.update(Msg::Key(key));
        self.run(commands);
    }

    /// A left click at (column, row), after a render (lists record where they drew).
    pub fn click(&mut self, column: u16, row: u16) {
        use crossterm::event::{MouseButton, MouseEventKind};
        self.mouse(MouseEventKind::Down(MouseButton::Left), column, row);
    }

    /// One notch of the wheel, down, at (column, row).
    pub fn wheel_down(&mut self, column: u16, row: u16) {
        self.mouse(crossterm::event::MouseEventKind::ScrollDown, column, row);
    }

    /// A mouse event at (column, row), after a render (lists record where they drew).
    fn mouse(&mut self, kind: crossterm::event::MouseEventKind, column: u16, row: u16) {
        self.render();
        let event = crossterm::event::MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        };
        let commands = self.app.update(Msg::Mouse(event));
        self.run(commands);
    }

    /// Hand a key to the app and return what it asks for, without running it (as the real
    /// loop does: it draws, and the jobs finish later).
    pub fn key_deferred(&mut self, key: KeyEvent) -> Vec<Command> {
        self.app.update(Msg::Key(key))
    }

    /// Run commands to completion: each job inline, its result fed back, until quiet.
    pub fn run(&mut self, mut commands: Vec<Command>) {
        while !commands.is_empty() {
            let mut next = Vec::new();
            for c in commands {
                match c {
                    Command::Run(job) => {
                        let lane = self.lanes.get_mut(&job.lane()).expect("lane");
                        let mut events = Vec::new();
                        let cancel = Cancel::new();
                        let collected = std::sync::Mutex::new(&mut events);
                        let wait = Wait::for_workspace(&self.ws);
                        let extract = |e| collected.lock().expect("events").push(e);
                        let progress = Progress {
                            extract: &extract,
                            busy: &|_| {},
                        };
                        let result = execute(&self.ws, lane, &job, &cancel, &wait, &progress);
                        for e in events {
                            next.extend(self.app.update(Msg::Extract(e)));
                        }
                        next.extend(self.app.update(Msg::Done(job, result)));
                    }
                    Command::Copy(text) => self.copied.push(text),
                    Command::Cancel | Command::Quit => {}
                }
            }
            commands = next;
        }
    }

    pub fn render(&mut self) -> &Buffer {
        let app = &mut self.app;
        self.terminal
            .draw(|f| view::draw(f, app))
            .expect("drawing into a test backend");
        self.terminal.backend().buffer()
    }

    /// The frame as plain text, one line per terminal row (trailing spaces trimmed).
    pub fn text(&mut self) -> String {
        buffer_text(self.render())
    }
}

/// Keys written as in keymap files, separated by spaces (`"3 v j enter"`), as key events.
pub fn key_events(keys: &str) -> Vec<KeyEvent> {
    keys.split_whitespace()
        .map(|k| {
            let key = Key::parse(k).unwrap_or_else(|| panic!("unknown key {k}"));
            let mut mods = if key.ctrl {
                KeyModifiers::CONTROL
            } else {
                KeyModifiers::NONE
            };
            if matches!(key.code, crossterm::event::KeyCode::Char(c) if c.is_ascii_uppercase()) {
                mods |= KeyModifiers::SHIFT;
            }
            KeyEvent::new(key.code, mods)
        })
        .collect()
}

pub fn buffer_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
