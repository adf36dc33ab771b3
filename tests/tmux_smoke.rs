//! The real binary in a real terminal (tmux) at 80×24 without colour, as ops staff over
//! SSH see it: every screen is visited and read back from the pane.

mod common;

use std::time::{Duration, Instant};

use common::pane::Pane;
use common::*;

fn demo() -> tempfile::TempDir {
    built_demo("20000", "11").0
}

/// A changed row's line: its mark, and a signed non-zero Δ among its cells.
fn a_changed_row_with_its_delta(screen: &str) -> bool {
    screen.lines().any(|l| {
        let l = l.trim_start_matches('│');
        l.starts_with("~ ")
            && l.split_whitespace().any(|w| {
                (w.starts_with('+') || w.starts_with('-'))
                    && w.contains('.')
                    && w[1..].chars().any(|c| ('1'..='9').contains(&c))
            })
    })
}

#[test]
fn every_screen_at_80x24_without_colour() {
    let dir = demo();
    let pane = Pane::open(&dir.path().join("ws"));
    let patience = Duration::from_secs(60);
    let (ok, screen) = pane.wait(patience, |t| t.contains("companies") && t.contains("acme"));
    assert!(ok, "Sources:\n{screen}");
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");

    pane.keys(&["2"]);
    let (ok, screen) = pane.wait(patience, |t| t.contains("gold.fct_sales"));
    assert!(ok, "Layers:\n{screen}");

    pane.keys(&["3"]);
    let opened = Instant::now();
    let (ok, screen) = pane.wait(patience, |t| {
        t.contains("L net_amount") && a_changed_row_with_its_delta(t)
    });
    assert!(
        ok,
        "Compare shows a changed row's measure (legacy, new, Δ) without scrolling:\n{screen}"
    );
    assert!(screen.contains("invoice_id"), "{screen}");

    pane.keys(&["4"]);
    let (ok, screen) = pane.wait(Duration::from_secs(10), |t| {
        t.contains("likely causes") && t.contains('%') && !t.contains("ranking causes")
    });
    assert!(
        ok,
        "the causes filled within 10 s ({:?} after opening Compare):\n{screen}",
        opened.elapsed()
    );

    pane.keys(&["5"]);
    let (ok, screen) = pane.wait(patience, |t| t.contains("read-only"));
    assert!(ok, "SQL:\n{screen}");
    // The editor has focus (typing is text): Ctrl-O moves it to the results first.
    pane.keys(&["C-o", "6"]);
    let (ok, screen) = pane.wait(patience, |t| {
        t.contains("models (build order)") && t.contains("gold.fct_sales")
    });
    assert!(ok, "Models:\n{screen}");

    pane.keys(&["7"]);
    let (ok, screen) = pane.wait(patience, |t| t.contains("vs legacy") && t.contains('◀'));
    assert!(ok, "Waterfall:\n{screen}");

    pane.keys(&["?", "/"]);
    pane.keys(&["-l", "sql"]);
    pane.keys(&["Enter"]);
    let (ok, screen) = pane.wait(patience, |t| t.contains("SQL") && t.contains("run query"));
    assert!(ok, "help reaches the SQL section:\n{screen}");

    pane.keys(&["Escape"]);
    pane.wait(patience, |t| !t.contains("search: sql"));
    pane.keys(&["Escape"]);
    let (ok, screen) = pane.wait(patience, |t| !t.contains("help ·"));
    assert!(ok, "Esc closes the help:\n{screen}");
    // A key right after Esc would reach the terminal as Alt-key: q on its own.
    std::thread::sleep(Duration::from_millis(300));
    pane.keys(&["q"]);
    let (gone, screen) = pane.wait(Duration::from_secs(10), |t| !t.contains("1 Sources"));
    assert!(gone, "q ends the workbench:\n{screen}");
}

/// Ops staff open the workbench over SSH after a company's extraction failed: the first
/// screen shows all eight companies' health at once, the failed one first, in plain text.
#[test]
fn the_first_screen_shows_every_company_and_the_failure_first() {
    let (dir, ws) = built_demo("3000", "12");
    fail_an_extraction(&ws, "fjord");
    let pane = Pane::open(&ws);
    let (ok, screen) = pane.wait(Duration::from_secs(60), |t| t.contains("health ·"));
    assert!(ok, "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        lines.len() <= 24 && lines.iter().all(|l| l.chars().count() <= 80),
        "{screen}"
    );
    assert!(screen.contains("health · 1 failed, 7 ok"), "{screen}");
    let grid: Vec<&str> = lines
        .iter()
        .map(|l| l.trim_start_matches('│'))
        .filter(|l| matches!(l.split_whitespace().nth(1), Some("ok" | "FAIL")))
        .collect();
    assert!(
        grid[0].starts_with("fjord") && grid[0].contains("FAIL"),
        "{screen}"
    );
    for company in [
        "acme", "borealis", "cobalt", "dunmore", "ember", "fjord", "lumen", "nordwind",
    ] {
        assert!(
            grid.iter().any(|l| l.starts_with(company)),
            "{company} is on the first screen:\n{screen}"
        );
    }
    drop(dir);
}

/// A pairing session on a shared screen: the customers' names and e-mails in bronze are
/// masked in the real terminal; `P` asks, a second `P` shows them with `UNMASKED` on the
/// status line, and `P` masks them again.
#[test]
fn personal_data_is_masked_on_the_real_screen_until_revealed() {
    let (_dir, ws) = built_demo("2000", "16");
    let pane = Pane::open(&ws);
    let patience = Duration::from_secs(60);
    let (ok, screen) = pane.wait(patience, |t| t.contains("companies"));
    assert!(ok, "{screen}");
    pane.keys(&["2"]);
    let (ok, screen) = pane.wait(patience, |t| t.contains("bronze.invoices"));
    assert!(ok, "{screen}");
    pane.keys(&["j", "Enter"]);
    let (ok, screen) = pane.wait(patience, |t| t.contains("row 1 of"));
    assert!(ok, "{screen}");
    pane.keys(&["l", "l", "l", "l", "l", "l", "l"]);
    let (ok, masked) = pane.wait(patience, |t| t.contains("@m***.example"));
    assert!(ok, "e-mails masked:\n{masked}");
    assert!(!masked.contains("@mail.example"), "{masked}");
    pane.keys(&["P"]);
    let (ok, screen) = pane.wait(patience, |t| t.contains("P again shows it"));
    assert!(ok, "P asks first:\n{screen}");
    assert!(!screen.contains("@mail.example"), "{screen}");
    pane.keys(&["P"]);
    let (ok, shown) = pane.wait(patience, |t| t.contains("UNMASKED") && t.contains("@mail."));
    assert!(ok, "the second P shows them:\n{shown}");
    pane.keys(&["P"]);
    let (ok, screen) = pane.wait(patience, |t| {
        t.contains("masked again") && !t.contains("@mail.") && !t.contains("UNMASKED")
    });
    assert!(ok, "P masks again:\n{screen}");
}
