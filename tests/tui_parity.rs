//! The workbench's Parity screen: the board at 80×24 (snapshot, jobs inline), sorting,
//! Enter opening Compare on the company; and through the real worker and lanes, a compare
//! made in the workbench recorded and the board read again when shown.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use assay_workbench::harness::Harness;
use assay_workbench::live::Live;
use assay_workbench::screens::parity::ParityScreen;
use assay_workbench::theme::Theme;
use common::*;

/// A demo workspace with a history: compared, a rule accepted and acme signed off,
/// compared again.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let (dir, ws) = built_demo("3000", "5");
    let run = |args: &[&str]| {
        let out = assay(&ws, args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            text(&out)
        );
    };
    run(&["compare", "revenue"]);
    run(&["rules", "revenue", "suggest"]);
    let file = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    let doc: toml_edit::DocumentMut = file.parse().unwrap();
    let rule = doc["rule"][0]["name"].as_str().unwrap().to_string();
    run(&["rules", "revenue", "accept", &rule, "--note", "agreed"]);
    run(&[
        "signoff",
        "revenue",
        "--company",
        "acme",
        "--note",
        "agreed with Ana",
    ]);
    run(&["compare", "revenue"]);
    (dir, ws)
}

/// The `compared` column's ages depend on when the test ran.
fn without_ages(screen: &str) -> String {
    screen
        .lines()
        .map(|l| {
            l.split(' ')
                .map(|w| {
                    let digits = w.trim_end_matches(['s', 'm', 'h', 'd']);
                    let age = !digits.is_empty()
                        && digits.len() + 1 == w.len()
                        && digits.chars().all(|c| c.is_ascii_digit());
                    if age {
                        "<a>"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_board_at_80x24_sorts_and_opens_compare_on_a_company() {
    let (_dir, ws) = workspace();
    let mut h = Harness::open(&ws, 80, 24, Theme::built_in("mono")).unwrap();
    h.press("9");
    let screen = h.text();
    assert!(screen.contains("parity · revenue"), "{screen}");
    assert!(screen.contains("current"), "acme's sign-off: {screen}");
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
    insta::assert_snapshot!("parity_80x24", without_ages(&screen));

    let board = h.app.get::<ParityScreen>();
    assert_eq!(board.order.len(), 8);
    h.press("s");
    assert!(h.text().contains("by gap"), "{}", h.text());
    // Largest gap first.
    let parity = h.app.get::<ParityScreen>();
    let rows = &parity.board.as_ref().unwrap().rows;
    let sizes: Vec<_> = parity
        .order
        .iter()
        .map(|i| rows[*i].gap.unwrap().abs())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    h.press("j");
    let picked = h
        .app
        .get::<ParityScreen>()
        .picked()
        .unwrap()
        .company
        .clone();
    h.press("enter");
    assert_eq!(h.app.title(), "Compare");
    assert_eq!(h.app.comparison().company(), Some(picked.clone()));
    let compare = h.text();
    assert!(compare.contains(&picked), "{compare}");
}

#[test]
fn a_compare_in_the_workbench_is_recorded_and_the_board_follows() {
    let (_dir, ws) = workspace();
    let runs = |company: &str| {
        let out = assay(
            &ws,
            &[
                "history",
                "revenue",
                "--company",
                company,
                "--format",
                "json",
            ],
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array().unwrap().len()
    };
    let before = runs("lumen");
    let mut live = Live::open(&ws, 80, 24, Theme::built_in("mono")).unwrap();
    let patience = Duration::from_secs(60);
    live.settle(patience);
    live.press("9");
    let read = live.wait_until(patience, |app| app.get::<ParityScreen>().board.is_some());
    assert!(read, "{}", live.text());
    // Lumen's row, opened: Compare runs on the worker and records the run.
    let at = {
        let p = live.app.get::<ParityScreen>();
        let rows = &p.board.as_ref().unwrap().rows;
        p.order
            .iter()
            .position(|i| rows[*i].company == "lumen")
            .unwrap()
    };
    for _ in 0..at {
        live.press("j");
    }
    live.press("enter");
    let compared = live.wait_until(patience, |app| {
        app.comparison().report.is_some() && app.comparison().company().as_deref() == Some("lumen")
    });
    assert!(compared, "{}", live.text());
    live.settle(patience);
    assert_eq!(runs("lumen"), before + 1);
    // Back on the board, it is read again: lumen's trend has one more run.
    live.press("9");
    let again = live.wait_until(patience, |app| {
        app.get::<ParityScreen>()
            .board
            .as_ref()
            .and_then(|b| b.rows.iter().find(|r| r.company == "lumen"))
            .is_some_and(|r| r.trend.len() == before + 1)
    });
    assert!(again, "{}", live.text());
}

/// `O` on a row signs that company off with a note, and the board shows it at once.
#[test]
fn a_company_is_signed_off_from_the_board() {
    let (_dir, ws) = workspace();
    let mut h = Harness::open(&ws, 80, 24, Theme::built_in("mono")).unwrap();
    h.press("9");
    let at = {
        let p = h.app.get::<ParityScreen>();
        let rows = &p.board.as_ref().unwrap().rows;
        p.order
            .iter()
            .position(|i| rows[*i].company == "lumen")
            .unwrap()
    };
    for _ in 0..at {
        h.press("j");
    }
    h.press("O");
    let asking = h.text();
    assert!(asking.contains("sign off revenue for lumen"), "{asking}");
    h.type_text("agreed with Bo");
    h.press("enter");
    let file = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    assert!(file.contains("company = \"lumen\""), "{file}");
    assert!(file.contains("note = \"agreed with Bo\""), "{file}");
    let p = h.app.get::<ParityScreen>();
    let lumen = p
        .board
        .as_ref()
        .unwrap()
        .rows
        .iter()
        .find(|r| r.company == "lumen")
        .unwrap();
    assert_eq!(lumen.signoff_word(), "current", "{}", h.text());
}
