//! The audit loop without leaving the workbench: build (`b`), data tests (`t`), an accepted
//! difference (`D`) and a sign-off (`O`), each with its result on the status line and in
//! the files and tables the CLI writes.

mod common;

use std::time::Duration;

use assay_workbench::harness::Harness;
use assay_workbench::live::Live;
use assay_workbench::screens::rules::RulesScreen;
use assay_workbench::theme::Theme;
use common::*;

fn harness(ws: &std::path::Path) -> Harness {
    Harness::open(ws, 80, 24, Theme::built_in("mono")).unwrap()
}

fn status(h: &Harness) -> String {
    h.app
        .shared
        .status
        .clone()
        .map(|(s, _)| s)
        .unwrap_or_default()
}

/// The demo's two rules accepted from the shell: what is left is the December cut-off.
fn with_rules_accepted(ws: &std::path::Path) {
    for args in [
        &["rules", "revenue", "suggest"][..],
        &[
            "rules",
            "revenue",
            "accept",
            "exclude-invoice_type-cancelled",
            "--note",
            "agreed",
        ],
        &[
            "rules",
            "revenue",
            "accept",
            "exclude-invoice_type-intercompany",
            "--note",
            "agreed",
        ],
    ] {
        let out = assay(ws, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
}

#[test]
fn a_difference_is_accepted_and_the_numbers_signed_off_from_the_rules_screen() {
    let (_dir, ws) = built_demo("20000", "5");
    with_rules_accepted(&ws);
    let mut h = harness(&ws);
    h.press("3 8");
    let rules = h.text();
    assert!(rules.contains("not signed off"), "{rules}");
    // D asks for the condition, filled with the selected cause's (the December postings).
    h.press("D");
    let asking = h.text();
    assert!(asking.contains("accept a difference: where"), "{asking}");
    assert!(
        asking.contains("\"month\""),
        "the cause's predicate: {asking}"
    );
    // A condition that does not apply is refused by name and comes back to be put right;
    // the file is left as it was.
    h.press("home ctrl-k");
    h.type_text("no_such_column = 1");
    h.press("enter");
    assert!(h
        .text()
        .contains("accept the rows where no_such_column = 1"));
    h.type_text("just trying");
    h.press("enter");
    let refused = h.text();
    assert!(
        h.app.get::<RulesScreen>().prompt_open() && refused.contains("no_such_column = 1"),
        "{refused}"
    );
    assert!(status(&h).contains("no_such_column"), "{}", status(&h));
    let file = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    assert!(!file.contains("[[accepted]]"), "{file}");
    // An empty condition is not sent at all.
    h.press("home ctrl-k enter");
    assert!(h.app.get::<RulesScreen>().prompt_open());
    assert!(h.text().contains("needs a where condition"), "{}", h.text());
    h.type_text("\"month\" = '2024-12-01'");
    h.press("enter");
    h.type_text("December is booked in January by legacy");
    h.press("enter");
    let said = status(&h);
    assert!(
        said.starts_with("accepted difference-month-2024-12-01: ")
            && said.ends_with("; within tolerance")
            && said.chars().count() <= 80,
        "{said}"
    );
    // Before: the accepted December postings stayed the first cause of what is left, at
    // 100 %. A decision taken is not an open cause.
    let causes = h
        .app
        .get::<RulesScreen>()
        .causes()
        .expect("the causes of what is left");
    assert!(
        !causes.iter().any(|c| c.predicate.contains("2024-12-01")),
        "{causes:?}"
    );
    let file = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    assert!(
        file.contains("[[accepted]]")
            && file.contains("note = \"December is booked in January by legacy\""),
        "{file}"
    );
    let screen = h.text();
    assert!(
        screen.contains("accepted: difference-month-2024-12-01"),
        "{screen}"
    );
    // O signs the accepted numbers with a note; the screen says the sign-off holds.
    h.press("O");
    assert!(h.text().contains("sign off revenue"), "{}", h.text());
    h.type_text("agreed with finance");
    h.press("enter");
    assert!(status(&h).starts_with("signed off by "), "{}", status(&h));
    let screen = h.text();
    assert!(screen.contains(": current"), "{screen}");
    let file = std::fs::read_to_string(ws.join("rules/revenue.toml")).unwrap();
    assert!(file.contains("note = \"agreed with finance\""), "{file}");
    // W writes the report finance reads, from the same screen: the sign-off is current.
    h.press("W");
    assert_eq!(
        status(&h),
        "report written: reports/revenue.html, reports/revenue.md"
    );
    let html = std::fs::read_to_string(ws.join("reports/revenue.html")).unwrap();
    assert!(html.contains("agreed with finance"), "{html}");
    assert!(html.contains("difference-month-2024-12-01"), "{html}");
    // The shell agrees: `assay report` prints the same document.
    let out = assay(&ws, &["report", "revenue", "--format", "md"]);
    let md = std::fs::read_to_string(ws.join("reports/revenue.md")).unwrap();
    let strip_time = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("Generated") && !l.contains("generated"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_time(&stdout(&out)), strip_time(&md));
}

#[test]
fn the_models_build_and_the_data_tests_run_from_any_screen() {
    let (_dir, ws) = built_demo("5000", "6");
    let config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        format!(
            "{config}\n[tests.invoice_ids]\ntable = \"gold.fct_sales\"\nkind = \"not_null\"\n\
             columns = [\"invoice_id\"]\n\n[tests.positive]\ntable = \"gold.fct_sales\"\n\
             kind = \"expression\"\nexpression = \"net_amount > 0\"\n"
        ),
    )
    .unwrap();
    let builds = || sql_csv(&ws, "SELECT count(*) FROM assay.runs WHERE kind = 'build'");
    let before = builds();
    let mut h = harness(&ws);
    h.press("b");
    let said = status(&h);
    assert!(
        said.starts_with("build: ") && said.contains("built"),
        "{said}"
    );
    assert_ne!(builds(), before, "the build was recorded");
    // Every test × company ran and was recorded, and the line counts them.
    h.press("t");
    let said = status(&h);
    assert!(said.starts_with("data tests: "), "{said}");
    assert!(said.contains("test × company"), "{said}");
    let recorded = sql_csv(&ws, "SELECT count(*) FROM assay.test_results");
    assert_ne!(recorded.trim(), "count_star()\n0", "{recorded}");
    // A model that fails is named, with its error.
    std::fs::write(
        ws.join("models/gold/broken.sql"),
        "SELECT no_such_column FROM silver.sales\n",
    )
    .unwrap();
    h.press("2 b");
    let said = status(&h);
    assert!(
        said.contains("not built") && said.contains("broken"),
        "{said}"
    );
    assert!(h
        .app
        .shared
        .status
        .as_ref()
        .is_some_and(|(_, error)| *error));
}

/// Through the real worker: the build runs on its lane and says each model as it ends,
/// and Compare counts again from the rebuilt layers.
#[test]
fn a_build_says_each_model_as_it_ends() {
    let (_dir, ws) = built_demo("5000", "9");
    let mut live = Live::open(&ws, 80, 24, Theme::built_in("mono")).unwrap();
    let patience = Duration::from_secs(120);
    live.settle(patience);
    live.press("3");
    assert!(live.wait_until(patience, |app| app.comparison().report.is_some()));
    live.settle(patience);
    live.press("b");
    let built = live.wait_until(patience, |app| {
        app.shared
            .status
            .as_ref()
            .is_some_and(|(s, _)| s.starts_with("build: "))
    });
    assert!(built, "{}", live.text());
    assert!(
        live.said
            .iter()
            .any(|s| s.starts_with("building: 1 model(s) done")),
        "{:?}",
        live.said
    );
    assert!(live.settle(patience), "{}", live.text());
    assert!(
        live.app.comparison().report.is_some() && !live.app.comparison().outdated,
        "Compare counted again: {}",
        live.text()
    );
}
