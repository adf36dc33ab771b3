//! The demo on a ClickHouse warehouse beside the same demo in the cache: every number
//! assay gives (gold, compare, explain, rules, export, ticket, waterfall, drill, browse)
//! must be the cache's, byte for byte. Run against each ClickHouse the tests have: the
//! 18.16 server (`tests/clickhouse.rs`) and current ClickHouse
//! (`tests/clickhouse_current.rs`), which include this file.

use assay_engine::warehouse::ClickHouse;

use crate::common::warehouse::settings;
use assay_workbench::screens::{
    compare::CompareScreen, drill::DrillScreen, layers::LayersScreen, sql::SqlScreen,
};

use crate::common::money;
use crate::common::{assay, json_of, sql_csv, stdout, text};
use crate::path;

/// The report of the one comparison, field by field as the exact JSON text printed, the
/// wire (ClickHouse only) left out.
fn raw_fields(out: &str) -> std::collections::BTreeMap<String, String> {
    use serde_json::value::RawValue;
    type Reports =
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, Box<RawValue>>>;
    let reports: Reports = serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let (_, fields) = reports.into_iter().next().expect("one report");
    fields
        .into_iter()
        .filter(|(k, _)| k != "wire")
        .map(|(k, v)| (k, v.get().to_string()))
        .collect()
}

/// `assay demo --warehouse clickhouse`: the same demo, its layers built on ClickHouse by
/// ClickHouse-dialect models, gives the gold numbers the DuckDB demo gives, and the same
/// compare and explain numbers, with only the differing slices' rows crossing the wire.
pub fn the_demo_on(url: &str) {
    the_demo_on_servers(url, None, &|_, _| {});
}

/// The same with the layers spread over `cluster` (its name and its shards' HTTP URLs),
/// `check` shown the ClickHouse workspace and its database before they are removed.
pub fn the_demo_on_servers(
    url: &str,
    cluster: Option<(&str, &[&str])>,
    check: &dyn Fn(&std::path::Path, &str),
) {
    // Its own database: the one-server demo may run beside it, in this process.
    let on = if cluster.is_some() { "cluster" } else { "one" };
    let db = format!("assay_demo_{on}_{}", std::process::id());
    let layers: Vec<String> = ["", "_bronze", "_silver", "_gold", "_lookups"]
        .iter()
        .flat_map(|l| [format!("{db}{l}"), format!("{db}{l}_shard")])
        .collect();
    let shards = cluster.map(|(_, s)| s).unwrap_or_default();
    let admins: Vec<ClickHouse> = std::iter::once(url)
        .chain(shards.iter().copied())
        .map(|u| ClickHouse::connect(&settings(u, "default")).unwrap())
        .collect();
    let drop_all = || {
        for (admin, d) in admins
            .iter()
            .flat_map(|a| layers.iter().map(move |d| (a, d)))
        {
            admin
                .execute(&format!("DROP DATABASE IF EXISTS {d}"))
                .unwrap();
        }
    };
    drop_all();
    let tmp = tempfile::tempdir().unwrap();
    let totals_by_type = |ws: &std::path::Path, clickhouse: bool| -> Vec<String> {
        assert_eq!(assay(ws, &["extract", "--all"]).status.code(), Some(0));
        let out = assay(ws, &["build"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let sql = "SELECT invoice_type, sum(net_amount), count() FROM gold.fct_sales GROUP BY invoice_type ORDER BY invoice_type";
        if clickhouse {
            let ch = ClickHouse::connect(&settings(url, &db)).unwrap();
            let (f, _) = ch
                .query(&sql.replace("gold.", &format!("{db}_gold.")))
                .unwrap();
            assay_engine::frame::to_text_rows(&f)
                .into_iter()
                .skip(1)
                .map(|r| r.join(","))
                .collect()
        } else {
            sql_csv(ws, sql).lines().skip(1).map(String::from).collect()
        }
    };
    let mut args = vec!["demo", "ch", "--seed", "3", "--rows", "20000"];
    args.extend(["--warehouse", "clickhouse", "--clickhouse-url", url]);
    args.extend(["--clickhouse-database", db.as_str()]);
    let shard_list = shards.join(",");
    if let Some((name, _)) = cluster {
        args.extend([
            "--clickhouse-cluster",
            name,
            "--clickhouse-shards",
            shard_list.as_str(),
        ]);
    }
    let out = assay(tmp.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = assay(
        tmp.path(),
        &["demo", "dk", "--rows", "20000", "--seed", "3"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (ch, dk) = (tmp.path().join("ch"), tmp.path().join("dk"));
    // Sums as exact decimals at two places (the two print 104282.9 and 104282.90).
    let cents = |rows: Vec<String>| -> Vec<String> {
        rows.iter()
            .map(|r| {
                let f: Vec<&str> = r.split(',').collect();
                let sum = money::exact(f[1]).rescale(2).expect("whole cents");
                format!("{},{sum},{}", f[0], f[2])
            })
            .collect()
    };
    let on_clickhouse = cents(totals_by_type(&ch, true));
    let on_duckdb = cents(totals_by_type(&dk, false));
    assert_eq!(on_clickhouse.len(), 4, "{on_clickhouse:?}");
    assert_eq!(on_clickhouse, on_duckdb);

    // compare exits 1 when a measure is out of tolerance (the demo's is).
    let json = json_of;
    let compare = ["compare", "revenue", "--format", "json"];
    let (report_ch, report_dk) = (json(&ch, &compare), json(&dk, &compare));
    // Byte for byte, field by field, apart from the wire: the sums are exact decimals on
    // both engines (they were floats: 61237855.020000085 against 61237855.02000002).
    let (raw_ch, raw_dk) = (
        raw_fields(&stdout(&assay(&ch, &compare))),
        raw_fields(&stdout(&assay(&dk, &compare))),
    );
    assert_eq!(raw_ch, raw_dk);
    assert!(
        raw_dk["measures"].contains("\"legacy\": ") && !raw_dk["measures"].contains("e-"),
        "{}",
        raw_dk["measures"]
    );
    let r = &report_ch["revenue"];
    assert!(r["rows"]["changed"].as_i64().unwrap() > 0, "{}", r["rows"]);
    assert!(
        r["rows"]["only_new"].as_i64().unwrap() > 100,
        "{}",
        r["rows"]
    );
    // Only the differing slices' rows travel: fewer than the table holds.
    let new_rows = r["rows"]["new_rows"].as_u64().unwrap();
    let steps = r["wire"].as_array().expect("wire steps on ClickHouse");
    let fetched = steps
        .iter()
        .find(|s| s["step"].as_str().unwrap().starts_with("rows of "))
        .expect("a fetch step");
    let fetched_rows = fetched["rows"].as_u64().unwrap();
    assert!(
        fetched_rows > 0 && fetched_rows < new_rows * 3 / 4,
        "{steps:?} of {new_rows}"
    );
    assert!(report_dk["revenue"].get("wire").is_none());

    let explain = ["explain", "revenue", "--format", "json"];
    let causes_dk = json(&dk, &explain);
    assert!(!causes_dk["causes"].as_array().unwrap().is_empty());
    // Explain's causes and exact deltas, byte for byte; on ClickHouse the agreeing rows
    // stayed in the warehouse and are said to.
    let causes_ch = json(&ch, &explain);
    // As written, not as floats: the decimal text with its scale.
    let written = |ws: &std::path::Path, args: &[&str]| stdout(&assay(ws, args));
    let (explain_ch, explain_dk) = (written(&ch, &explain), written(&dk, &explain));
    for field in ["causes", "total", "remaining"] {
        assert_eq!(
            money::raw(&explain_ch, path![field]),
            money::raw(&explain_dk, path![field]),
            "{field}"
        );
    }
    assert_eq!(causes_dk["rows_not_fetched"], 0);
    assert!(
        causes_ch["rows_not_fetched"].as_i64().unwrap() > 0,
        "{causes_ch}"
    );

    // The rules lab on ClickHouse: the same suggested rules, applied in the warehouse, give
    // the cache's waterfall to the cent; the ClickHouse export runs on the server.
    for ws in [&ch, &dk] {
        let out = assay(ws, &["rules", "revenue", "suggest"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let rules = ["rules", "revenue", "--all", "--format", "json"];
    let (rules_ch, rules_dk) = (json(&ch, &rules), json(&dk, &rules));
    let (written_ch, written_dk) = (written(&ch, &rules), written(&dk, &rules));
    assert_eq!(
        rules_dk["steps"].as_array().unwrap().len(),
        2,
        "{rules_dk:#}"
    );
    for field in [
        "gap_before",
        "steps",
        "remaining",
        "unexplained",
        "legacy_total",
    ] {
        assert_eq!(
            money::raw(&written_ch, path![field]),
            money::raw(&written_dk, path![field]),
            "{field}"
        );
    }
    let exported = stdout(&assay(
        &ch,
        &[
            "rules",
            "revenue",
            "export",
            "--all",
            "--dialect",
            "clickhouse",
        ],
    ));
    let fixed = ClickHouse::connect(&settings(url, &db))
        .unwrap()
        .query(&format!(
            "SELECT toString(sum(net_amount)) FROM ({})",
            exported
        ))
        .unwrap_or_else(|e| panic!("{e}: {exported}"))
        .0;
    let fixed = money::exact(&assay_engine::frame::to_text_rows(&fixed)[1][0]);
    let legacy = money::amount(&written_ch, path!["legacy_total"]);
    let remaining = money::amount(&written_ch, path!["remaining"]);
    assert_eq!(
        Some(fixed),
        legacy.plus(remaining),
        "{fixed} vs {legacy} + {remaining}"
    );
    // An accepted difference counts the same there: its rows' sum in the warehouse against
    // legacy's rows of their keys in the cache.
    let allow = [
        "rules",
        "revenue",
        "accept-difference",
        "late",
        "--where",
        "month = '2024-12-01'",
        "--note",
        "after the cut-off",
        "--all",
        "--format",
        "json",
    ];
    let (allowed_ch, allowed_dk) = (json(&ch, &allow), json(&dk, &allow));
    assert!(
        allowed_dk["accepted"][0]["rows"].as_i64().unwrap() > 0,
        "{allowed_dk:#}"
    );
    for field in ["accepted", "unexplained", "within_tolerance"] {
        // Recorded a second apart, maybe: when is not what is compared.
        assert_eq!(
            without_at(&allowed_ch[field]),
            without_at(&allowed_dk[field]),
            "{field}"
        );
    }
    // The workbench's Rules screen applies them in the warehouse too.
    let mut h = assay_workbench::harness::Harness::open(
        &ch,
        80,
        24,
        assay_workbench::theme::Theme::built_in("mono"),
    )
    .unwrap();
    h.press("3 8 space");
    let screen = h.text();
    assert!(screen.contains("what-if: 1 of 2 rules"), "{screen}");
    let first = &rules_ch["steps"][0];
    let effect = format!(
        "+{}",
        assay_engine::decimal::Exact::parse(&first["delta"].to_string())
            .unwrap()
            .grouped()
    );
    assert!(screen.contains(&effect), "{effect} in {screen}");
    // Compare, shown again, follows the what-if: made again through the rule, in the
    // warehouse.
    h.press("3");
    let through = h.app.comparison().report.as_ref().unwrap().measures[0].delta;
    assert_eq!(h.app.comparison().what_if.len(), 1);
    let after_first = assay_engine::decimal::Exact::parse(&first["gap_after"].to_string()).unwrap();
    assert_eq!(through, after_first, "Compare's gap is the what-if's");
    drop(h);

    // The ticket on ClickHouse: with the rules accepted, its numbers and causes are the
    // cache's to the cent.
    for ws in [&ch, &dk] {
        for step in rules_dk["steps"].as_array().unwrap() {
            let rule = step["rule"].as_str().unwrap();
            let out = assay(
                ws,
                &["rules", "revenue", "accept", rule, "--note", "agreed"],
            );
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        }
    }
    let report = ["report", "revenue", "--format", "json"];
    let (ticket_ch, ticket_dk) = (json(&ch, &report), json(&dk, &report));
    assert_eq!(
        ticket_ch["rows_after_rules"], ticket_dk["rows_after_rules"],
        "{ticket_ch:#}"
    );
    for field in [
        "gap_before",
        "steps",
        "remaining",
        "unexplained",
        "accepted",
    ] {
        assert_eq!(
            without_at(&ticket_ch["waterfall"][field]),
            without_at(&ticket_dk["waterfall"][field]),
            "{field}"
        );
    }
    let causes = |t: &serde_json::Value| -> Vec<(String, String)> {
        let list = t["remainder_causes"].as_array().unwrap();
        list.iter()
            .map(|c| (c["predicate"].to_string(), c["delta"].to_string()))
            .collect()
    };
    assert!(!causes(&ticket_dk).is_empty(), "{ticket_dk:#}");
    assert_eq!(causes(&ticket_ch), causes(&ticket_dk));
    let md = stdout(&assay(&ch, &["report", "revenue"]));
    assert!(md.contains("exclude-invoice_type-cancelled"), "{md}");

    // The table text shows the wire steps.
    let out = assay(&ch, &["compare", "revenue"]);
    assert!(
        stdout(&out).contains("on the wire (ClickHouse)"),
        "{}",
        text(&out)
    );

    // `assay sql --warehouse` asks ClickHouse, read-only, with layer names as in the models.
    let out = assay(
        &ch,
        &[
            "sql",
            "--warehouse",
            "--format",
            "csv",
            "SELECT count() AS n FROM gold.fct_sales",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        stdout(&out).lines().nth(1),
        Some(r["rows"]["new_rows"].to_string().as_str())
    );
    let out = assay(&ch, &["sql", "--warehouse", "DROP TABLE gold.fct_sales"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out).to_lowercase().contains("readonly"),
        "{}",
        text(&out)
    );
    let out = assay(&dk, &["sql", "--warehouse", "SELECT 1"]);
    assert!(text(&out).contains("kind is duckdb"), "{}", text(&out));

    // The layer waterfall counts the layers where they live: the same steps and numbers.
    let waterfall = [
        "waterfall",
        "revenue",
        "--company",
        "acme",
        "--format",
        "json",
    ];
    let (fall_ch, fall_dk) = (json(&ch, &waterfall), json(&dk, &waterfall));
    let steps = |v: &serde_json::Value| -> Vec<(String, i64, Option<i64>, Option<String>)> {
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["table"].as_str().unwrap().to_string(),
                    s["rows"].as_i64().unwrap(),
                    s["keys"].as_i64(),
                    s["measure"].as_str().map(String::from),
                )
            })
            .collect()
    };
    assert_eq!(steps(&fall_ch), steps(&fall_dk));
    assert!(steps(&fall_ch).iter().any(|s| s.0 == "gold.fct_sales"));

    drilling_gives_the_duckdb_numbers(&ch, &dk);
    browsing_a_clickhouse_workspace(url, (&ch, &db), r["rows"]["new_rows"].as_i64().unwrap());
    check(&ch, &db);
    drop_all();
}

/// The workbench's drill on the ClickHouse workspace shows the same bars as on DuckDB:
/// the agreeing slices' rows, never fetched, count in each bar's amounts and rows; pages
/// list the fetched rows and say how many equal rows stayed in ClickHouse.
fn drilling_gives_the_duckdb_numbers(ch: &std::path::Path, dk: &std::path::Path) {
    use assay_engine::recon::workbench::DrillRow;
    use assay_workbench::harness::Harness;
    use assay_workbench::theme::Theme;
    let bars = |rows: &[DrillRow]| -> Vec<String> {
        rows.iter()
            .map(|r| format!("{:?} {:.2} {:.2} {}", r.value, r.legacy, r.new, r.rows))
            .collect()
    };
    // Bars at the top, bars one level down, and that level's row classes.
    type Walked = (
        Vec<String>,
        Vec<String>,
        Vec<(assay_engine::recon::RowClass, i64)>,
    );
    let walk = |ws: &std::path::Path| -> Walked {
        let mut h = Harness::open(ws, 100, 30, Theme::built_in("mono")).unwrap();
        h.press("3");
        assert!(h.app.comparison().report.is_some(), "{}", h.text());
        h.press("4");
        let top = bars(&h.app.get::<DrillScreen>().stack[0].rows);
        h.press("enter d");
        let step = h.app.get::<DrillScreen>().stack.last().unwrap();
        let (inner, classes) = (bars(&step.rows), step.classes.clone());
        (top, inner, classes)
    };
    let (top_ch, inner_ch, classes_ch) = walk(ch);
    let (top_dk, inner_dk, classes_dk) = walk(dk);
    assert_eq!(top_ch, top_dk);
    assert_eq!(inner_ch, inner_dk);
    assert_eq!(classes_ch, classes_dk);

    // Matched rows: pages list the fetched ones; the agreeing slices' rows are counted.
    let mut h = Harness::open(ch, 100, 30, Theme::built_in("mono")).unwrap();
    h.press("3 v v v v");
    let screen = h.text();
    assert!(screen.contains("from the warehouse:"), "{screen}");
    let rows = &h.app.get::<CompareScreen>().rows;
    assert_eq!(rows.class.label(), "matched", "{screen}");
    let matched = h.app.comparison().report.as_ref().unwrap().rows.matched;
    assert!(rows.unlisted > 0 && rows.total > 0, "{screen}");
    assert_eq!(rows.total + rows.unlisted, matched);
    assert!(
        screen.contains("rows stay in the warehouse (known by their sums)"),
        "{screen}"
    );
}

/// The workbench on a ClickHouse workspace: Layers lists ClickHouse's tables (and the
/// cache's legacy exports), pages, filters and profiles them there; the SQL console asks
/// ClickHouse read-only, so a write is refused.
fn browsing_a_clickhouse_workspace(url: &str, (ws, db): (&std::path::Path, &str), fct_rows: i64) {
    use assay_workbench::harness::Harness;
    use assay_workbench::theme::Theme;
    let mut h = Harness::open(ws, 100, 30, Theme::built_in("dark")).unwrap();
    h.press("2");
    let labels: Vec<String> = h
        .app
        .get::<LayersScreen>()
        .tables
        .iter()
        .map(|t| t.label())
        .collect();
    for want in [
        "legacy.sales",
        "bronze.invoices",
        "silver.invoices",
        "gold.fct_sales",
    ] {
        assert!(
            labels.contains(&want.to_string()),
            "{want} not in {labels:?}"
        );
    }
    let at = labels.iter().position(|l| l == "gold.fct_sales").unwrap();
    // Counted from the parts that hold its rows (a cluster's shards, for a Distributed
    // table, which holds none itself).
    assert_eq!(
        h.app.get::<LayersScreen>().tables[at].estimated_rows,
        Some(fct_rows)
    );
    assert_eq!(
        h.app.get::<LayersScreen>().tables[at].warehouse.as_deref(),
        Some(format!("{db}_gold").as_str())
    );
    h.press("g");
    for _ in 0..at {
        h.press("j");
    }
    h.press("enter");
    let grid = h
        .app
        .get::<LayersScreen>()
        .grid
        .as_ref()
        .expect("the ClickHouse table opened");
    assert_eq!(grid.total, fct_rows);
    h.press("G");
    let grid = h.app.get::<LayersScreen>().grid.as_ref().unwrap();
    assert!(grid.row(grid.cursor).is_some(), "the last page came");
    h.press("/");
    h.type_text("invoice_type = 'CANCELLED'");
    h.press("enter");
    let grid = h.app.get::<LayersScreen>().grid.as_ref().unwrap();
    assert!(grid.total > 0 && grid.total < fct_rows, "{}", grid.total);
    h.press("i");
    assert!(h.text().contains("nulls%"), "{}", h.text());

    h.press("5");
    h.type_text(&format!(
        "SELECT invoice_type, count() AS n FROM {db}_gold.fct_sales GROUP BY invoice_type"
    ));
    h.press("f5");
    let grid = h
        .app
        .get::<SqlScreen>()
        .grid
        .as_ref()
        .expect("a ClickHouse result");
    assert_eq!(grid.total, 4);
    assert!(
        h.text().contains("SQL on ClickHouse (read-only)"),
        "{}",
        h.text()
    );
    // Focus stayed in the editor after the run.
    for _ in 0..500 {
        if h.app
            .get::<SqlScreen>()
            .editor
            .lines()
            .join("\n")
            .is_empty()
        {
            break;
        }
        h.press("backspace");
    }
    h.type_text(&format!("DROP TABLE {db}_gold.fct_sales"));
    h.press("f5");
    let (message, is_error) = h.app.shared.status.clone().unwrap();
    assert!(
        is_error && message.to_lowercase().contains("readonly"),
        "{message}"
    );
    let admin = ClickHouse::connect(&settings(url, db)).unwrap();
    admin
        .query(&format!("SELECT count() FROM {db}_gold.fct_sales"))
        .expect("the table is still there");
}

/// `v` as JSON text, the `at` of each object of an array left out.
fn without_at(v: &serde_json::Value) -> String {
    let mut v = v.clone();
    if let Some(items) = v.as_array_mut() {
        for item in items.iter_mut().filter_map(|i| i.as_object_mut()) {
            item.remove("at");
        }
    }
    v.to_string()
}
