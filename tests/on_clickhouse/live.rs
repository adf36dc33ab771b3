//! The workbench through its real worker and lanes (jobs on `spawn_blocking`, ClickHouse
//! sessions with their own cancel, latest wins) on a ClickHouse workspace: opening the
//! comparison fills its report, causes and drill with the numbers the same workbench gives
//! over the cache. Run on each ClickHouse the tests have (`tests/clickhouse.rs`: 18.16;
//! `tests/clickhouse_current.rs`: current).

use std::time::Duration;

use assay_workbench::live::Live;
use assay_workbench::screens::drill::DrillScreen;
use assay_workbench::theme::Theme;

use crate::common::warehouse::{built_demo_in, built_demo_with, drop_layers};

const PATIENCE: Duration = Duration::from_secs(90);

/// What the opened comparison shows: the gap, each cause (dimension, value, delta) and the
/// drill's first bars (value, legacy, new, rows).
type Seen = (String, Vec<String>, Vec<String>);

fn opened(ws: &std::path::Path) -> Seen {
    let mut live = Live::open(ws, 80, 24, Theme::built_in("mono")).unwrap();
    live.settle(PATIENCE);
    live.press("3");
    let done = live.wait_until(PATIENCE, |app| {
        app.comparison().report.is_some()
            && app.get::<DrillScreen>().causes.is_some()
            && app
                .get::<DrillScreen>()
                .stack
                .first()
                .is_some_and(|s| !s.rows.is_empty())
            && app.busy.is_empty()
    });
    assert!(done, "{}", live.text());
    let app = &live.app;
    let gap = app.comparison().report.as_ref().unwrap().measures[0]
        .delta
        .to_string();
    let causes = match app.get::<DrillScreen>().causes.as_ref().unwrap() {
        Ok(list) => list
            .iter()
            .map(|c| format!("{} {} {}", c.dimension, c.value, c.delta))
            .collect(),
        Err(e) => panic!("causes failed: {e}"),
    };
    let bars = app.get::<DrillScreen>().stack[0]
        .rows
        .iter()
        .map(|r| format!("{:?} {:.2} {:.2} {}", r.value, r.legacy, r.new, r.rows))
        .collect();
    (gap, causes, bars)
}

pub fn the_live_workbench_gives_the_caches_numbers(url: &str) {
    let db = format!("assay_live_{}", std::process::id());
    drop_layers(url, &db);
    let tmp = tempfile::tempdir().unwrap();
    let dk = built_demo_in(tmp.path(), "dk", ("3000", "7"), None);
    let ch = built_demo_in(tmp.path(), "ch", ("3000", "7"), Some((url, &db)));
    let (on_ch, on_dk) = (opened(&ch), opened(&dk));
    assert!(!on_dk.1.is_empty() && !on_dk.2.is_empty(), "{on_dk:?}");
    assert_eq!(on_ch, on_dk);
    drop_layers(url, &db);
}

/// The same on a cluster: the layers spread over `shards` of `cluster` (one of them `url`).
/// 18.16 only: chdb is one server.
#[allow(dead_code)]
pub fn the_live_workbench_on_a_cluster(url: &str, (cluster, shards): (&str, &[&str])) {
    let db = format!("assay_live_cluster_{}", std::process::id());
    for server in shards {
        drop_layers(server, &db);
    }
    let tmp = tempfile::tempdir().unwrap();
    let dk = built_demo_in(tmp.path(), "dk", ("3000", "7"), None);
    let list = shards.join(",");
    let more = [
        "--clickhouse-cluster",
        cluster,
        "--clickhouse-shards",
        &list,
    ];
    let ch = built_demo_with(tmp.path(), "ch", ("3000", "7"), Some((url, &db)), &more);
    let (on_ch, on_dk) = (opened(&ch), opened(&dk));
    assert!(!on_dk.1.is_empty() && !on_dk.2.is_empty(), "{on_dk:?}");
    assert_eq!(on_ch, on_dk);
    for server in shards {
        drop_layers(server, &db);
    }
}
