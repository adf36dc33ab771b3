//! Several processes on one workspace: cron's checks, a workbench, a second engineer. An
//! open workbench holds the cache only while a job runs; readers share it; a writer waits
//! its turn, says so, and gives up after `workspace.cache_wait` with a clear error.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use assay_engine::store::{Access, Store, Wait};
use assay_workbench::live::Live;
use assay_workbench::screens::{drill::DrillScreen, sources::SourcesScreen};
use assay_workbench::theme::Theme;
use common::*;

/// A demo workspace, extracted and built.
fn demo() -> tempfile::TempDir {
    built_demo("5000", "3").0
}

fn set_cache_wait(ws: &Path, wait: &str) {
    let path = ws.join("assay.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let config = config.replacen(
        "[workspace]\n",
        &format!("[workspace]\ncache_wait = \"{wait}\"\n"),
        1,
    );
    std::fs::write(&path, config).unwrap();
}

const PATIENCE: Duration = Duration::from_secs(60);

/// Cron's freshness check, and a second engineer's workbench, while a workbench is open
/// with a comparison loaded (it held the cache: freshness exited 3, "in use").
#[test]
fn freshness_and_a_second_workbench_run_while_a_workbench_is_open() {
    let dir = demo();
    let ws = dir.path().join("ws");
    let mut first = Live::open(&ws, 80, 24, Theme::built_in("mono")).unwrap();
    first.settle(PATIENCE);
    first.press("3");
    assert!(
        first.wait_until(PATIENCE, |app| app.comparison().report.is_some()
            && app.busy.is_empty()),
        "{}",
        first.text()
    );
    let out = assay(&ws, &["freshness", "--format", "json"]);
    assert_ne!(out.status.code(), Some(3), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON rows");
    assert!(rows.as_array().is_some_and(|r| !r.is_empty()), "{rows}");

    let mut second = Live::open(&ws, 80, 24, Theme::built_in("mono")).unwrap();
    second.settle(PATIENCE);
    assert!(
        !second.app.get::<SourcesScreen>().rows.is_empty(),
        "the second workbench reads the catalog: {}",
        second.text()
    );
    second.press("3");
    assert!(
        second.wait_until(PATIENCE, |app| app.comparison().report.is_some()),
        "{}",
        second.text()
    );
    // The first one's comparison (its classified join in the lane's own database) is
    // still there to drill into.
    first.press("4");
    let loaded = |app: &assay_workbench::app::App, depth: usize| {
        app.get::<DrillScreen>().stack.len() == depth
            && app
                .get::<DrillScreen>()
                .stack
                .iter()
                .all(|s| !s.loading && !s.rows.is_empty())
    };
    assert!(
        first.wait_until(PATIENCE, |app| loaded(app, 1)),
        "{}",
        first.text()
    );
    first.press("enter");
    assert!(
        first.wait_until(PATIENCE, |app| {
            app.get::<DrillScreen>().stack.len() == 2
                && app
                    .get::<DrillScreen>()
                    .stack
                    .iter()
                    .all(|s| !s.loading && !s.rows.is_empty())
                && app.busy.is_empty()
        }),
        "{}",
        first.text()
    );
}

/// A writer meeting a reader waits its turn and says so, then runs.
#[test]
fn an_extraction_waits_for_a_reader_and_then_runs() {
    let dir = demo();
    let ws = dir.path().join("ws");
    let cache = ws.join(".assay/cache.duckdb");
    let reader = Store::open_with(&cache, Access::Read, &Wait::quiet(PATIENCE)).unwrap();
    let started = Instant::now();
    let child = spawn(&ws, &["extract", "--all"]);
    std::thread::sleep(Duration::from_millis(1500));
    drop(reader);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out).contains("waiting for the cache"),
        "{}",
        text(&out)
    );
    assert!(started.elapsed() >= Duration::from_millis(1500));
}

/// A reader meeting a writer that does not finish gives up after `workspace.cache_wait`
/// with an error naming the holder, in JSON when JSON was asked for.
#[test]
fn a_reader_gives_up_after_the_configured_wait() {
    let dir = demo();
    let ws = dir.path().join("ws");
    set_cache_wait(&ws, "2s");
    let writer = Store::open(&ws.join(".assay/cache.duckdb")).unwrap();
    let started = Instant::now();
    let out = assay(&ws, &["freshness", "--format", "json"]);
    let took = started.elapsed();
    drop(writer);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let body: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("JSON error");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("being written by another process (PID "),
        "{body}"
    );
    assert!(message.contains("workspace.cache_wait"), "{body}");
    assert_eq!(body["error"]["exit_code"], 3);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(20),
        "{took:?}"
    );
}
