//! Legacy text in Windows-1252, as Excel on Windows writes "CSV": `€`, `’`, `“ ”` live in
//! bytes 0x80–0x9F, which latin-1 reads as control characters. Sniffed from the bytes (or
//! given as `--legacy-encoding cp1252`), transcoded, and keyed exactly like the UTF-8 side.

mod common;

use common::*;

fn compare(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "compare",
        "--legacy",
        "old.csv",
        "--new",
        "new.csv",
        "--key",
        "customer",
        "--measure",
        "amount",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = assay(dir, &args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    report.as_object().unwrap().values().next().unwrap().clone()
}

#[test]
fn windows_1252_keys_match_their_utf8_twins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("old.csv"),
        b"customer;amount\nCaf\xe9 \x93Nord\x94;12,50\n\x80uro Ltd;3,00\nO\x92Brien;7,25\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("new.csv"),
        "customer,amount\nCafé “Nord”,12.50\n€uro Ltd,3.00\nO’Brien,7.25\n",
    )
    .unwrap();
    for extra in [&[][..], &["--legacy-encoding", "cp1252"][..]] {
        let r = compare(dir.path(), extra);
        assert_eq!(r["rows"]["matched"], 3, "{extra:?}: {r:#}");
        assert_eq!(r["rows"]["only_legacy"], 0, "{extra:?}: {r:#}");
        assert_eq!(r["sides"][0]["encoding"], "cp1252", "{extra:?}: {r:#}");
        assert_eq!(r["measures"][0]["delta"].as_f64(), Some(0.0), "{r:#}");
    }
}
