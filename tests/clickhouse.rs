//! The ClickHouse client against the real server the test script starts (18.16 here):
//! clear errors for each kind of bad setting, streamed loads, GROUP BY push-down whose
//! answers match DuckDB's, and read-only browsing.

mod common;

use assay_engine::config::Warehouse;
use assay_engine::warehouse::ClickHouse;
use assay_workbench::screens::{
    compare::CompareScreen, drill::DrillScreen, layers::LayersScreen, sql::SqlScreen,
};
use common::*;
use duckdb::Connection;

fn settings(url: &str, database: &str) -> Warehouse {
    Warehouse::clickhouse(url, database, 20)
}

const URL: &str = "http://127.0.0.1:8123";

fn error_of(w: &Warehouse) -> String {
    match ClickHouse::connect(w) {
        Ok(_) => panic!("connected with {w:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_settings_are_named() {
    let down = error_of(&settings("http://127.0.0.1:1", "default"));
    assert!(
        down.contains("cannot reach ClickHouse at http://127.0.0.1:1 (warehouse.url)"),
        "{down}"
    );
    // Credentials written into the URL never appear in a message.
    let with_secret = error_of(&settings("http://alice:s3cret@127.0.0.1:1", "default"));
    assert!(
        with_secret.contains("cannot reach ClickHouse at http://127.0.0.1:1 (warehouse.url)")
            && !with_secret.contains("s3cret"),
        "{with_secret}"
    );
    let no_db = error_of(&settings(URL, "no_such_db"));
    assert!(
        no_db.contains("warehouse.database") && no_db.contains("no_such_db"),
        "{no_db}"
    );
    let mut stranger = settings(URL, "default");
    stranger.user = Some("nobody_here".into());
    let login = error_of(&stranger);
    assert!(
        login.contains("refused the login of `nobody_here`"),
        "{login}"
    );
    let mut secret = settings(URL, "default");
    secret.password_env = Some("ASSAY_TEST_UNSET_PASSWORD".into());
    let env = error_of(&secret);
    assert!(
        env.contains("`ASSAY_TEST_UNSET_PASSWORD`, which is not set"),
        "{env}"
    );
}

#[test]
fn loads_stream_in_and_group_by_runs_on_the_server() {
    let admin =
        ClickHouse::connect(&settings(URL, "default")).expect("the test script starts ClickHouse");
    let db = format!("assay_test_{}", std::process::id());
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    admin.execute(&format!("CREATE DATABASE {db}")).unwrap();
    let ch = ClickHouse::connect(&settings(URL, &db)).unwrap();
    ch.execute(
        "CREATE TABLE sales (invoice_id UInt64, branch String, invoice_type String, amount Float64, note Nullable(String)) \
         ENGINE = MergeTree ORDER BY invoice_id",
    )
    .unwrap();

    // The same rows in DuckDB, written out as the CSV the load streams.
    let duck = Connection::open_in_memory().unwrap();
    duck.execute_batch(
        "CREATE TABLE sales AS SELECT i AS invoice_id, ['north','south','east'][i % 3 + 1] AS branch, \
         ['SALE','RETURN','CANCELLED'][i % 7 % 3 + 1] AS invoice_type, round((i * 7919) % 10000 / 100.0, 2) AS amount, \
         CASE WHEN i % 5 = 0 THEN NULL ELSE 'n, \"' || i || '\"' END AS note FROM range(200000) t(i)",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("sales.csv");
    // NULL travels as \N, which ClickHouse's CSV reads as NULL (an empty field is '').
    duck.execute_batch(&format!(
        "COPY sales TO '{}' (HEADER, DELIMITER ',', NULLSTR '\\N')",
        csv.display()
    ))
    .unwrap();
    let sent = ch.load_csv("sales", &csv).unwrap();
    assert!(sent.bytes > 1_000_000);

    let (frame, wire) = ch
        .query("SELECT branch, invoice_type, count() AS n, round(sum(amount), 2) AS total, countIf(note IS NULL) AS no_note \
                FROM sales GROUP BY branch, invoice_type ORDER BY branch, invoice_type")
        .unwrap();
    let theirs = assay_engine::frame::to_text_rows(&frame);
    let ours = assay_engine::frame::to_text_rows(
        &assay_engine::frame::query(
            &duck,
            "SELECT branch, invoice_type, count(*) AS n, round(sum(amount), 2) AS total, count(*) FILTER (WHERE note IS NULL) AS no_note \
             FROM sales GROUP BY ALL ORDER BY branch, invoice_type",
            [],
        )
        .unwrap(),
    );
    assert_eq!(theirs.len(), 10, "{theirs:?}");
    for (t, o) in theirs.iter().zip(&ours).skip(1) {
        assert_eq!(t[..3], o[..3]);
        let (a, b): (f64, f64) = (t[3].parse().unwrap(), o[3].parse().unwrap());
        assert!((a - b).abs() < 0.01, "{t:?} vs {o:?}");
        assert_eq!(t[4], o[4]);
    }
    // Only the nine group rows crossed the wire, not the 200k rows.
    assert_eq!(wire.rows, 9);
    assert!(wire.bytes < 2_000, "{wire:?}");
    // Text with commas, quotes and NULLs survived the trip.
    let (notes, _) = ch
        .query("SELECT note FROM sales WHERE invoice_id IN (1, 5) ORDER BY invoice_id")
        .unwrap();
    let notes = assay_engine::frame::to_text_rows(&notes);
    assert_eq!(notes[1][0], "n, \"1\"");
    assert_eq!(notes[2][0], "");

    // Browsing is read-only: a write through that path is refused by the server.
    let refused = ch.query_readonly("CREATE TABLE sneaky (x UInt8) ENGINE = Memory");
    assert!(refused.is_err());
    let (tables, _) = ch
        .query_readonly("SELECT name FROM system.tables WHERE database = currentDatabase()")
        .unwrap();
    assert_eq!(
        assay_engine::frame::to_text_rows(&tables).len(),
        2,
        "only `sales`"
    );
    // A broken statement is an error naming the statement, not a panic.
    let broken = ch
        .query("SELECT no_such_column FROM sales")
        .unwrap_err()
        .to_string();
    assert!(broken.contains("no_such_column"), "{broken}");

    drill_step_on_clickhouse_matches_duckdb(&ch, &duck, &csv);

    admin.execute(&format!("DROP DATABASE {db}")).unwrap();
}

/// New side in ClickHouse (the sales plus planted extra rows), legacy side in DuckDB: the
/// pushed-down drill step gives the numbers a DuckDB-only drill gives.
fn drill_step_on_clickhouse_matches_duckdb(
    ch: &ClickHouse,
    duck: &Connection,
    csv: &std::path::Path,
) {
    use assay_engine::recon::pushdown::{group_local, group_remote, merge};
    duck.execute_batch(
        "CREATE TABLE legacy AS SELECT * FROM sales WHERE invoice_type <> 'CANCELLED';\
         CREATE TABLE gold AS SELECT * FROM sales UNION ALL SELECT invoice_id + 1000000, branch, 'INTERCOMPANY', amount, note FROM sales WHERE invoice_id % 50 = 0;",
    )
    .unwrap();
    ch.execute(
        "CREATE TABLE gold (invoice_id UInt64, branch String, invoice_type String, amount Float64, note Nullable(String)) \
         ENGINE = MergeTree ORDER BY invoice_id",
    )
    .unwrap();
    let gold_csv = csv.with_file_name("gold.csv");
    duck.execute_batch(&format!(
        "COPY gold TO '{}' (HEADER, DELIMITER ',', NULLSTR '\\N')",
        gold_csv.display()
    ))
    .unwrap();
    ch.load_csv("gold", &gold_csv).unwrap();
    // `amount` is a float on both engines: each value rounded to 6 places, summed exactly.
    let amount = (
        "amount",
        assay_engine::decimal::Numeric::of("DOUBLE").unwrap(),
    );
    let total = |rel: &str| -> assay_engine::decimal::Exact {
        let text: String = duck
            .query_row(
                &format!("SELECT CAST(sum(CAST(amount AS DECIMAL(38, 6))) AS VARCHAR) FROM {rel}"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assay_engine::decimal::Exact::parse(&text).unwrap()
    };
    let total_delta = total("gold").minus(total("legacy")).unwrap();
    for path in [
        vec![],
        vec![("branch".to_string(), Some("north".to_string()))],
    ] {
        let legacy = group_local(duck, "legacy", amount, "invoice_type", &path).unwrap();
        let (remote, wire) = group_remote(ch, "gold", amount, "invoice_type", &path).unwrap();
        let local_new = group_local(duck, "gold", amount, "invoice_type", &path).unwrap();
        let pushed = merge(&legacy, &remote, total_delta).unwrap();
        let reference = merge(&legacy, &local_new, total_delta).unwrap();
        assert_eq!(pushed.len(), 4, "{pushed:?}");
        // The same exact amounts from either engine, in the same order.
        assert_eq!(pushed, reference);
        assert_eq!(pushed[0].value.as_deref(), Some("CANCELLED"));
        let ic = pushed
            .iter()
            .find(|p| p.value.as_deref() == Some("INTERCOMPANY"))
            .unwrap();
        assert!(
            ic.legacy.is_zero() && ic.new > assay_engine::decimal::Exact::ZERO,
            "{ic:?}"
        );
        assert!(wire.rows == 4 && wire.bytes < 1_000, "{wire:?}");
    }
}

/// Extraction with a ClickHouse warehouse: every run's rows land in a MergeTree table, the
/// bronze view shows each company's current run, and it agrees with the cache.
#[test]
fn extraction_publishes_bronze_to_clickhouse() {
    let admin = ClickHouse::connect(&settings(URL, "default")).unwrap();
    let db = format!("assay_ws_{}", std::process::id());
    let bronze = format!("{db}_bronze");
    for d in [&db, &bronze, &format!("{db}_gold")] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {d}"))
            .unwrap();
    }
    admin.execute(&format!("CREATE DATABASE {db}")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = assay(tmp.path(), &["demo", "ws", "--rows", "5000", "--seed", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = tmp.path().join("ws");
    let config = std::fs::read_to_string(ws.join("assay.toml"))
        .unwrap()
        .replace(
            "[warehouse]\nkind = \"duckdb\"",
            &format!("[warehouse]\nkind = \"clickhouse\"\nurl = \"{URL}\"\ndatabase = \"{db}\""),
        );
    std::fs::write(ws.join("assay.toml"), config).unwrap();
    let out = assay(&ws, &["extract", "--all", "--entity", "invoices"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let ch = ClickHouse::connect(&settings(URL, &db)).unwrap();
    let per_company = |ch: &ClickHouse| -> Vec<Vec<String>> {
        let (f, _) = ch
            .query(&format!("SELECT _company, count() AS n FROM {bronze}.invoices GROUP BY _company ORDER BY _company"))
            .unwrap();
        assay_engine::frame::to_text_rows(&f)
            .into_iter()
            .skip(1)
            .collect()
    };
    let cache = |ws: &std::path::Path| -> Vec<Vec<String>> {
        sql_csv(
            ws,
            "SELECT _company, count(*) AS n FROM bronze.invoices GROUP BY 1 ORDER BY 1",
        )
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
    };
    let first = per_company(&ch);
    assert_eq!(first.len(), 8);
    assert_eq!(first, cache(&ws));
    let (types, _) = ch
        .query(&format!(
            "SELECT name, type FROM system.columns WHERE database = '{bronze}' AND table = 'invoices__data' AND name IN ('invoice_date', '_run_id')  ORDER BY name"
        ))
        .unwrap();
    let types = assay_engine::frame::to_text_rows(&types);
    assert_eq!(types[1], vec!["_run_id", "Int64"]);
    assert_eq!(types[2], vec!["invoice_date", "Nullable(Date)"]);

    // A new run for one company: the view moves to it, the other companies stay, and
    // ClickHouse still agrees with the cache.
    let out = assay(
        &ws,
        &[
            "extract",
            "--company",
            "acme",
            "--entity",
            "invoices",
            "--full-refresh",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(per_company(&ch), cache(&ws));
    let (runs, _) = ch
        .query(&format!(
            "SELECT uniqExact(_run_id) FROM {bronze}.invoices__data WHERE _company = 'acme'"
        ))
        .unwrap();
    assert_eq!(
        assay_engine::frame::to_text_rows(&runs)[1][0],
        "2",
        "both acme runs are kept (retention)"
    );

    // Builds run on ClickHouse: a model in its dialect, reading `bronze.…`, lands in the
    // workspace's gold database; a broken one names its file and ClickHouse's complaint.
    let gold = format!("{db}_gold");
    std::fs::write(
        ws.join("models/gold/ch_type_totals.sql"),
        "SELECT _company AS company, invoice_type, count() AS invoices FROM bronze.invoices GROUP BY company, invoice_type",
    )
    .unwrap();
    std::fs::write(
        ws.join("models/gold/ch_broken.sql"),
        "SELECT no_such_column FROM bronze.invoices",
    )
    .unwrap();
    for _ in 0..2 {
        // Twice: the second build replaces the first table.
        let out = assay(&ws, &["build", "--select", "gold.ch_type_totals"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let (built, _) = ch
        .query(&format!("SELECT sum(invoices) FROM {gold}.ch_type_totals"))
        .unwrap();
    let cached = sql_csv(&ws, "SELECT count(*) FROM bronze.invoices");
    assert_eq!(
        assay_engine::frame::to_text_rows(&built)[1][0],
        cached.lines().nth(1).unwrap()
    );
    let out = assay(&ws, &["build", "--select", "gold.ch_broken"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out).contains("ch_broken.sql") && text(&out).contains("no_such_column"),
        "{}",
        text(&out)
    );
    let (tables, _) = ch
        .query(&format!(
            "SELECT name FROM system.tables WHERE database = '{gold}' ORDER BY name"
        ))
        .unwrap();
    let tables: Vec<String> = assay_engine::frame::to_text_rows(&tables)
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert!(
        tables.contains(&"ch_type_totals".to_string())
            && !tables.iter().any(|t| t.ends_with("__old")),
        "{tables:?}"
    );

    // Retention: keep one version, and ClickHouse drops acme's older runs (a background
    // mutation: wait for it), while the view still shows the current one.
    let config = std::fs::read_to_string(ws.join("assay.toml"))
        .unwrap()
        .replace("retention = 3", "retention = 1");
    std::fs::write(ws.join("assay.toml"), config).unwrap();
    // Read again though unchanged: a new version is what makes retention prune.
    let out = assay(
        &ws,
        &[
            "extract",
            "--company",
            "acme",
            "--entity",
            "invoices",
            "--full-refresh",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let acme_runs = || {
        let (r, _) = ch
            .query(&format!(
                "SELECT uniqExact(_run_id) FROM {bronze}.invoices__data WHERE _company = 'acme'"
            ))
            .unwrap();
        assay_engine::frame::to_text_rows(&r)[1][0].clone()
    };
    let start = std::time::Instant::now();
    while acme_runs() != "1" && start.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(acme_runs(), "1");
    assert_eq!(per_company(&ch), cache(&ws));

    // Drift: acme's files gain a column; the cache merges it and so does ClickHouse.
    for year in ["2023", "2024"] {
        let file = ws.join(format!("sources/files/acme/invoices_{year}.csv"));
        let widened: String = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{l},{}\n", if i == 0 { "channel" } else { "web" }))
            .collect();
        std::fs::write(&file, widened).unwrap();
    }
    let out = assay(
        &ws,
        &["extract", "--company", "acme", "--entity", "invoices"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (channels, _) = ch
        .query(&format!("SELECT _company, countIf(ifNull(channel, '') = 'web') FROM {bronze}.invoices GROUP BY _company ORDER BY _company"))
        .unwrap();
    let channels = assay_engine::frame::to_text_rows(&channels);
    assert_eq!(channels[1][0], "acme");
    assert_eq!(
        channels[1][1], first[0][1],
        "every acme invoice has its channel"
    );
    assert_eq!(channels[2][1], "0", "the others have none");

    for d in [&db, &bronze, &gold] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {d}"))
            .unwrap();
    }
}

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
#[test]
fn the_demo_builds_the_same_gold_on_clickhouse() {
    let db = format!("assay_demo_{}", std::process::id());
    let layers: Vec<String> = ["", "_bronze", "_silver", "_gold"]
        .iter()
        .map(|l| format!("{db}{l}"))
        .collect();
    let admin = ClickHouse::connect(&settings(URL, "default")).unwrap();
    let drop_all = || {
        for d in &layers {
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
            let ch = ClickHouse::connect(&settings(URL, &db)).unwrap();
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
    let out = assay(
        tmp.path(),
        &[
            "demo",
            "ch",
            "--seed",
            "3",
            "--rows",
            "20000",
            "--warehouse",
            "clickhouse",
            "--clickhouse-url",
            URL,
            "--clickhouse-database",
            &db,
        ],
    );
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

    let json = |ws: &std::path::Path, args: &[&str]| -> serde_json::Value {
        let out = assay(ws, args);
        // compare exits 1 when a measure is out of tolerance (the demo's is).
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
    };
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
    let fixed = ClickHouse::connect(&settings(URL, &db))
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
    browsing_a_clickhouse_workspace(&ch, &db, r["rows"]["new_rows"].as_i64().unwrap());
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
        screen.contains("equal rows stay in the warehouse"),
        "{screen}"
    );
}

/// The workbench on a ClickHouse workspace: Layers lists ClickHouse's tables (and the
/// cache's legacy exports), pages, filters and profiles them there; the SQL console asks
/// ClickHouse read-only, so a write is refused.
fn browsing_a_clickhouse_workspace(ws: &std::path::Path, db: &str, fct_rows: i64) {
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
    let admin = ClickHouse::connect(&settings(URL, db)).unwrap();
    admin
        .query(&format!("SELECT count() FROM {db}_gold.fct_sales"))
        .expect("the table is still there");
}

/// Cancelled work abandons the query in flight (the caller gets `Cancelled`, not the
/// answer or a timeout) and the server is asked to kill it, so it stops there too; so does
/// a query that outlives `timeout_secs`.
#[test]
fn cancelling_stops_the_query_on_the_server() {
    use assay_engine::error::Error;
    use assay_engine::extract::Cancel;
    let ch = ClickHouse::connect(&settings(URL, "default")).unwrap();
    let cancel = Cancel::new();
    ch.watch(Some(cancel.clone()));
    let marker = format!("cancel_test_{}", std::process::id());
    let later = cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        later.cancel();
    });
    // Minutes of work on 18.16, far beyond the 20 s timeout these settings give.
    let long = format!("SELECT sum(number) AS {marker} FROM numbers(1000000000000)");
    let result = ch.query_readonly(&long);
    canceller.join().unwrap();
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    let watcher = ClickHouse::connect(&settings(URL, "default")).unwrap();
    let running = || {
        watcher
            .query_number(&format!(
                "SELECT count() AS n FROM system.processes WHERE query LIKE '%{marker}%' AND query NOT LIKE '%system.processes%'"
            ))
            .unwrap()
            .0
    };
    // Queries still running after up to 10 s of waiting.
    let left_after_waiting = || {
        let mut left = running();
        for _ in 0..100 {
            if left == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            left = running();
        }
        left
    };
    assert_eq!(
        left_after_waiting(),
        0,
        "the query still runs on the server"
    );

    // A timeout names its setting, and kills the query the same way.
    let mut short = settings(URL, "default");
    short.timeout_secs = Some(1);
    let slow = ClickHouse::connect(&short).unwrap();
    let err = slow.query_readonly(&long).unwrap_err().to_string();
    assert!(err.contains("warehouse.timeout_secs"), "{err}");
    assert_eq!(
        left_after_waiting(),
        0,
        "the timed-out query still runs on the server"
    );
}

#[test]
fn a_failed_build_leaves_no_half_built_table() {
    let admin = ClickHouse::connect(&settings(URL, "default")).unwrap();
    let db = format!("assay_failbuild_{}", std::process::id());
    for d in [db.clone(), format!("{db}_gold")] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {d}"))
            .unwrap();
    }
    admin.execute(&format!("CREATE DATABASE {db}")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    std::fs::write(
        ws.join("assay.toml"),
        format!("[warehouse]\nkind = \"clickhouse\"\nurl = \"{URL}\"\ndatabase = \"{db}\"\n"),
    )
    .unwrap();
    std::fs::create_dir_all(ws.join("models/gold")).unwrap();
    // The table is created before the SELECT fails part way: ClickHouse does not undo it.
    std::fs::write(
        ws.join("models/gold/boom.sql"),
        "SELECT throwIf(number = 5000) AS x FROM system.numbers LIMIT 100000\n",
    )
    .unwrap();
    let out = assay(ws, &["build"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("throwIf"), "{}", text(&out));
    let (left, _) = admin
        .query_number(&format!(
            "SELECT count() FROM system.tables WHERE database = '{db}_gold' AND name LIKE '%building%'"
        ))
        .unwrap();
    assert_eq!(left, 0, "a __building table survived the failed build");
    let out = assay(
        ws,
        &["sql", "SELECT status FROM assay.runs", "--format", "csv"],
    );
    assert_eq!(stdout(&out), "status\nfailed\n", "{}", text(&out));
    for d in [db.clone(), format!("{db}_gold")] {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {d}"))
            .unwrap();
    }
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
