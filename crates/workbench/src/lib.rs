//! The workbench TUI: the only module that knows about the terminal. It drives the same
//! engine API as the CLI, through jobs that run off the UI thread.

pub mod app;
pub mod command;
pub mod grid;
pub mod harness;
pub mod hit;
pub mod jobs;
pub mod keymap;
pub mod limits;
pub mod live;
pub mod mouse;
pub mod prompt;
pub mod rows_view;
pub mod screens;
pub mod svg;
pub mod text;
pub mod theme;
pub mod view;
pub mod worker;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use crossterm::event::{self, Event as TermEvent, KeyEventKind};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::ExecutableCommand;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;

// The engine's modules under the names this crate has always used for them.
use assay_engine::warehouse::browse;
use assay_engine::{
    build, campaign, checks, config, console, decimal, dialect, error, extract, frame, freshness,
    pii, recon, report, rules, store, warehouse,
};

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::store::Store;
use app::{App, Command, Msg};
use keymap::Keymap;
use theme::Theme;
use worker::Worker;

/// Options of `assay tui`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub theme: Option<String>,
    /// Take the mouse (clicks, wheel); off leaves it to the terminal's text selection.
    pub mouse: bool,
    /// Open on Compare, with this said on the status line (two sides opened ad hoc).
    pub compare_first: Option<String>,
}

/// Restores the terminal however the workbench ends: return, error or panic.
struct TerminalGuard;

impl TerminalGuard {
    fn enter(mouse: bool) -> Result<TerminalGuard> {
        terminal::enable_raw_mode().map_err(term_error)?;
        std::io::stdout()
            .execute(EnterAlternateScreen)
            .map_err(term_error)?;
        if mouse {
            std::io::stdout()
                .execute(crossterm::event::EnableMouseCapture)
                .map_err(term_error)?;
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        Ok(TerminalGuard)
    }
}

fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = std::io::stdout().execute(crossterm::event::DisableMouseCapture);
    let _ = std::io::stdout().execute(LeaveAlternateScreen);
    let _ = std::io::stdout().execute(crossterm::cursor::Show);
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn term_error(e: std::io::Error) -> Error {
    Error::Runtime(format!("terminal: {e}"))
}

/// The DuckDB memory the workbench may use before spilling to disk
/// (`ASSAY_MEMORY_LIMIT`, default 256MB) — ops staff run it beside other things.
pub const DEFAULT_MEMORY_LIMIT: &str = "256MB";

pub use assay_engine::store::set_memory_limit;

pub fn run(ws: Workspace, options: Options) -> Result<i32> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "the workbench needs a terminal; in scripts use the commands (compare, explain, freshness, sql)".into(),
        ));
    }
    let keymap = screens::keymap().load(&ws.root)?;
    let theme_name = options
        .theme
        .clone()
        .or_else(|| std::env::var("ASSAY_THEME").ok());
    let theme = Theme::pick(theme_name.as_deref(), &ws.root)?;
    check_cache(&ws)?;
    let limit = std::env::var("ASSAY_MEMORY_LIMIT").unwrap_or_else(|_| DEFAULT_MEMORY_LIMIT.into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("runtime: {e}")))?;
    runtime.block_on(event_loop(ws, &limit, (keymap, theme), options))
}

/// Refuse, before the screen is taken, a cache this assay cannot open (a newer schema, not
/// an assay cache). A cache busy with another process's work is fine: the workbench holds
/// it only while a job runs, and the jobs wait their turn on screen.
fn check_cache(ws: &Workspace) -> Result<()> {
    let now = crate::store::Wait::quiet(Duration::ZERO);
    match Store::open_with(&ws.cache_path(), crate::store::Access::Read, &now) {
        Ok(_) | Err(Error::CacheBusy(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

async fn event_loop(
    ws: Workspace,
    limit: &str,
    (keymap, theme): (Keymap, Theme),
    options: Options,
) -> Result<i32> {
    let _guard = TerminalGuard::enter(options.mouse)?;
    let mut terminal =
        Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(term_error)?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (input_tx, mut input_rx) = mpsc::unbounded_channel::<TermEvent>();
    let stop = Arc::new(AtomicBool::new(false));
    let input_stop = stop.clone();
    // crossterm's reader blocks; it lives on its own thread and forwards events.
    std::thread::spawn(move || {
        while !input_stop.load(Ordering::Relaxed) {
            if event::poll(Duration::from_millis(100)).unwrap_or(false) {
                match event::read() {
                    Ok(e) => {
                        if input_tx.send(e).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
    });
    let ws = Arc::new(ws);
    let mut worker = Worker::new(ws.clone(), Some(limit), tx)?;
    let mut app = App::new(&ws, keymap, theme);
    app.limits = limits::Limits::new(limit, ws.config.workspace.parallelism);
    let mut ticker = tokio::time::interval(Duration::from_millis(120));
    // Sources shows ages: a redraw each second keeps them true, and a stale catalog read
    // is asked for again.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    let mut start = app.start();
    if let Some(note) = options.compare_first {
        start.extend(app.go_to("compare"));
        app.set_info(note);
    }
    perform(&mut app, &mut worker, start);
    loop {
        terminal
            .draw(|f| view::draw(f, &mut app))
            .map_err(term_error)?;
        if app.quit {
            break;
        }
        tokio::select! {
            Some(event) = input_rx.recv() => {
                match event {
                    TermEvent::Key(key) if key.kind != KeyEventKind::Release => {
                        let commands = app.update(Msg::Key(key));
                        perform(&mut app, &mut worker, commands);
                    }
                    TermEvent::Mouse(m) => {
                        let commands = app.update(Msg::Mouse(m));
                        perform(&mut app, &mut worker, commands);
                    }
                    _ => {}
                }
                // Resize and other events just redraw.
            }
            Some(msg) = rx.recv() => {
                let commands = deliver(&mut app, &mut worker, msg);
                perform(&mut app, &mut worker, commands);
            }
            _ = ticker.tick(), if !app.busy.is_empty() => {
                app.spinner += 1;
            }
            _ = clock.tick() => {
                let again = app.screens[app.screen].tick().into_iter().map(Command::Run);
                perform(&mut app, &mut worker, again.collect());
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    worker.cancel_all();
    Ok(0)
}

/// A message from the worker: a finished job frees its lane (the pending job starts)
/// before the app sees the result.
pub(crate) fn deliver(app: &mut App, worker: &mut Worker, msg: Msg) -> Vec<Command> {
    if let Msg::Done(job, _) = &msg {
        worker.finished(job.lane());
    }
    app.update(msg)
}

fn perform(app: &mut App, worker: &mut Worker, commands: Vec<Command>) {
    for c in commands {
        match c {
            Command::Run(job) => worker.submit(job),
            Command::Cancel => worker.cancel_all(),
            Command::Copy(text) => {
                if let Err(e) = osc52(&text) {
                    app.set_error(format!("copy: {e}"));
                }
            }
            Command::Quit => app.quit = true,
        }
    }
}

/// Put `text` on the clipboard of the terminal the user sits at, also over SSH.
fn osc52(text: &str) -> std::io::Result<()> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}
