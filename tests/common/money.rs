//! Amounts in the binary's JSON read exactly, as the decimal text it wrote ("2313.70"),
//! never through a float: a test that compares money as f64 ± 0.01 cannot see a one-cent
//! error. `serde_json::Value` parses numbers to f64, so the path is walked over raw values.

use assay_engine::decimal::Exact;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// One step of a path into a JSON document: a key or an index.
pub enum At<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> From<&'a str> for At<'a> {
    fn from(key: &'a str) -> At<'a> {
        At::Key(key)
    }
}

impl From<usize> for At<'_> {
    fn from(index: usize) -> Self {
        At::Index(index)
    }
}

/// The raw JSON text at `path` in `json`: a number exactly as written.
pub fn raw(json: &str, path: &[At]) -> String {
    let mut here: Box<RawValue> = serde_json::from_str(json).expect("JSON");
    for step in path {
        here = match step {
            At::Key(k) => {
                let mut map: HashMap<String, Box<RawValue>> =
                    serde_json::from_str(here.get()).expect("an object");
                map.remove(*k)
                    .unwrap_or_else(|| panic!("no `{k}` in {}", here.get()))
            }
            At::Index(i) => {
                let mut list: Vec<Box<RawValue>> =
                    serde_json::from_str(here.get()).expect("an array");
                assert!(*i < list.len(), "no [{i}] in {}", here.get());
                list.swap_remove(*i)
            }
        };
    }
    here.get().to_string()
}

/// The amount at `path`, exactly; it must be a plain decimal number.
pub fn amount(json: &str, path: &[At]) -> Exact {
    let text = raw(json, path);
    Exact::parse(&text).unwrap_or_else(|| panic!("`{text}` is not a decimal amount"))
}

/// A decimal written in a test.
pub fn exact(text: &str) -> Exact {
    Exact::parse(text).unwrap_or_else(|| panic!("`{text}` is not a decimal"))
}

/// `path!["revenue", "measures", 0, "delta"]`: a JSON path of keys and indexes.
#[macro_export]
macro_rules! path {
    ($($step:expr),* $(,)?) => {
        &[$($crate::common::money::At::from($step)),*]
    };
}

/// Two `compare revenue` reports give the same legacy total, gap and row classes, exactly.
pub fn same_numbers(by_table: &str, by_files: &str) {
    for at in [
        crate::path!["revenue", "measures", 0, "legacy"],
        crate::path!["revenue", "measures", 0, "delta"],
    ] {
        assert_eq!(amount(by_table, at), amount(by_files, at));
    }
    assert_eq!(
        raw(by_table, crate::path!["revenue", "rows"]),
        raw(by_files, crate::path!["revenue", "rows"])
    );
}
