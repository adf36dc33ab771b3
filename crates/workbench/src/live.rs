//! The workbench with its real worker, for tests of what the inline harness cannot see:
//! jobs run on the lanes' own connections on `spawn_blocking`, latest-wins, and their
//! results arrive in whatever order they finish, exactly as in the terminal; frames render
//! into a `TestBackend`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::{self, UnboundedReceiver};

use crate::app::{App, Command, Msg};
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::harness::{buffer_text, key_events};
use crate::theme::Theme;
use crate::view;
use crate::worker::Worker;

pub struct Live {
    pub app: App,
    worker: Worker,
    rx: UnboundedReceiver<Msg>,
    terminal: Terminal<TestBackend>,
    /// Everything copied (OSC52) so far.
    pub copied: Vec<String>,
    /// Every line the lanes said while busy (a build's models as they end), in order.
    pub said: Vec<String>,
    // Dropped last: the lanes' blocking tasks run on it.
    runtime: tokio::runtime::Runtime,
}

impl Live {
    /// Open the workbench on the workspace at `root` and start its first jobs.
    pub fn open(root: &Path, width: u16, height: u16, theme: Theme) -> Result<Live> {
        Self::open_capped(root, (width, height), theme, None)
    }

    /// As `open`, with DuckDB's memory capped at `limit` as the workbench caps it
    /// (`ASSAY_MEMORY_LIMIT`, 256MB by default).
    pub fn open_capped(
        root: &Path,
        (width, height): (u16, u16),
        theme: Theme,
        limit: Option<&str>,
    ) -> Result<Live> {
        let ws = Arc::new(Workspace::load(root)?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(format!("runtime: {e}")))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let worker = {
            let _inside = runtime.enter();
            Worker::new(ws.clone(), limit, tx)?
        };
        let terminal = Terminal::new(TestBackend::new(width, height))
            .map_err(|e| Error::Runtime(format!("test terminal: {e}")))?;
        let mut app = App::new(&ws, crate::screens::keymap(), theme);
        if let Some(limit) = limit {
            app.limits = crate::limits::Limits::new(limit, ws.config.workspace.parallelism);
        }
        let mut live = Live {
            app,
            worker,
            rx,
            terminal,
            copied: Vec::new(),
            said: Vec::new(),
            runtime,
        };
        let start = live.app.start();
        live.perform(start);
        Ok(live)
    }

    /// Press keys (as in keymap files, space-separated) without waiting for their jobs.
    pub fn press(&mut self, keys: &str) {
        for key in key_events(keys) {
            let commands = self.app.update(Msg::Key(key));
            self.perform(commands);
        }
    }

    /// Deliver the worker's messages as they come until `done` holds (true) or `timeout`
    /// passes (false).
    pub fn wait_until(&mut self, timeout: Duration, done: impl Fn(&App) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.next_message(left.min(Duration::from_millis(200)));
        }
        true
    }

    /// Wait until no lane is busy and no message has come for a while (or `timeout`): the
    /// jobs a key started, and those their answers started, are all done.
    pub fn settle(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let delivered = self.next_message(Duration::from_millis(400));
            if !delivered && self.app.busy.is_empty() {
                return true;
            }
        }
        false
    }

    /// Deliver one message if one comes within `wait`; whether one did.
    fn next_message(&mut self, wait: Duration) -> bool {
        let next = self
            .runtime
            .block_on(async { tokio::time::timeout(wait, self.rx.recv()).await });
        match next {
            Ok(Some(msg)) => {
                if let Msg::Busy(_, Some(line)) = &msg {
                    self.said.push(line.clone());
                }
                let commands = {
                    let _inside = self.runtime.enter();
                    crate::deliver(&mut self.app, &mut self.worker, msg)
                };
                self.perform(commands);
                true
            }
            _ => false,
        }
    }

    fn perform(&mut self, commands: Vec<Command>) {
        let _inside = self.runtime.enter();
        for c in commands {
            match c {
                Command::Run(job) => self.worker.submit(job),
                Command::Cancel => self.worker.cancel_all(),
                Command::Copy(text) => self.copied.push(text),
                Command::Quit => self.app.quit = true,
            }
        }
    }

    /// The frame as plain text, one line per terminal row.
    pub fn text(&mut self) -> String {
        let app = &mut self.app;
        self.terminal
            .draw(|f| view::draw(f, app))
            .expect("drawing into a test backend");
        buffer_text(self.terminal.backend().buffer())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.worker.cancel_all();
    }
}
