//! The real binary: exit codes, messages, demo determinism and its planted gap, SQL output.

mod common;

use common::*;

use std::path::Path;

fn demo(rows: &str, seed: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let out = assay(tmp.path(), &["demo", "ws", "--rows", rows, "--seed", seed]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    tmp
}

/// Every file of a tree with its bytes, relative path first.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A digest of every table of a DuckDB file, rows in a fixed order.
fn db_digest(path: &Path) -> Vec<String> {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!("ATTACH '{}' AS src (READ_ONLY)", path.display()))
        .unwrap();
    ["invoice_lines", "stock"]
        .iter()
        .map(|t| {
            conn.query_row(
                &format!("SELECT count(*) || ':' || md5(string_agg(CAST(x AS VARCHAR), '|' ORDER BY CAST(x AS VARCHAR))) FROM src.{t} AS x"),
                [],
                |r| r.get::<_, String>(0),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn demo_is_deterministic_per_seed() {
    let a = demo("3000", "7");
    let b = demo("3000", "7");
    let c = demo("3000", "8");
    let (ta, tb, tc) = (
        tree(&a.path().join("ws")),
        tree(&b.path().join("ws")),
        tree(&c.path().join("ws")),
    );
    let names: Vec<&String> = ta.iter().map(|(n, _)| n).collect();
    assert!(
        names
            .iter()
            .any(|n| n.ends_with("legacy/lumen/sales_2024.csv")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with("sources/erp.duckdb")));
    for ((name, bytes_a), (_, bytes_b)) in ta.iter().zip(&tb) {
        if name.ends_with(".duckdb") {
            // DuckDB does not fix its block layout; the tables' contents must match.
            assert_eq!(
                db_digest(&a.path().join("ws").join(name)),
                db_digest(&b.path().join("ws").join(name)),
                "{name} holds other data for the same seed"
            );
        } else {
            assert!(
                bytes_a == bytes_b,
                "{name} differs between two runs with the same seed"
            );
        }
    }
    assert_eq!(ta.len(), tb.len());
    let differing = ta.iter().zip(&tc).filter(|(x, y)| x.1 != y.1).count();
    assert!(differing > 10, "another seed must give other data");
}

#[test]
fn demo_plants_the_documented_quirks() {
    let tmp = demo("4000", "1");
    let ws = tmp.path().join("ws");
    let read = |p: &str| std::fs::read(ws.join(p)).unwrap();
    assert!(read("legacy/borealis/sales_2023.csv").starts_with("\u{FEFF}invoice_id,".as_bytes()));
    let lumen = String::from_utf8(read("legacy/lumen/sales_2024.csv")).unwrap();
    let row = lumen.lines().nth(1).unwrap();
    let fields: Vec<&str> = row.split(';').collect();
    assert_eq!(fields.len(), 6, "{row}");
    assert!(
        fields[1].chars().nth(2) == Some('/') && fields[1].ends_with("/2024"),
        "{row}"
    );
    assert!(fields[5].contains(','), "{row}");
    let cobalt = String::from_utf8(read("legacy/cobalt/sales_2023.csv")).unwrap();
    assert!(
        cobalt.lines().nth(1).unwrap().contains("  ,"),
        "trailing spaces expected"
    );
    let fjord = String::from_utf8(read("legacy/fjord/sales_2023.csv")).unwrap();
    assert!(fjord.starts_with("InvoiceNumber,Date,Branch,Customer,Type,Amount\n"));
    let nordwind = String::from_utf8(read("sources/files/nordwind/invoices_2023.csv")).unwrap();
    assert!(nordwind.starts_with("invoice_id,invoice_date,branch,customerId,"));
    let legacy_all: String = [
        "acme", "borealis", "cobalt", "dunmore", "ember", "fjord", "lumen", "nordwind",
    ]
    .iter()
    .flat_map(|c| ["2023", "2024"].map(|y| format!("legacy/{c}/sales_{y}.csv")))
    .map(|p| String::from_utf8(read(&p)).unwrap())
    .collect();
    assert!(!legacy_all.contains("CANCELLED") && !legacy_all.contains("INTERCOMPANY"));
    let config = assay(&ws, &["validate"]);
    assert_eq!(
        config.status.code(),
        Some(0),
        "{}{}",
        stdout(&config),
        stderr(&config)
    );
}

/// The gap as the workspace's own data shows it: gold's rule (every invoice line in the
/// source database) against the legacy exports, read independently of the generator.
#[test]
fn demo_gap_is_about_four_percent() {
    let tmp = tempfile::tempdir().unwrap();
    let out = assay(
        tmp.path(),
        &["demo", "ws", "--rows", "60000", "--seed", "42"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ws = tmp.path().join("ws");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let db = ws.join("sources/erp.duckdb");
    conn.execute_batch(&format!("ATTACH '{}' AS erp (READ_ONLY)", db.display()))
        .unwrap();
    let gold: f64 = conn
        .query_row(
            "SELECT CAST(sum(net_amount) AS DOUBLE) FROM erp.invoice_lines",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut legacy = 0.0;
    for entry in glob::glob(&format!("{}/legacy/*/sales_*.csv", ws.display())).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap()).unwrap();
        for line in text.lines().skip(1) {
            let amount = line.rsplit([',', ';']).next().unwrap();
            // Lumen writes decimal commas with semicolons: "1234,56" is one field there.
            let amount = if line.contains(';') {
                line.rsplit(';').next().unwrap().replace(',', ".")
            } else {
                amount.to_string()
            };
            legacy += amount.trim().parse::<f64>().unwrap();
        }
    }
    let gap_pct = 100.0 * (gold - legacy) / legacy;
    assert!(
        (3.0..5.0).contains(&gap_pct),
        "planted gap {gap_pct:.2} % is not about 4 %"
    );
    let printed = stdout(&out);
    assert!(
        printed.contains(&format!("({gap_pct:+.2} %)")),
        "the demo's own summary must agree: {printed}"
    );
}

#[test]
fn demo_refuses_a_folder_with_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let out = assay(tmp.path(), &["demo", ".", "--rows", "500"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn exit_codes_follow_the_readme() {
    let tmp = demo("2000", "3");
    let ws = tmp.path().join("ws");
    // 0: fine
    assert_eq!(assay(&ws, &["validate"]).status.code(), Some(0));
    assert_eq!(
        assay(&ws, &["sql", "SELECT 42 AS answer"]).status.code(),
        Some(0)
    );
    // 2: usage (unknown flag) and config errors
    assert_eq!(
        assay(&ws, &["sql", "SELECT 1", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
    let cfg = ws.join("assay.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("table = \"gold.fct_sales\"", "table = \"gold.nope\""),
    )
    .unwrap();
    let bad = assay(&ws, &["validate"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stdout(&bad).contains("comparisons.revenue.table"),
        "{}",
        stdout(&bad)
    );
    assert!(stdout(&bad).contains("assay.toml:"), "{}", stdout(&bad));
    let sql_on_bad = assay(&ws, &["sql", "SELECT 1"]);
    assert_eq!(
        sql_on_bad.status.code(),
        Some(2),
        "a command on a broken config refuses to run"
    );
    std::fs::write(&cfg, &text).unwrap();
    // 2: not a workspace
    let empty = tempfile::tempdir().unwrap();
    let none = assay(empty.path(), &["sql", "SELECT 1"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("no assay.toml"));
    // 3: runtime (bad SQL against the cache)
    let broken = assay(&ws, &["sql", "SELECT * FROM gold.does_not_exist"]);
    assert_eq!(broken.status.code(), Some(3));
    assert!(
        stderr(&broken).contains("does_not_exist"),
        "{}",
        stderr(&broken)
    );
}

#[test]
fn dash_c_finds_the_workspace_from_anywhere() {
    let tmp = demo("1000", "5");
    let ws = tmp.path().join("ws");
    let nested = ws.join("models/gold");
    let up = assay(
        &nested,
        &[
            "sql",
            "SELECT count(*) AS n FROM assay.runs",
            "--format",
            "csv",
        ],
    );
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
    assert_eq!(stdout(&up), "n\n0\n");
    assert!(
        ws.join(".assay/cache.duckdb").is_file(),
        "the cache lives in the workspace"
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let flag = assay(
        elsewhere.path(),
        &[
            "-C",
            ws.to_str().unwrap(),
            "sql",
            "SELECT 1 AS one",
            "--format",
            "md",
        ],
    );
    assert_eq!(stdout(&flag), "| one |\n| --: |\n|   1 |\n");
}

#[test]
fn completions_are_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = assay(tmp.path(), &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("assay"));
}

#[test]
fn without_a_terminal_the_workbench_stays_closed() {
    let tmp = demo("2000", "1");
    let ws = tmp.path().join("ws");
    // `assay` alone in a script: the commands, not a half-opened TUI.
    let out = assay(&ws, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("Usage: assay"), "{}", text(&out));
    // Asking for the workbench explicitly without a terminal is a usage error that says why.
    let out = assay(&ws, &["tui"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("needs a terminal"), "{}", text(&out));
}

/// `assay waterfall`: every layer of the comparison's table per company, with exact sums,
/// and gold set against legacy by exactly the comparison's gap for that company.
#[test]
fn waterfall_sets_every_layer_against_legacy() {
    let (_dir, ws) = built_demo("5000", "9");
    let out = assay(
        &ws,
        &[
            "waterfall",
            "revenue",
            "--company",
            "acme",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let fall: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let steps = fall["steps"].as_array().unwrap();
    let tables: Vec<&str> = steps.iter().map(|s| s["table"].as_str().unwrap()).collect();
    for want in [
        "runs:invoices",
        "bronze.invoice_lines",
        "silver.invoice_lines",
        "silver.invoices",
        "gold.fct_sales",
        "legacy.sales",
    ] {
        assert!(tables.contains(&want), "{want} in {tables:?}");
    }
    assert!(steps.iter().all(|s| s["company"] == "acme"));
    let gold = steps
        .iter()
        .find(|s| s["table"] == "gold.fct_sales")
        .unwrap();
    // An exact decimal with its scale, never a float's digits.
    let measure = gold["measure"].as_str().unwrap();
    assert!(
        measure.split('.').nth(1).is_some_and(|f| f.len() == 2),
        "{measure}"
    );
    let vs = money::exact(gold["vs_legacy"].as_str().unwrap());
    let compare = assay(
        &ws,
        &[
            "compare",
            "revenue",
            "--company",
            "acme",
            "--format",
            "json",
        ],
    );
    let delta = money::amount(&stdout(&compare), path!["revenue", "measures", 0, "delta"]);
    assert_eq!(vs, delta, "waterfall {vs} vs compare {delta}");
    // Unknown comparisons are named, exit 2.
    let out = assay(&ws, &["waterfall", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("unknown comparison `nope`"),
        "{}",
        text(&out)
    );
}

/// A failed extraction shows in freshness (it said `ok` with an empty note, the previous
/// version being current): status `failed`, the reason in the note, exit 2.
#[test]
fn freshness_shows_a_failed_last_extraction() {
    let (_dir, ws) = built_demo("3000", "4");
    fail_an_extraction(&ws, "acme");
    let out = assay(&ws, &["freshness", "--problems", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let acme = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["company"] == "acme" && r["entity"] == "orders" && r["layer"] == "bronze")
        .unwrap_or_else(|| panic!("listed: {rows}"));
    assert_eq!(acme["status"], "failed", "{acme}");
    let note = acme["note"].as_str().unwrap();
    assert!(
        note.starts_with("failed ") && note.contains("ago: "),
        "{note}"
    );
    assert!(
        acme["age_seconds"].as_i64().is_some(),
        "the current version's age stays"
    );
}
