//! `assay status`: every company of the demo on one 80-column screen, the one whose last
//! extraction failed first with the reason, the same as JSON, exit code the worst state.

mod common;

use common::*;

#[test]
fn status_puts_the_failed_company_first_on_one_screen() {
    let (_dir, ws) = built_demo("3000", "6");
    let out = assay(&ws, &["status"]);
    assert_eq!(out.status.code(), Some(0), "all fresh: {}", text(&out));
    let screen = stdout(&out);
    assert!(screen.starts_with("8 companies: 8 ok"), "{screen}");
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");

    fail_an_extraction(&ws, "lumen");

    let out = assay(&ws, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed extraction: {}",
        text(&out)
    );
    let screen = stdout(&out);
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines.len() <= 24, "one screen: {screen}");
    // The grid fits 80 columns; piped (as here), a problem's reason is whole
    // (`piped_status_keeps_the_whole_reason`), on a terminal it is cut to fit.
    assert!(
        lines
            .iter()
            .filter(|l| !l.contains(" — "))
            .all(|l| l.chars().count() <= 80),
        "{screen}"
    );
    assert!(
        lines[0].starts_with("8 companies: 1 failed, 7 ok"),
        "{screen}"
    );
    assert!(
        lines[1].starts_with("company") && lines[1].contains("orders"),
        "{screen}"
    );
    assert!(
        lines[2].starts_with("lumen") && lines[2].contains("FAIL"),
        "problems first: {screen}"
    );
    // All eight companies are listed, one line each.
    assert_eq!(
        lines[2..10].iter().filter(|l| !l.starts_with('…')).count(),
        8,
        "{screen}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("lumen bronze.orders: FAIL — ")),
        "the reason is said: {screen}"
    );

    let out = assay(&ws, &["status", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let m: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(m["schema_version"], 1);
    let first = &m["companies"][0];
    assert_eq!(first["company"], "lumen");
    assert_eq!(first["status"], "failed");
    let columns: Vec<&str> = m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let at = columns.iter().position(|c| *c == "bronze.orders").unwrap();
    let cell = &first["cells"][at];
    assert_eq!(cell["text"], "FAIL", "{cell}");
    assert!(
        cell["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{cell}"
    );
    assert_eq!(m["companies"].as_array().unwrap().len(), 8);
}

/// A freshness row of acme's: (status, note) of `table`.
fn acme_row(ws: &std::path::Path, table: &str) -> (String, String) {
    let out = assay(ws, &["freshness", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["company"] == "acme" && r["table"] == table)
        .unwrap_or_else(|| panic!("{rows}"))
        .clone();
    (
        row["status"].as_str().unwrap().to_string(),
        row["note"].as_str().unwrap().to_string(),
    )
}

/// acme's bronze orders.
fn orders_row(ws: &std::path::Path) -> (String, String) {
    acme_row(ws, "bronze.orders")
}

/// A load with 40 % fewer rows than the runs before it is a warning naming expected and
/// actual counts; a normal one is not. A column removed and one added since the previous
/// load are warnings too.
#[test]
fn volume_and_schema_changes_are_warnings() {
    let (_dir, ws) = built_demo("3000", "7");
    let config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    let config = config.replacen(
        "keys = [\"order_id\"]\n",
        "keys = [\"order_id\"]\non_drift = \"warn\"\n",
        1,
    );
    std::fs::write(ws.join("assay.toml"), config).unwrap();
    let mut files: Vec<std::path::PathBuf> =
        glob::glob(&format!("{}/sources/files/acme/orders_*.csv", ws.display()))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    files.sort();
    let originals: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let extract = || {
        let out = assay(&ws, &["extract", "--company", "acme", "--entity", "orders"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    };
    for _ in 0..5 {
        extract();
    }
    assert_eq!(orders_row(&ws).0, "ok", "the same rows again: no alert");
    for (f, text) in files.iter().zip(&originals) {
        let lines: Vec<&str> = text.lines().collect();
        let keep = 1 + (lines.len() - 1) * 6 / 10;
        std::fs::write(f, format!("{}\n", lines[..keep].join("\n"))).unwrap();
    }
    extract();
    let (status, note) = orders_row(&ws);
    assert_eq!(status, "warn", "{note}");
    assert!(
        note.contains("volume: ") && note.contains("expected about"),
        "{note}"
    );
    assert_eq!(assay(&ws, &["status"]).status.code(), Some(1));
    for (f, text) in files.iter().zip(&originals) {
        std::fs::write(f, text).unwrap();
    }
    extract();
    assert_eq!(orders_row(&ws).0, "ok", "{}", orders_row(&ws).1);
    // status (a text column) removed, priority (a number) added.
    for (f, text) in files.iter().zip(&originals) {
        let rewritten: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let mut cells: Vec<&str> = l.split(',').collect();
                cells.retain(|c| *c != "status" || i > 0);
                if i > 0 {
                    cells.remove(4);
                }
                format!(
                    "{},{}",
                    cells.join(","),
                    if i == 0 { "priority" } else { "1" }
                )
            })
            .collect();
        std::fs::write(f, rewritten.join("\n") + "\n").unwrap();
    }
    extract();
    let (status, note) = orders_row(&ws);
    assert_eq!(status, "warn", "{note}");
    assert!(
        note.contains("schema: column `status`") && note.contains("removed"),
        "{note}"
    );
    assert!(
        note.contains("column `priority`") && note.contains("added"),
        "{note}"
    );
    // Seen and acknowledged: quiet until a later load raises new ones.
    let out = assay(&ws, &["ack", "--company", "acme", "--entity", "orders"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains("acknowledged acme orders schema"),
        "{}",
        text(&out)
    );
    assert_eq!(orders_row(&ws).0, "ok", "{}", orders_row(&ws).1);
    // The history of those loads.
    let out = assay(
        &ws,
        &[
            "runs",
            "--company",
            "acme",
            "--entity",
            "orders",
            "--format",
            "json",
        ],
    );
    let runs: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 9, "the demo's load and eight more: {runs:?}");
    assert!(runs
        .iter()
        .all(|r| r["kind"] == "extract" && r["status"] == "ok"));
}

/// acme's row of the model silver.orders.
fn silver_orders_row(ws: &std::path::Path) -> (String, String) {
    acme_row(ws, "silver.orders")
}

/// A build is watched as an extraction is: a model whose columns changed since its previous
/// build, or whose rows fell 40 % below its recent builds, is a warning on every company's
/// row of it, until acknowledged.
#[test]
fn a_model_whose_columns_or_volume_changed_is_a_warning() {
    let (_dir, ws) = built_demo("3000", "8");
    let model = ws.join("models/silver/orders.sql");
    let original = std::fs::read_to_string(&model).unwrap();
    let build = || {
        let out = assay(&ws, &["build"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    };
    for _ in 0..5 {
        build();
    }
    assert_eq!(
        silver_orders_row(&ws).0,
        "ok",
        "{:?}",
        silver_orders_row(&ws)
    );
    // 40 % fewer rows: a volume alert naming the counts.
    std::fs::write(
        &model,
        original.replace(
            "FROM bronze.orders",
            "FROM bronze.orders WHERE hash(order_id) % 10 < 6",
        ),
    )
    .unwrap();
    build();
    let (status, note) = silver_orders_row(&ws);
    assert_eq!(status, "warn", "{note}");
    assert!(
        note.contains("volume: ") && note.contains("expected about"),
        "{note}"
    );
    // The rows back, a column removed and one added: a schema alert.
    std::fs::write(
        &model,
        original.replace("    branch,\n", "").replace(
            "    customer_id,\n",
            "    customer_id,\n    1 AS priority,\n",
        ),
    )
    .unwrap();
    build();
    let (status, note) = silver_orders_row(&ws);
    assert_eq!(status, "warn", "{note}");
    assert!(
        note.contains("schema: column `branch`") && note.contains("removed"),
        "{note}"
    );
    assert!(
        note.contains("column `priority`") && note.contains("added"),
        "{note}"
    );
    let out = assay(&ws, &["ack", "--entity", "silver.orders"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        silver_orders_row(&ws).0,
        "ok",
        "{:?}",
        silver_orders_row(&ws)
    );
}

/// `--watch` prints the screen again until Ctrl-C, which ends it at once.
#[test]
fn watch_prints_again_until_ctrl_c() {
    let (_dir, ws) = built_demo("1000", "9");
    let child = spawn(&ws, &["status", "--watch", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(2600));
    interrupt(&child);
    let (_, out, _) = finish(child, std::time::Duration::from_secs(5));
    assert!(out.matches("8 companies: 8 ok").count() >= 2, "{out}");
    assert!(
        out.contains("\u{1b}[H\u{1b}[2J"),
        "each screen starts clean: {out}"
    );
}

/// A retail group of many stores: `assay demo --companies N` writes the eight companies and
/// plain stores up to N, every one extracts, and `assay status` sums up the ones that are
/// all ok past a screen. Fewer than the demo's eight is refused by name.
#[test]
fn a_demo_group_of_many_companies_fits_one_status_screen() {
    let dir = tempfile::tempdir().unwrap();
    let out = assay(
        dir.path(),
        &["demo", "ws", "--companies", "30", "--rows", "6000"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("with 30 companies"), "{}", text(&out));
    let ws = dir.path().join("ws");
    let out = assay(&ws, &["extract", "--all", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = assay(&ws, &["build", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = assay(&ws, &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let screen = stdout(&out);
    assert!(screen.starts_with("30 companies: 30 ok"), "{screen}");
    assert!(screen.lines().count() <= 24, "{screen}");
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");
    assert!(screen.contains("more companies, all ok"), "{screen}");
    let out = assay(dir.path(), &["demo", "few", "--companies", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--companies 3"), "{}", text(&out));
}

/// Before: piped into a log or a cron mail, a problem's reason was cut at 80 columns as on
/// a screen, and what went wrong was lost after the first words.
#[test]
fn piped_status_keeps_the_whole_reason() {
    let (_dir, ws) = built_demo("500", "5");
    let file = glob::glob(&format!("{}/sources/files/acme/orders_*.csv", ws.display()))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::write(&file, "order_id,order_date\n1,2024-01-01\n").unwrap();
    let out = assay(&ws, &["extract", "--company", "acme", "--entity", "orders"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let out = assay(&ws, &["status"]);
    let shown = stdout(&out);
    let line = shown
        .lines()
        .find(|l| l.starts_with("acme bronze.orders: FAIL"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(line.chars().count() > 80, "{line}");
    assert!(!line.ends_with('…'), "{line}");
    assert!(
        line.contains("expected column `amount` is missing"),
        "{line}"
    );
}
