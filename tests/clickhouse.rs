//! The ClickHouse client against the real server the test script starts (18.16 here):
//! clear errors for each kind of bad setting, streamed loads, GROUP BY push-down whose
//! answers match DuckDB's, and read-only browsing.

mod common;

use assay_engine::config::Warehouse;
use assay_engine::warehouse::ClickHouse;
use common::warehouse::settings;

const URL: &str = "http://127.0.0.1:8123";

#[path = "on_clickhouse/demo.rs"]
mod demo;

/// `assay demo --warehouse clickhouse` on 18.16 gives the cache's numbers everywhere.
#[test]
fn the_demo_builds_the_same_gold_on_clickhouse() {
    demo::the_demo_on(URL);
}

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

#[path = "on_clickhouse/legacy.rs"]
mod legacy;
#[path = "on_clickhouse/live.rs"]
mod live;
#[path = "on_clickhouse/loads.rs"]
mod loads;

/// The workbench through its real worker on a ClickHouse workspace gives the cache's numbers.
#[test]
fn the_live_workbench_on_clickhouse_gives_the_caches_numbers() {
    live::the_live_workbench_gives_the_caches_numbers(URL);
}

/// A legacy side read from a ClickHouse table gives the files' numbers.
#[test]
fn legacy_from_a_clickhouse_table_gives_the_numbers_the_files_gave() {
    legacy::legacy_from_a_clickhouse_table(URL);
}

#[test]
fn loads_stream_in_and_group_by_runs_on_the_server() {
    loads::loads_stream_in_and_group_by_runs_on_the_server(URL);
}

#[path = "on_clickhouse/bronze.rs"]
mod bronze;

#[test]
fn extraction_publishes_bronze_to_clickhouse() {
    bronze::extraction_publishes_bronze(URL);
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

#[path = "on_clickhouse/failed_build.rs"]
mod failed_build;

#[test]
fn a_failed_build_leaves_no_half_built_table() {
    failed_build::leaves_no_half_built_table(URL);
}

/// The second server and the cluster over both that scripts/test.sh starts.
const CLUSTER: &str = "assay_two_shards";
const SHARDS: [&str; 2] = [URL, "http://127.0.0.1:8124"];

/// The demo with its layers spread over a real two-shard cluster gives the cache's numbers
/// everywhere (as on one server), and its rows live on both shards, each company's on one.
#[test]
fn the_demo_on_a_two_shard_cluster_gives_the_caches_numbers() {
    demo::the_demo_on_servers(URL, Some((CLUSTER, &SHARDS[..])), &|ws, db| {
        let shard = |url: &str| ClickHouse::connect(&settings(url, "default")).unwrap();
        let main = ClickHouse::connect(&settings(URL, db)).unwrap();
        for (layer, table) in [("bronze", "invoices__data"), ("gold", "fct_sales")] {
            let (column, mut total) = (
                if layer == "bronze" {
                    "_company"
                } else {
                    "company"
                },
                0,
            );
            let mut seen: Vec<String> = Vec::new();
            for url in SHARDS {
                let (frame, _) = shard(url)
                    .query(&format!(
                        "SELECT {column}, count() FROM {db}_{layer}_shard.{table} GROUP BY {column}"
                    ))
                    .unwrap();
                let rows = assay_engine::frame::to_text_rows(&frame);
                assert!(rows.len() > 1, "no rows of {layer}.{table} on {url}");
                for r in rows.into_iter().skip(1) {
                    assert!(!seen.contains(&r[0]), "{} on two shards", r[0]);
                    total += r[1].parse::<i64>().unwrap();
                    seen.push(r[0].clone());
                }
            }
            let (all, _) = main
                .query_number(&format!("SELECT count() FROM {db}_{layer}.{table}"))
                .unwrap();
            assert_eq!(all, total, "{layer}.{table}");
            assert_eq!(seen.len(), 8, "{seen:?}");
        }
        // A second build swaps every shard's table and the Distributed tables over them:
        // the same rows, none doubled or lost.
        let gold = format!("SELECT count(), toString(sum(net_amount)) FROM {db}_gold.fct_sales");
        let before = assay_engine::frame::to_text_rows(&main.query(&gold).unwrap().0);
        let out = common::assay(ws, &["build"]);
        assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
        let after = assay_engine::frame::to_text_rows(&main.query(&gold).unwrap().0);
        assert_eq!(before, after);
    });
}

/// A cluster the server does not know, a shard list that does not match it, and one
/// server listed twice are each named.
#[test]
fn bad_cluster_settings_are_named() {
    let cluster = |name: &str, shards: &[&str]| {
        let mut w = settings(URL, "default");
        w.cluster = Some(name.into());
        w.shards = Some(shards.iter().map(|s| s.to_string()).collect());
        match assay_engine::warehouse::connect(&w) {
            Ok(_) => panic!("connected with {w:?}"),
            Err(e) => e.to_string(),
        }
    };
    let unknown = cluster("no_such_cluster", &SHARDS);
    assert!(
        unknown.contains("warehouse.cluster") && unknown.contains("no cluster `no_such_cluster`"),
        "{unknown}"
    );
    let short = cluster(CLUSTER, &[URL]);
    assert!(
        short.contains("warehouse.shards lists 1 server(s)") && short.contains("2 shard(s)"),
        "{short}"
    );
    let twice = cluster(CLUSTER, &[URL, URL]);
    assert!(
        twice.contains("warehouse.shards[1]") && twice.contains("is shard 1"),
        "{twice}"
    );
    let down = cluster(CLUSTER, &[URL, "http://127.0.0.1:1"]);
    assert!(down.contains("(warehouse.shards[1])"), "{down}");
}

/// The workbench through its real worker and lanes on a cluster workspace gives the
/// cache's numbers.
#[test]
fn the_live_workbench_on_a_two_shard_cluster_gives_the_caches_numbers() {
    live::the_live_workbench_on_a_cluster(URL, (CLUSTER, &SHARDS));
}
