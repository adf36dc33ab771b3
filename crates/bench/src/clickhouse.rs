//! A drill step on a large table stored in ClickHouse: the GROUP BY assay sends (through
//! the `clickhouse` crate) against the same statement sent with `clickhouse-client`, and
//! the bytes that crossed the wire against the table's size.

use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::config::Warehouse;
use crate::error::{Error, Result};
use crate::recon::pushdown::{group_remote, remote_group_sql, DrillPath};
use crate::warehouse::ClickHouse;
use assay_engine::dialect::Dialect;

/// Written for ClickHouse.
const CH: Dialect = Dialect::ClickHouse;

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub by: String,
    pub path: DrillPath,
    pub groups: usize,
    pub assay_ms: f64,
    pub client_ms: f64,
    pub ratio: f64,
    pub wire_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClickHouseBench {
    pub rows: u64,
    pub table_bytes_uncompressed: u64,
    pub steps: Vec<Step>,
    /// Largest share of the table's size that crossed the wire in one step.
    pub max_wire_share: f64,
}

pub(super) const DB: &str = "assay_bench";

pub(super) fn settings(url: &str, db: &str) -> Warehouse {
    Warehouse::clickhouse(url, db, 600)
}

pub fn clickhouse_bench(url: &str, rows: u64, log: &dyn Fn(&str)) -> Result<ClickHouseBench> {
    let (ch, table_bytes) = sales_table(url, DB, rows, log)?;
    let plan: Vec<(&str, DrillPath)> = vec![
        ("company", vec![]),
        ("branch", vec![("company".into(), Some("c3".into()))]),
        (
            "invoice_type",
            vec![
                ("company".into(), Some("c3".into())),
                ("branch".into(), Some("b5".into())),
            ],
        ),
        (
            "month",
            vec![
                ("company".into(), Some("c3".into())),
                ("invoice_type".into(), Some("CANCELLED".into())),
            ],
        ),
    ];
    // `net_amount` is a Float64: each value rounded to 6 places, then summed exactly.
    let net_amount = (
        "net_amount",
        assay_engine::decimal::Numeric::of("DOUBLE").expect("a float"),
    );
    let mut steps = Vec::new();
    for (by, path) in plan {
        log(&format!("drill step by {by}"));
        let sql = remote_group_sql("drill_sales", net_amount, by, &path);
        let (mut best, mut best_client, mut groups, mut wire) = (f64::MAX, f64::MAX, 0, 0);
        for _ in 0..3 {
            let start = Instant::now();
            let (g, w) = group_remote(&ch, "drill_sales", net_amount, by, &path)?;
            best = best.min(start.elapsed().as_secs_f64() * 1000.0);
            groups = g.len();
            wire = w.bytes;
            let start = Instant::now();
            let out = Command::new("clickhouse-client")
                .args([
                    "--database",
                    DB,
                    "--format",
                    "TSVWithNamesAndTypes",
                    "--query",
                    &sql,
                ])
                .output()
                .map_err(|e| Error::Runtime(format!("cannot run clickhouse-client: {e}")))?;
            best_client = best_client.min(start.elapsed().as_secs_f64() * 1000.0);
            if !out.status.success() {
                return Err(Error::Runtime(format!(
                    "clickhouse-client: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
        }
        steps.push(Step {
            by: by.to_string(),
            path,
            groups,
            assay_ms: best,
            client_ms: best_client,
            ratio: best / best_client,
            wire_bytes: wire,
        });
    }
    let max_wire_share = steps
        .iter()
        .map(|s| s.wire_bytes as f64 / table_bytes.max(1) as f64)
        .fold(0.0, f64::max);
    Ok(ClickHouseBench {
        rows,
        table_bytes_uncompressed: table_bytes,
        steps,
        max_wire_share,
    })
}

/// The bench's `drill_sales` table of `rows` rows in ClickHouse (generated there unless a
/// previous run left it), and its uncompressed size in bytes.
pub(super) fn sales_table(
    url: &str,
    db: &str,
    rows: u64,
    log: &dyn Fn(&str),
) -> Result<(ClickHouse, u64)> {
    let admin = ClickHouse::connect(&settings(url, "default"))?;
    admin.execute(&format!("CREATE DATABASE IF NOT EXISTS {}", CH.ident(db)))?;
    let ch = ClickHouse::connect(&settings(url, db))?;
    let existing = ch
        .query(&format!(
            "SELECT count() FROM system.tables WHERE database = {} AND name = 'drill_sales'",
            CH.literal(db)
        ))
        .map(|(f, _)| crate::frame::to_text_rows(&f)[1][0] == "1")?;
    let count = |ch: &ClickHouse| -> Result<u64> {
        let (f, _) = ch.query("SELECT count() FROM drill_sales")?;
        Ok(crate::frame::to_text_rows(&f)[1][0].parse().unwrap_or(0))
    };
    if !existing || count(&ch)? != rows {
        log(&format!("generating {rows} rows in ClickHouse"));
        ch.execute("DROP TABLE IF EXISTS drill_sales")?;
        ch.execute(
            "CREATE TABLE drill_sales (company String, invoice_id UInt64, branch String, invoice_type String, \
             month Date, net_amount Float64) ENGINE = MergeTree ORDER BY (company, invoice_id)",
        )?;
        ch.execute(&format!(
            "INSERT INTO drill_sales SELECT concat('c', toString(number % 8)), number, concat('b', toString(number % 13)), \
             arrayElement(['SALE', 'RETURN', 'CANCELLED', 'INTERCOMPANY'], intDiv(number, 104) % 4 + 1), \
             toDate('2023-01-01') + number % 730, (number * 7919) % 100000 / 100 \
             FROM system.numbers LIMIT {rows}"
        ))?;
    }
    let (sizes, _) = ch.query(&format!(
        "SELECT sum(data_uncompressed_bytes) FROM system.parts WHERE database = {} AND table = 'drill_sales' AND active",
        CH.literal(db)
    ))?;
    let table_bytes: u64 = crate::frame::to_text_rows(&sizes)[1][0]
        .parse()
        .unwrap_or(0);
    Ok((ch, table_bytes))
}
