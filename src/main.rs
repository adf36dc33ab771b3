//! The `assay` binary: the command line, a thin driver of the engine (`assay-engine`) that
//! also opens the workbench (`assay-workbench`).

mod cli;

// The engine's and the workbench's modules under the names the CLI uses for them.
use assay_engine::{
    build, campaign, cancel, checks, config, console, decimal, demo, dialect, error, extract,
    frame, freshness, init, legacy, pii, recon, redact, report, rules, sql, store, trace,
    warehouse,
};
use assay_workbench as workbench;

fn main() {
    restore_sigpipe();
    std::process::exit(cli::main());
}

/// A closed pipe ends assay quietly, as it ends `cat`: Rust starts programs with SIGPIPE
/// ignored, so `assay compare … | head` used to panic in `println!` (exit 101, with a
/// backtrace) once `head` had read enough.
fn restore_sigpipe() {
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
