//! The rows of a comparison at 80×24, the row detail, copying, marking, the help's search,
//! the mouse, and the Models and Waterfall screens, through the workbench's update loop.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use assay_workbench::harness::Harness;
use assay_workbench::screens::{
    compare::CompareScreen, drill::DrillScreen, models::ModelsScreen, sources::SourcesScreen,
    waterfall::WaterfallScreen,
};
use assay_workbench::theme::Theme;
use common::*;

fn workspace() -> &'static PathBuf {
    static WS: OnceLock<PathBuf> = OnceLock::new();
    WS.get_or_init(|| {
        let (dir, ws) = built_demo("20000", "5");
        // The workspace outlives the test binary's statics: keep its folder.
        let _ = dir.keep();
        ws
    })
}

fn harness(width: u16, height: u16) -> Harness {
    Harness::open(workspace(), width, height, Theme::built_in("mono")).unwrap()
}

/// A changed row at 80×24 says which invoice it is and what changed, without scrolling:
/// the key, then the measure's legacy, new and Δ (two side-by-side halves used to show the
/// key and one other column each).
#[test]
fn a_changed_row_shows_its_key_and_measure_at_80x24() {
    let mut h = harness(80, 24);
    h.press("3 v");
    assert_eq!(h.app.get::<CompareScreen>().rows.class.label(), "changed");
    let screen = h.text();
    let header = screen
        .lines()
        .find(|l| l.contains("invoice_id"))
        .unwrap_or_else(|| panic!("{screen}"));
    let at = |name: &str| {
        header
            .find(name)
            .unwrap_or_else(|| panic!("{name}: {header}"))
    };
    assert!(at("invoice_id") < at("L net_amount"));
    assert!(at("L net_amount") < at("N net_amount"));
    assert!(at("N net_amount") < at("Δ net_amount"));
    let row = h
        .app
        .get::<CompareScreen>()
        .rows
        .current()
        .expect("a changed row")
        .clone();
    let line = screen
        .lines()
        .find(|l| l.contains(&row.key[0]) && l.contains("~ "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(line.chars().count() <= 80);
    // Its Δ is on the line, signed, exact.
    assert!(
        line.split_whitespace()
            .any(|w| (w.starts_with('+') || w.starts_with('-')) && w.contains('.')),
        "{line}"
    );
    insta::assert_snapshot!("compare_changed_80x24", h.text());
}

/// `y` copies the cell under the column cursor (it copied the whole row), `V` marks rows
/// and `Y` copies them with a header (`V` did nothing here).
#[test]
fn y_copies_the_cell_and_v_marks_rows() {
    let mut h = harness(80, 24);
    h.press("3 v");
    let key = h.app.get::<CompareScreen>().rows.current().unwrap().key[0].clone();
    h.press("y");
    assert_eq!(h.copied.last().unwrap(), &key, "the key cell, not the row");
    // Past the keys (company, invoice_id) the measure's legacy value comes first.
    let keys = h
        .app
        .get::<CompareScreen>()
        .rows
        .current()
        .unwrap()
        .key
        .len();
    for _ in 0..keys {
        h.press("l");
    }
    h.press("y");
    let legacy = h.copied.last().unwrap().clone();
    assert!(
        legacy.parse::<f64>().is_ok(),
        "the legacy measure: {legacy}"
    );
    h.press("V j Y");
    let rows = h.copied.last().unwrap().clone();
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two rows: {rows}");
    assert!(lines[0].contains("invoice_id\tL net_amount\t"), "{rows}");
}

/// Enter lists every column of both sides with the differences marked; Esc closes it
/// without cancelling anything.
#[test]
fn enter_opens_the_row_detail() {
    let mut h = harness(100, 30);
    h.press("3 v enter");
    assert!(h.app.get::<CompareScreen>().rows.detail_open());
    let screen = h.text();
    let row = h.app.get::<CompareScreen>().rows.current().unwrap().clone();
    assert!(
        screen.contains(&format!(" {} · changed ", row.key.join(", "))),
        "{screen}"
    );
    for differing in &row.differs {
        assert!(
            screen
                .lines()
                .any(|l| l.contains('≠') && l.contains(differing.as_str())),
            "{differing} marked:\n{screen}"
        );
    }
    assert!(screen.contains("customer_id"), "every column: {screen}");
    insta::assert_snapshot!("compare_row_detail", screen);
    h.press("esc");
    assert!(!h.app.get::<CompareScreen>().rows.detail_open());
    assert_ne!(
        h.app.shared.status.as_ref().map(|s| s.0.as_str()),
        Some("cancelled")
    );
}

/// The breadcrumb names the company Compare is cut to (it said "all").
#[test]
fn the_drill_breadcrumb_names_the_company() {
    let mut h = harness(100, 30);
    h.press("3 c");
    assert_eq!(h.app.comparison().company().as_deref(), Some("acme"));
    h.press("4");
    let screen = h.text();
    assert!(screen.contains(" acme › by "), "{screen}");
    assert!(!screen.contains(" all › "), "{screen}");
    // Values whose sides agree sink below the ones that carry the gap.
    let step = h.app.get::<DrillScreen>().stack.last().unwrap();
    let zero = |d: assay_engine::decimal::Exact| d.is_zero();
    let first_zero = step.rows.iter().position(|r| zero(r.delta));
    if let Some(at) = first_zero {
        assert!(
            step.rows[at..].iter().all(|r| zero(r.delta)),
            "{:?}",
            step.rows
        );
    }
}

/// `/` in the help searches it; the SQL section is reached by typing.
#[test]
fn the_help_searches() {
    let mut h = harness(80, 24);
    h.press("? /");
    h.type_text("sql");
    h.press("enter");
    let screen = h.text();
    assert!(screen.contains("run query"), "{screen}");
    assert!(
        !screen.contains("next screen"),
        "only what matches: {screen}"
    );
    h.press("esc");
    assert!(h.app.help, "the first Esc clears the search");
    h.press("esc");
    assert!(!h.app.help);
}

#[test]
fn a_terminal_below_the_minimum_says_so() {
    let mut h = harness(50, 12);
    let screen = h.text();
    assert!(screen.contains("needs at least 60×16"), "{screen}");
}

/// Clicks on tabs and rows, and the wheel.
#[test]
fn the_mouse_clicks_tabs_and_rows_and_scrolls() {
    let mut h = harness(100, 30);
    h.render();
    let (from, _, _) = *h
        .app
        .tab_hits
        .iter()
        .find(|(_, _, s)| h.app.screens[*s].keys().title == "Layers")
        .unwrap();
    h.click(from + 1, 0);
    assert_eq!(h.app.title(), "Layers");
    h.press("1");
    assert_eq!(h.app.get::<SourcesScreen>().cursor, 0);
    h.wheel_down(10, 10);
    assert_eq!(h.app.get::<SourcesScreen>().cursor, 3, "three rows a notch");
    // The fifth row of Sources' table: below the health grid (eight companies, its header
    // and borders: 11 lines), the border, the header, then rows.
    h.click(10, 1 + 11 + 1 + 1 + 4);
    assert_eq!(h.app.get::<SourcesScreen>().cursor, 4);
}

/// Models: each with what it reads, what reads it and its SQL.
#[test]
fn the_models_screen_walks_the_lineage() {
    let mut h = harness(160, 45);
    h.press("6");
    let names: Vec<String> = h
        .app
        .get::<ModelsScreen>()
        .models
        .iter()
        .map(|m| m.model.qualified())
        .collect();
    let fct = names
        .iter()
        .position(|n| n == "gold.fct_sales")
        .expect("gold.fct_sales");
    assert!(
        names.iter().position(|n| n == "silver.invoices").unwrap() < fct,
        "build order"
    );
    while h.app.get::<ModelsScreen>().cursor < fct {
        h.press("j");
    }
    let screen = h.text();
    assert!(
        screen.contains("silver.invoice_lines, silver.invoices"),
        "reads: {screen}"
    );
    assert!(screen.contains("gold.sales_by_month"), "read by: {screen}");
    assert!(
        screen.contains("JOIN silver.invoice_lines"),
        "the SQL: {screen}"
    );
    assert!(screen.contains("acme "), "rows per company: {screen}");
    // The build's time is the test run's.
    let at = screen.find("(built ").expect("built when");
    let end = at + screen[at..].find(" UTC)").expect("UTC");
    let screen = format!("{}(built <time>{}", &screen[..at], &screen[end..]);
    insta::assert_snapshot!("models_160x45", screen);
}

/// The layer waterfall: per company, every layer's rows and measure set against legacy,
/// the first step that differs marked; gold's difference is the comparison's gap.
#[test]
fn the_waterfall_finds_the_gap_at_gold() {
    let mut h = harness(160, 45);
    h.press("3 7");
    let fall = h
        .app
        .get::<WaterfallScreen>()
        .fall
        .clone()
        .expect("counted");
    let acme: Vec<_> = fall.steps.iter().filter(|s| s.company == "acme").collect();
    let layers: Vec<&str> = acme.iter().map(|s| s.layer.as_str()).collect();
    for want in ["extract", "bronze", "silver", "gold", "legacy"] {
        assert!(layers.contains(&want), "{want} in {layers:?}");
    }
    let gold = acme.iter().find(|s| s.table == "gold.fct_sales").unwrap();
    let gap = gold.vs_legacy.as_deref().expect("set against legacy");
    assert_ne!(
        gap.trim_start_matches('-').replace(['0', '.'], ""),
        "",
        "{gap}"
    );
    let screen = h.text();
    assert!(screen.lines().any(|l| l.contains('◀')), "{screen}");
    insta::assert_snapshot!("waterfall_160x45", screen);
}

/// Before: one row among thousands could be reached only by paging. `/` and a key go to
/// the first row (in the list's order) whose key holds it.
#[test]
fn slash_goes_to_a_key_on_compare() {
    let mut h = harness(80, 24);
    h.press("3 G");
    // What the screen says, should the compare have failed (its error is on it).
    let shown = h.text();
    let far = h
        .app
        .get::<CompareScreen>()
        .rows
        .current()
        .unwrap_or_else(|| panic!("a last row:\n{shown}"))
        .key
        .clone();
    assert!(
        h.app.get::<CompareScreen>().rows.cursor > 50,
        "a row far down the list"
    );
    let invoice = far.last().unwrap().clone();
    h.press("g /");
    assert!(h.text().contains("go to key:"), "{}", h.text());
    h.type_text(&invoice);
    h.press("enter");
    let now = h
        .app
        .get::<CompareScreen>()
        .rows
        .current()
        .expect("the row found")
        .key
        .clone();
    assert_eq!(now.last(), Some(&invoice));
    assert!(h.text().contains(&invoice), "{}", h.text());
    // A key no row has is said, and the cursor stays.
    let at = h.app.get::<CompareScreen>().rows.cursor;
    h.press("/");
    h.type_text("no-such-key");
    h.press("enter");
    let said = h.app.shared.status.clone().unwrap_or_default().0;
    assert!(
        said.contains("no row of this list has a key holding `no-such-key`"),
        "{said}"
    );
    assert_eq!(h.app.get::<CompareScreen>().rows.cursor, at);
    // Esc closes the prompt without going anywhere.
    h.press("/");
    h.type_text("1");
    h.press("esc");
    assert!(!h.app.get::<CompareScreen>().rows.find_open());
    assert_eq!(h.app.get::<CompareScreen>().rows.cursor, at);
    // Drill's rows: tests/tui_adhoc.rs (a step of the demo has one or two rows).
}
