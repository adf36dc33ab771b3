//! Two files opened in the workbench with no config (`assay tui --legacy … --new … --key …`):
//! Compare, Drill, the causes and the Rules screen on them, and the rules kept for the next
//! time the same two files are opened.

mod common;

use std::path::Path;
use std::time::Duration;

use assay_engine::init::adhoc::{self, Sides};
use assay_workbench::harness::Harness;
use assay_workbench::live::Live;
use assay_workbench::screens::drill::DrillScreen;
use assay_workbench::theme::Theme;
use common::pane::Pane;
use common::*;

/// A legacy export and the new system's file: the new one also has the voided invoices
/// (legacy left them out) and one amount differs.
fn two_files(dir: &Path) {
    let mut legacy = String::from("invoice,region,kind,amount\n");
    let mut new = String::from("invoice,region,kind,amount\n");
    for i in 1..=120 {
        let region = ["north", "south", "east"][i % 3];
        let kind = if i % 10 == 0 { "VOID" } else { "SALE" };
        let amount = format!("{}.{:02}", 100 + i, i % 100);
        new.push_str(&format!("{i},{region},{kind},{amount}\n"));
        if kind == "VOID" {
            continue;
        }
        let amount = if i == 7 { "999.99".to_string() } else { amount };
        legacy.push_str(&format!("{i},{region},{kind},{amount}\n"));
    }
    std::fs::write(dir.join("legacy.csv"), legacy).unwrap();
    std::fs::write(dir.join("new.csv"), new).unwrap();
}

fn sides(dir: &Path) -> Sides {
    Sides {
        legacy: "legacy.csv".into(),
        new: "new.csv".into(),
        base: dir.to_path_buf(),
        keys: vec!["invoice".into()],
        measures: vec!["amount".into()],
        dimensions: vec!["region".into(), "kind".into()],
        ..Sides::default()
    }
}

#[test]
fn two_files_open_in_compare_drill_and_rules_with_no_config() {
    let dir = tempfile::tempdir().unwrap();
    two_files(dir.path());
    let home = dir.path().join("adhoc");
    let (ws, table) = adhoc::open(&sides(dir.path()), &home).unwrap();
    assert_eq!(table, "gold.new");
    assert!(ws.root.starts_with(&home), "{}", ws.root.display());
    let mut h = Harness::open(&ws.root, 80, 24, Theme::built_in("mono")).unwrap();
    h.press("3");
    let compare = h.text();
    assert!(compare.contains("OUT OF TOLERANCE"), "{compare}");
    // Twelve voided invoices only in the new file, and invoice 7 changed.
    assert!(
        compare.contains("1 changed · 0 only legacy · 12 only new"),
        "{compare}"
    );
    assert!(compare.contains("Δ +1,091.88"), "{compare}");
    h.press("4");
    let drill = h.text();
    assert!(drill.contains("likely causes"), "{drill}");
    assert!(
        drill.contains("VOID"),
        "the voided invoices are the cause: {drill}"
    );
    // Down the largest gaps to a step's rows (the voided invoices of one region): `/`
    // goes to a key there too.
    h.press("enter enter");
    let rows = h
        .app
        .get::<DrillScreen>()
        .rows
        .as_ref()
        .expect("a step's rows");
    assert!(rows.total > 2, "{}", h.text());
    let drill_key = |h: &Harness| {
        let rows = h
            .app
            .get::<DrillScreen>()
            .rows
            .as_ref()
            .expect("a step's rows");
        rows.current().expect("a row").key.clone()
    };
    h.press("G");
    let last = drill_key(&h);
    h.press("g /");
    h.type_text(last.last().unwrap());
    h.press("enter");
    let found = drill_key(&h);
    assert_eq!(found, last, "{}", h.text());
    h.press("backspace backspace backspace");
    h.press("8");
    let rules = h.text();
    assert!(rules.contains("No rules yet"), "{rules}");
    // The loop works here too: the voided invoices' cause becomes a proposed rule.
    h.press("a");
    let said = h.app.shared.status.clone().unwrap_or_default().0;
    assert!(said.contains("proposed"), "{said}");
    let file = std::fs::read_to_string(ws.root.join("rules/adhoc.toml")).unwrap();
    assert!(file.contains("VOID"), "{file}");
    // The same two files opened again find the same workspace and its rules.
    let (again, _) = adhoc::open(&sides(dir.path()), &home).unwrap();
    assert_eq!(again.root, ws.root);
    let kept = std::fs::read_to_string(again.root.join("rules/adhoc.toml")).unwrap();
    assert_eq!(kept, file);
}

/// Two files with no dimension (rows, no steps): the causes ranked while Compare opened
/// stay when Drill is shown. Going to Drill used to start it over (its "nothing yet" test
/// looked at the steps only), dropping the causes and never asking for them again: the
/// panel said "ranking causes…" for good. Through the real worker and lanes.
#[test]
fn drill_keeps_its_causes_on_two_files_with_no_dimension() {
    let dir = tempfile::tempdir().unwrap();
    two_files(dir.path());
    let home = dir.path().join("adhoc");
    let plain = Sides {
        dimensions: Vec::new(),
        ..sides(dir.path())
    };
    let (ws, _) = adhoc::open(&plain, &home).unwrap();
    let mut live = Live::open(&ws.root, 80, 24, Theme::built_in("mono")).unwrap();
    let patience = Duration::from_secs(60);
    live.press("3");
    assert!(live.settle(patience), "{}", live.text());
    let ranked = |app: &assay_workbench::app::App| matches!(&app.get::<DrillScreen>().causes, Some(Ok(c)) if !c.is_empty());
    assert!(live.wait_until(patience, ranked), "{}", live.text());
    live.press("4");
    assert!(live.settle(patience), "{}", live.text());
    let drill = live.text();
    assert!(ranked(&live.app), "{drill}");
    assert!(!drill.contains("ranking causes"), "{drill}");
    assert!(drill.contains("VOID"), "{drill}");
}

#[test]
fn sides_the_workbench_cannot_open_ad_hoc_are_named() {
    let dir = tempfile::tempdir().unwrap();
    two_files(dir.path());
    let home = dir.path().join("adhoc");
    std::fs::write(
        dir.path().join("both.csv"),
        "invoice,company,amount\n1,acme,2.00\n",
    )
    .unwrap();
    // (legacy, new, keys, what the message says)
    let cases = [
        (
            "legacy.csv",
            "both.csv",
            "invoice",
            "--new both.csv: it has a `company` column",
        ),
        ("gone.csv", "new.csv", "invoice", "no file matches"),
        (
            "old.parquet",
            "new.csv",
            "invoice",
            "--legacy old.parquet: the workbench takes",
        ),
    ];
    for (legacy, new, key, says) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
            .args(["tui", "--legacy", legacy, "--new", new, "--key", key])
            .current_dir(dir.path())
            .env("ASSAY_ADHOC_HOME", &home)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(says), "{says}: {}", text(&out));
    }
    let out = assay(
        dir.path(),
        &["tui", "--legacy", "legacy.csv", "--new", "new.csv"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--key"),
        "clap asks for the key: {}",
        text(&out)
    );
}

/// The real binary at 80×24 without colour: `assay tui --legacy … --new …` opens on
/// Compare, says where the ad hoc workspace keeps the rules, and drills.
#[test]
fn the_binary_opens_two_files_on_compare_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    two_files(dir.path());
    let home = dir.path().join("adhoc");
    let pane = Pane::start(
        dir.path(),
        &[("ASSAY_ADHOC_HOME", &home.to_string_lossy())],
        &[
            "tui",
            "--legacy",
            "legacy.csv",
            "--new",
            "new.csv",
            "--key",
            "invoice",
            "--measure",
            "amount",
            "--dimension",
            "kind",
        ],
    );
    let patience = Duration::from_secs(60);
    let (ok, screen) = pane.wait(patience, |t| t.contains("OUT OF TOLERANCE"));
    assert!(ok, "{screen}");
    assert!(screen.contains("ad hoc: legacy.csv ⇄ new.csv"), "{screen}");
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");
    pane.keys(&["4"]);
    let (ok, screen) = pane.wait(patience, |t| t.contains("VOID") && t.contains('%'));
    assert!(ok, "{screen}");
    pane.keys(&["q"]);
}
