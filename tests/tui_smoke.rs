//! The real binary in a real terminal (tmux): it opens on the demo workspace, answers
//! keys, shows the compare screen, and quits leaving the terminal as it was.

use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Capture the pane until `needle` shows up (or give up after `secs`).
fn wait_for(session: &str, needle: &str, secs: u64) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", session]);
        if screen.contains(needle) || start.elapsed() > Duration::from_secs(secs) {
            return screen;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_binary_runs_under_tmux() {
    let tmp = tempfile::tempdir().unwrap();
    // `demo --open` writes the workspace, extracts, builds and opens the workbench.
    let session = format!("assay-smoke-{}", std::process::id());
    let command = format!(
        "cd {} && NO_COLOR=1 {} demo ws --rows 5000 --open; echo EXITED $?; sleep 30",
        tmp.path().display(),
        env!("CARGO_BIN_EXE_assay")
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);
    let screen = wait_for(&session, "1 Sources", 60);
    assert!(
        screen.contains("1 Sources") && screen.contains("8 companies"),
        "{screen}"
    );
    tmux(&["send-keys", "-t", &session, "3"]);
    let screen = wait_for(&session, "Δ", 30);
    assert!(
        screen.contains("OUT OF TOLERANCE") || screen.contains("within tolerance"),
        "{screen}"
    );
    assert!(
        screen.contains("legacy") && screen.contains("new"),
        "{screen}"
    );
    tmux(&["send-keys", "-t", &session, "?"]);
    let screen = wait_for(&session, "Everywhere", 10);
    assert!(screen.contains("Everywhere"), "{screen}");
    // Esc closes the help (other keys scroll it or do nothing), q quits.
    tmux(&["send-keys", "-t", &session, "Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    tmux(&["send-keys", "-t", &session, "q"]);
    let screen = wait_for(&session, "EXITED", 10);
    tmux(&["kill-session", "-t", &session]);
    // Back on the normal screen: the shell's line is there, the workbench is gone.
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(!screen.contains("1 Sources"), "{screen}");
}
