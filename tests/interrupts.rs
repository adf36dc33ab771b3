//! Ctrl-C cancels (exit 3, as documented) instead of killing the process, and leaves no
//! `running` record; a closed pipe ends assay quietly. Each case failed before its fix.

mod common;

use common::*;

use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

fn demo() -> (tempfile::TempDir, PathBuf) {
    demo_files("500")
}

/// Waits until the child has printed nothing for a moment is not observable; the statement
/// is long enough (minutes) that a second is always inside it.
fn cancelled_after_a_second(child: std::process::Child) -> (Option<i32>, String, Duration) {
    std::thread::sleep(Duration::from_millis(1500));
    interrupt(&child);
    finish(child, Duration::from_secs(60))
}

/// Before: Ctrl-C on `sql` ended the process at once (exit 130).
#[test]
fn ctrl_c_cancels_a_long_query() {
    let (_tmp, ws) = demo();
    let child = spawn(
        &ws,
        &[
            "sql",
            "SELECT count(*) FROM range(1000000000000) t(i) WHERE i % 7 = 3",
        ],
    );
    let (code, said, took) = cancelled_after_a_second(child);
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains("cancelled"), "{said}");
    assert!(took < Duration::from_secs(30), "{took:?}: {said}");
}

/// Before: Ctrl-C during `build` ended the process with the model's run left `running`.
#[test]
fn ctrl_c_cancels_a_build_and_records_it() {
    let (_tmp, ws) = demo();
    std::fs::write(
        ws.join("models/gold/slow.sql"),
        "SELECT count(*) AS n FROM range(1000000000000) t(i) WHERE i % 7 = 3",
    )
    .unwrap();
    let child = spawn(&ws, &["build", "--select", "slow"]);
    let (code, said, _) = cancelled_after_a_second(child);
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains("cancelled"), "{said}");
    let runs = assay(&ws, &["runs", "--kind", "build", "--format", "csv"]);
    let listed = stdout(&runs);
    assert!(!listed.contains("running"), "{listed}");
    assert!(listed.contains("cancelled"), "{listed}");
}

/// Before: `assay compare … | head` panicked in `println!` once `head` had gone (exit 101,
/// a backtrace on stderr). The reading end here is closed before assay writes a byte.
#[test]
fn a_closed_pipe_ends_assay_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "id,amt\n1,2.50\n2,3.00\n").unwrap();
    std::fs::write(dir.path().join("b.csv"), "id,amt\n1,2.50\n2,3.10\n").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(dir.path())
        .args([
            "compare", "--legacy", "a.csv", "--new", "b.csv", "--key", "id",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .as_mut()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(101), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
