//! Extraction publishes bronze to a ClickHouse warehouse: every run's rows, every value as
//! the cache holds it, versions switched by the pointer table, retention, drift and builds
//! on the server. Run on each ClickHouse the tests have (`tests/clickhouse.rs`: 18.16;
//! `tests/clickhouse_current.rs`: current ClickHouse).

use assay_engine::warehouse::ClickHouse;

use crate::common::warehouse::settings;

use crate::common::{assay, sql_csv, text};

/// Extraction with a ClickHouse warehouse: every run's rows land in a MergeTree table, the
/// bronze view shows each company's current run, and it agrees with the cache.
pub fn extraction_publishes_bronze(url: &str) {
    let admin = ClickHouse::connect(&settings(url, "default")).unwrap();
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
            &format!("[warehouse]\nkind = \"clickhouse\"\nurl = \"{url}\"\ndatabase = \"{db}\""),
        );
    std::fs::write(ws.join("assay.toml"), config).unwrap();
    let out = assay(&ws, &["extract", "--all", "--entity", "invoices"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let ch = ClickHouse::connect(&settings(url, &db)).unwrap();
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
    // Every value arrives as the cache holds it, times included: current ClickHouse
    // matches a CSV header to the columns by name, and a header naming the time's
    // conversion instead of the column loaded every `posted_at` as NULL and every
    // `_loaded_at` as 1970.
    let (f, _) = ch
        .query(&format!(
            "SELECT count(posted_at), toString(min(posted_at)), toString(max(posted_at)), \
             toString(min(_loaded_at)), count(branch), uniqExact(invoice_id) \
             FROM {bronze}.invoices"
        ))
        .unwrap();
    let in_warehouse = assay_engine::frame::to_text_rows(&f)[1].join(",");
    let in_cache = sql_csv(
        &ws,
        "SELECT count(posted_at), strftime(min(posted_at), '%Y-%m-%d %H:%M:%S'), \
         strftime(max(posted_at), '%Y-%m-%d %H:%M:%S'), \
         strftime(min(_loaded_at), '%Y-%m-%d %H:%M:%S'), count(branch), \
         count(DISTINCT invoice_id) FROM bronze.invoices",
    );
    assert_eq!(in_warehouse, in_cache.lines().nth(1).unwrap());
    assert!(!in_warehouse.starts_with("0,"), "{in_warehouse}");
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
    refresh_acme(&ws);
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
    refresh_acme(&ws);
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

/// A new run of acme's invoices, read again in full.
fn refresh_acme(ws: &std::path::Path) {
    let out = assay(
        ws,
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
}
