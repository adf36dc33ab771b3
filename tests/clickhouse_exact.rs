//! A compare pushed down to ClickHouse (the real 18.16 server the test script starts) sees
//! every difference the local compare sees. Its slice fingerprints wrote numbers as
//! `round(x * 10000)` through DOUBLE and BIGINT: a difference of 1e-6 hashed alike (its slice
//! was never fetched, its row counted matched), and values above ~9e14 overflowed.

mod common;

#[path = "on_clickhouse/exact.rs"]
mod exact;

#[test]
fn a_pushed_down_compare_finds_differences_below_rounding_and_above_1e15() {
    exact::differences_below_rounding_and_above_1e15(common::warehouse::URL);
}
