//! Benchmarks that measure assay against a baseline in the same run, and report ratios.
//! They print figures; they assert nothing (targets are read by people, not by tests).

mod clickhouse;
mod clickhouse_compare;
mod compare;
mod extract;

pub use clickhouse::{clickhouse_bench, ClickHouseBench};
pub use clickhouse_compare::{clickhouse_compare_bench, ClickHouseCompareBench, Missing};
pub use compare::{compare_bench, CompareBench, REPORT_PEAK_RSS};
pub use extract::{extract_bench, ExtractBench};

/// Peak resident memory of this process so far, in MiB (Linux; 0 elsewhere).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
