//! Tolerances are exact decimals: a difference equal to the tolerance is within it for
//! the row compare, the totals and explain alike (as floats, a one-cent difference on
//! 10,000,000.04 was "changed" under 0.01 while the totals said within tolerance, and
//! explain took 0.29 for 28 cents).

mod common;

use common::*;

fn files(dir: &std::path::Path, legacy: &str, new: &str) {
    std::fs::write(dir.join("a.csv"), format!("id,amount\n{legacy}")).unwrap();
    std::fs::write(dir.join("b.csv"), format!("id,amount\n{new}")).unwrap();
}

fn run(dir: &std::path::Path, command: &str, tolerance: &str) -> (Option<i32>, String) {
    let out = assay(
        dir,
        &[
            command,
            "--legacy",
            "a.csv",
            "--new",
            "b.csv",
            "--key",
            "id",
            "--measure",
            "amount",
            "--tolerance",
            tolerance,
            "--format",
            "json",
        ],
    );
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", text(&out));
    (out.status.code(), stdout(&out))
}

#[test]
fn a_cent_on_ten_million_is_within_a_tolerance_of_a_cent() {
    let tmp = tempfile::tempdir().unwrap();
    files(
        tmp.path(),
        "1,10000000.04\n2,5.00\n",
        "1,10000000.05\n2,5.00\n",
    );
    let (code, json) = run(tmp.path(), "compare", "0.01");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = &report["adhoc"]["rows"];
    assert_eq!(
        (rows["matched"].as_i64(), rows["changed"].as_i64()),
        (Some(2), Some(0)),
        "{rows}"
    );
    assert_eq!(
        money::raw(&json, path!["adhoc", "measures", 0, "delta"]),
        "0.01"
    );
    assert_eq!(report["adhoc"]["measures"][0]["within_tolerance"], true);
    assert_eq!(code, Some(0));
    // A cent more is beyond it, on the row and on the total.
    files(
        tmp.path(),
        "1,10000000.04\n2,5.00\n",
        "1,10000000.06\n2,5.00\n",
    );
    let (code, json) = run(tmp.path(), "compare", "0.01");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["adhoc"]["rows"]["changed"].as_i64(), Some(1));
    assert_eq!(
        money::raw(&json, path!["adhoc", "measures", 0, "delta"]),
        "0.02"
    );
    assert_eq!(code, Some(1));
}

#[test]
fn explain_leaves_a_gap_equal_to_the_tolerance_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let legacy: String = (0..20).map(|i| format!("{i},{i}.00\n")).collect();
    let new: String = (0..20)
        .map(|i| match i {
            7 => "7,7.29\n".to_string(),
            _ => format!("{i},{i}.00\n"),
        })
        .collect();
    files(tmp.path(), &legacy, &new);
    // 0.29 is 29 cents: the gap of exactly 0.29 is within it, nothing to explain.
    let (_, json) = run(tmp.path(), "explain", "0.29");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["causes"].as_array().map(Vec::len), Some(0), "{v:#}");
    assert_eq!(money::raw(&json, path!["total"]), "0.29");
    // One cent less and the row is the cause.
    let (_, json) = run(tmp.path(), "explain", "0.28");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["causes"].as_array().map(Vec::len), Some(1), "{v:#}");
    assert_eq!(money::raw(&json, path!["causes", 0, "delta"]), "0.29");
}

#[test]
fn a_tolerance_that_is_not_a_number_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    files(tmp.path(), "1,1.00\n", "1,1.00\n");
    for bad in ["NaN", "inf", "-0.01", "ten"] {
        let flag = format!("--tolerance={bad}");
        let out = assay(
            tmp.path(),
            &[
                "compare", "--legacy", "a.csv", "--new", "b.csv", "--key", "id", &flag,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(text(&out).contains("--tolerance"), "{bad}: {}", text(&out));
    }
}
