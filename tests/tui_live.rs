//! The workbench through its real worker and lanes (jobs on `spawn_blocking`, latest wins
//! within a kind, results in the order they finish), where the inline harness cannot see
//! races between the jobs one key starts.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use assay_workbench::live::Live;
use assay_workbench::screens::{
    compare::CompareScreen, drill::DrillScreen, layers::LayersScreen, rules::RulesScreen,
    sources::SourcesScreen,
};
use assay_workbench::theme::Theme;
use common::*;

/// A demo workspace, extracted and built, for this file's tests.
fn workspace() -> &'static PathBuf {
    static WS: OnceLock<PathBuf> = OnceLock::new();
    WS.get_or_init(|| fresh_workspace().keep())
}

/// A demo workspace of its own (no comparison opened yet), extracted and built.
fn fresh_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = assay(
        dir.path(),
        &["demo", "ws", "--rows", "20000", "--seed", "7"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = dir.path().join("ws");
    for args in [&["extract", "--all"][..], &["build"][..]] {
        let out = assay(&ws, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let moved = tempfile::tempdir().unwrap();
    std::fs::remove_dir(moved.path()).unwrap();
    std::fs::rename(&ws, moved.path()).unwrap();
    moved
}

const PATIENCE: Duration = Duration::from_secs(60);

/// Opening a comparison asks for its rows, its causes and the first drill step on one
/// lane. Each must run: the causes panel fills (it stayed on "ranking causes…" when the
/// drill step replaced the explain job), and Compare's differences list rows (they opened
/// empty when the drill step interrupted the rows job).
#[test]
fn opening_a_comparison_fills_rows_causes_and_the_drill() {
    let mut live = Live::open(workspace(), 80, 24, Theme::built_in("mono")).unwrap();
    live.settle(PATIENCE);
    live.press("3");
    let compared = live.wait_until(PATIENCE, |app| app.comparison().report.is_some());
    assert!(compared, "{}", live.text());
    let all_done = live.wait_until(PATIENCE, |app| {
        app.get::<DrillScreen>().causes.is_some() && app.busy.is_empty()
    });
    assert!(all_done, "{}", live.text());
    let screen = live.text();
    assert!(live.app.get::<CompareScreen>().rows.total > 0, "{screen}");
    assert!(
        live.app.get::<CompareScreen>().rows.current().is_some(),
        "the differences list rows: {screen}"
    );
    assert!(!screen.contains("cancelled"), "{screen}");
    assert!(
        matches!(&live.app.get::<DrillScreen>().causes, Some(Ok(c)) if !c.is_empty()),
        "{:?}",
        live.app
            .get::<DrillScreen>()
            .causes
            .as_ref()
            .map(|c| c.as_ref().map(Vec::len))
    );
    live.press("4");
    let drill = live.text();
    assert!(!drill.contains("ranking causes"), "{drill}");
    assert!(
        drill.contains("invoice_type") || drill.contains("INTERCOMPANY"),
        "{drill}"
    );
    // Each cause is shown as its candidate legacy rule.
    assert!(drill.contains("exclude \"invoice_type\""), "{drill}");
    assert!(!live.app.get::<DrillScreen>().stack.is_empty(), "{drill}");
}

/// Keys faster than the jobs: paging through row classes while the comparison opens never
/// leaves a view without its rows, and the last class asked for is the one shown.
#[test]
fn row_classes_switched_quickly_still_arrive() {
    let mut live = Live::open(workspace(), 80, 24, Theme::built_in("mono")).unwrap();
    live.settle(PATIENCE);
    live.press("3");
    assert!(live.wait_until(PATIENCE, |app| app.comparison().report.is_some()));
    live.press("v v v");
    assert!(live.settle(PATIENCE), "{}", live.text());
    let screen = format!(
        "{}{:?} {:?}",
        live.text(),
        live.app.shared.status,
        live.app.busy
    );
    assert_eq!(
        live.app.get::<CompareScreen>().rows.class.label(),
        "only_new",
        "{screen}"
    );
    assert!(live.app.get::<CompareScreen>().rows.total > 0, "{screen}");
    assert!(
        live.app.get::<CompareScreen>().rows.current().is_some(),
        "{screen}"
    );
}

/// After an extraction both the catalog and the table list are read again (the second
/// request replaced the first on their lane, and Sources kept its old rows), and opening a
/// comparison lists the legacy export it imported in Layers.
#[test]
fn sources_and_layers_follow_what_the_work_changed() {
    let ws = fresh_workspace();
    let mut live = Live::open(ws.path(), 80, 24, Theme::built_in("mono")).unwrap();
    assert!(live.settle(PATIENCE));
    let legacy_listed = |app: &assay_workbench::app::App| {
        app.get::<LayersScreen>()
            .tables
            .iter()
            .any(|t| t.schema == "legacy")
    };
    assert!(!legacy_listed(&live.app), "nothing imported yet");
    let loaded = |app: &assay_workbench::app::App| -> Vec<String> {
        app.get::<SourcesScreen>()
            .rows
            .iter()
            .filter(|r| r.layer == "bronze")
            .map(|r| format!("{:?}", r.loaded_at))
            .collect()
    };
    let before = loaded(&live.app);
    assert!(!before.is_empty());
    live.press("A");
    assert!(live.settle(PATIENCE), "{}", live.text());
    let after = loaded(&live.app);
    assert!(
        before.iter().zip(&after).all(|(b, a)| b < a),
        "Sources shows the new loads: {before:?} → {after:?}\n{}",
        live.text()
    );
    live.press("3");
    assert!(live.settle(PATIENCE), "{}", live.text());
    assert!(live.app.comparison().report.is_some(), "{}", live.text());
    assert!(
        legacy_listed(&live.app),
        "{:?}",
        live.app.get::<LayersScreen>().tables
    );
}

/// The broken-file case from the health screen: the failed row comes first, Enter opens
/// its history with the failed run and its reason, and `e` re-runs the extraction from
/// there; the history is read again when it ends, one run longer.
#[test]
fn a_failed_row_opens_its_history_and_extracts_again_from_there() {
    let ws = fresh_workspace();
    fail_an_extraction(ws.path(), "lumen");
    let mut live = Live::open(ws.path(), 80, 24, Theme::built_in("mono")).unwrap();
    assert!(live.settle(PATIENCE));
    let first = &live.app.get::<SourcesScreen>().rows[0];
    assert_eq!(
        (first.company.as_str(), first.table.as_str()),
        ("lumen", "bronze.orders"),
        "problems first"
    );
    live.press("enter");
    assert!(live.settle(PATIENCE), "{}", live.text());
    let screen = live.text();
    assert!(screen.contains("history · lumen bronze.orders"), "{screen}");
    let runs = live
        .app
        .get::<SourcesScreen>()
        .history()
        .expect("a history")
        .runs
        .clone();
    assert_eq!(runs[0].status.as_str(), "failed", "{runs:?}");
    assert!(runs[0].error.is_some(), "{runs:?}");
    assert!(screen.contains("failed"), "{screen}");
    live.press("e");
    assert!(live.settle(PATIENCE), "{}", live.text());
    let again = &live
        .app
        .get::<SourcesScreen>()
        .history()
        .expect("still open")
        .runs;
    assert_eq!(again.len(), runs.len() + 1, "{again:?}");
    assert_eq!(
        again[0].status.as_str(),
        "failed",
        "the file is still broken"
    );
    live.press("backspace");
    assert!(live.app.get::<SourcesScreen>().history().is_none());
    assert!(live.text().contains("company"), "{}", live.text());
}

/// The rules lab through the real lanes: the demo's two suggested rules toggled into the
/// what-if one after the other (the second toggle may overtake the first's answer, which
/// is then dropped) leave the December postings as the top remaining cause; Compare and
/// Drill follow the what-if (the comparison made again through the two rules). The two
/// rules are the Drill's first two causes, each selected (`c`) and adopted (`a`) there.
#[test]
fn toggling_the_demos_two_rules_leaves_the_december_postings() {
    let ws = fresh_workspace();
    let rules_path = ws.path().join("rules/revenue.toml");
    let rules_in_file = |n: usize| {
        let path = rules_path.clone();
        move |_: &assay_workbench::app::App| {
            let file = std::fs::read_to_string(&path);
            file.is_ok_and(|f| f.matches("[[rule]]").count() == n)
        }
    };
    let mut live = Live::open(ws.path(), 80, 24, Theme::built_in("mono")).unwrap();
    live.settle(PATIENCE);
    live.press("4");
    assert!(live.wait_until(PATIENCE, |app| app.get::<DrillScreen>().causes.is_some()));
    let gap = live.app.comparison().report.as_ref().unwrap().measures[0].delta;
    live.press("a");
    assert!(
        live.wait_until(PATIENCE, rules_in_file(1)),
        "{}",
        live.text()
    );
    live.press("c a");
    assert!(
        live.wait_until(PATIENCE, rules_in_file(2)),
        "{}",
        live.text()
    );
    live.press("8");
    let listed = live.wait_until(PATIENCE, |app| {
        app.get::<RulesScreen>()
            .what
            .as_ref()
            .is_some_and(|w| w.rules.len() == 2)
    });
    assert!(listed, "{}", live.text());
    assert!(live
        .app
        .get::<RulesScreen>()
        .what
        .as_ref()
        .unwrap()
        .fall
        .steps
        .is_empty());
    live.press("space down space");
    let both = live.wait_until(PATIENCE, |app| {
        // The numbers first, then (on the compare lane) the causes of what they leave.
        let numbers = app
            .get::<RulesScreen>()
            .what
            .as_ref()
            .is_some_and(|w| w.fall.steps.len() == 2);
        numbers
            && app
                .get::<RulesScreen>()
                .causes()
                .is_some_and(|c| !c.is_empty())
    });
    let screen = live.text();
    assert!(both, "{screen}");
    let what = live.app.get::<RulesScreen>().what.as_ref().unwrap();
    let top = &live.app.get::<RulesScreen>().causes().unwrap()[0];
    assert!(top.predicate.contains("'2024-12-01'"), "{screen}");
    assert!(screen.contains("what-if: 2 of 2 rules"), "{screen}");
    assert!(
        screen.contains("[x] exclude-invoice_type-cancelled"),
        "{screen}"
    );
    let remaining = what.fall.remaining;
    // Compare, shown again, is made again through the two rules: what they leave, said so.
    live.press("3");
    let made = live.wait_until(PATIENCE, |app| {
        app.comparison().is_ready() && app.comparison().what_if.len() == 2
    });
    assert!(made, "{}", live.text());
    let left = live.app.comparison().report.as_ref().unwrap().measures[0].delta;
    assert_eq!(left, remaining, "Compare's gap is the what-if's");
    assert_ne!(left, gap);
    let compare = live.text();
    assert!(compare.contains("what-if: 2 rules applied"), "{compare}");
    live.press("4");
    assert!(live.wait_until(PATIENCE, |app| app.get::<DrillScreen>().causes.is_some()));
    let drill = live.text();
    assert!(drill.contains("what-if: 2 rules applied"), "{drill}");
    assert!(drill.contains("▶"), "the selected cause is marked: {drill}");
    // The December postings: excluding their month would touch agreeing rows, so `a` does
    // not adopt them and says why.
    live.press("a");
    let refused = live.wait_until(PATIENCE, |app| {
        app.shared
            .status
            .as_ref()
            .is_some_and(|(t, _)| t.contains("not adopted: \"month\""))
    });
    assert!(refused, "{}", live.text());
    // Toggling never touched the file: both rules are still proposed.
    let file = std::fs::read_to_string(ws.path().join("rules/revenue.toml")).unwrap();
    assert_eq!(file.matches("status = \"proposed\"").count(), 2, "{file}");
    assert!(file.contains("exclude-invoice_type-intercompany"), "{file}");
    // Rejecting the ticked rule under the cursor takes it out of the what-if (before, it
    // stayed ticked and went on closing the gap on screen).
    live.press("8");
    assert!(live.wait_until(PATIENCE, |app| app.get::<RulesScreen>().what.is_some()));
    live.press("R n o enter");
    let rejected = live.wait_until(PATIENCE, |app| {
        app.get::<RulesScreen>().what.as_ref().is_some_and(|w| {
            w.rules
                .iter()
                .any(|r| r.status == assay_engine::rules::Status::Rejected)
                && w.fall.steps.len() == 1
        })
    });
    let screen = live.text();
    assert!(rejected, "{screen}");
    assert!(screen.contains("what-if: 1 of 2 rules"), "{screen}");
    let turned_down = live
        .app
        .get::<RulesScreen>()
        .what
        .as_ref()
        .unwrap()
        .rules
        .iter();
    let turned_down = turned_down
        .filter(|r| r.status == assay_engine::rules::Status::Rejected)
        .map(|r| r.name.clone())
        .next()
        .unwrap();
    assert!(screen.contains(&format!("[ ] {turned_down}")), "{screen}");
}

/// Before: drilled into one company, the causes panel still ranked the whole comparison's
/// gap (its shares were of the whole). Now the causes follow the step: ranked within the
/// company through the real worker, and the panel says whose they are.
#[test]
fn drill_causes_follow_the_step_on_screen() {
    let mut live = Live::open(workspace(), 80, 24, Theme::built_in("mono")).unwrap();
    live.settle(PATIENCE);
    live.press("3");
    let ready = live.wait_until(PATIENCE, |app| {
        app.comparison().report.is_some()
            && app.get::<DrillScreen>().causes.is_some()
            && app.busy.is_empty()
    });
    assert!(ready, "{}", live.text());
    live.press("4");
    let company = live.app.get::<DrillScreen>().stack[0].rows[0].clone();
    live.press("enter");
    let scoped = live.wait_until(PATIENCE, |app| {
        !app.get::<DrillScreen>().causes_path.is_empty()
            && matches!(app.get::<DrillScreen>().causes, Some(Ok(_)))
            && app.busy.is_empty()
    });
    assert!(scoped, "{}", live.text());
    let screen = live.text();
    let name = company.value.clone().unwrap();
    assert!(screen.contains(&format!("within {name} ")), "{screen}");
    // A cause's share is of the gap it was ranked in: the company's, not the whole's.
    let Some(Ok(causes)) = &live.app.get::<DrillScreen>().causes else {
        unreachable!()
    };
    let top = causes
        .iter()
        .find(|c| c.share.abs() > 0.05)
        .expect("a cause");
    let ranked_in = top.delta.to_f64() / top.share;
    assert!(
        (ranked_in - company.delta.to_f64()).abs() < 1.0,
        "ranked in {ranked_in}, the company's gap is {}",
        company.delta
    );
    // Back at the top, the whole comparison's causes again.
    live.press("backspace");
    let whole = live.wait_until(PATIENCE, |app| {
        app.get::<DrillScreen>().causes_path.is_empty()
            && matches!(app.get::<DrillScreen>().causes, Some(Ok(_)))
    });
    assert!(whole, "{}", live.text());
    assert!(!live.text().contains(" within "), "{}", live.text());
}

/// Before: `A` on the demo (200,000 invoice lines) under the workbench's 256MB cap ended
/// with 2–8 of its 32 runs failed ("could not allocate block of size 30.5 MiB"): four loads
/// at once shared the cap. Now as many run at once as the cap holds, and the help says so.
#[test]
fn extracting_everything_stays_inside_the_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    let out = assay(dir.path(), &["demo", "ws", "--seed", "7"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = dir.path().join("ws");
    let mut live = Live::open_capped(
        &ws,
        (80, 24),
        Theme::built_in("mono"),
        Some(assay_workbench::DEFAULT_MEMORY_LIMIT),
    )
    .unwrap();
    live.settle(PATIENCE);
    live.press("A");
    let done = live.wait_until(Duration::from_secs(300), |app| {
        !app.get::<SourcesScreen>().running && app.busy.is_empty()
    });
    assert!(done, "{}", live.text());
    let runs = sql_csv(
        &ws,
        "SELECT count(*) FILTER (WHERE status = 'ok') || ' ok, ' || count(*) FILTER (WHERE status <> 'ok') || ' not' FROM assay.runs WHERE kind = 'extract'",
    );
    assert!(runs.contains("32 ok, 0 not"), "{runs}");
    live.press("?");
    let help = live.text();
    assert!(
        help.contains("memory: 256MB for the cache's work (ASSAY_MEMORY_LIMIT)")
            && help.contains("extraction: 2 at once (parallelism 4, fewer to fit the memory)"),
        "{help}"
    );
}
