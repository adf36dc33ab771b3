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

/// A configured export in Windows-1252: one company's files re-written with a header only
/// cp1252 spells (`Montant €`, renamed to the measure), read with `encoding = "cp1252"`;
/// the compare's numbers are the UTF-8 files' and `_source` names the files themselves.
#[test]
fn a_configured_windows_1252_export_gives_the_same_numbers() {
    let (_dir, ws) = built_demo("2000", "5");
    let compare = ["compare", "revenue", "--format", "json"];
    let out = assay(&ws, &compare);
    let before: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for f in glob::glob(&ws.join("legacy/lumen/*.csv").to_string_lossy()).unwrap() {
        let f = f.unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.is_ascii(), "the demo writes ASCII");
        let bytes = text
            .replacen("net_amount", "Montant \u{20ac}", 1)
            .chars()
            .map(|c| if c == '\u{20ac}' { 0x80 } else { c as u8 })
            .collect::<Vec<u8>>();
        std::fs::write(&f, bytes).unwrap();
    }
    let path = ws.join("assay.toml");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let lumen = &mut doc["legacy"]["sales"]["overrides"]["lumen"];
    lumen["encoding"] = toml_edit::value("cp1252");
    let mut rename = toml_edit::InlineTable::new();
    rename.insert("Montant \u{20ac}", "net_amount".into());
    lumen["rename"] = toml_edit::value(rename);
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = assay(&ws, &compare);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let after: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        before["revenue"]["rows"], after["revenue"]["rows"],
        "{after:#}"
    );
    assert_eq!(before["revenue"]["measures"], after["revenue"]["measures"]);
    let sources = sql_csv(
        &ws,
        "SELECT DISTINCT _source FROM legacy.sales WHERE _company = 'lumen' ORDER BY 1",
    );
    assert!(sources.contains("legacy/lumen/sales_2023.csv"), "{sources}");
}

/// Old Mac exports end lines with a bare CR: read and checked as any other file.
#[test]
fn lines_ended_by_a_bare_cr_are_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("old.csv"),
        "customer,amount\rAcme,10.10\rBeta,0.30\rGamma,317.13\r",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("new.csv"),
        "customer,amount\nAcme,10.10\nBeta,0.30\nGamma,317.14\n",
    )
    .unwrap();
    let r = compare(dir.path(), &[]);
    assert_eq!(r["rows"]["legacy_rows"], 3, "{r:#}");
    assert_eq!(r["rows"]["matched"], 2, "{r:#}");
    assert_eq!(r["rows"]["changed"], 1, "{r:#}");
}

/// UTF-16 text with its byte-order mark (Excel's "Unicode text", many Windows tools), in
/// either byte order: read as its UTF-8 twin, and checked record by record like it.
#[test]
fn utf16_text_is_read_and_checked_like_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let body = "customer;amount\nCafé “Nord”;12,50\n€uro Ltd;3,00\nO’Brien;7,25\n";
    std::fs::write(
        dir.path().join("new.csv"),
        "customer,amount\nCafé “Nord”,12.50\n€uro Ltd,3.00\nO’Brien,7.25\n",
    )
    .unwrap();
    let utf16 = |text: &str, big_endian: bool| -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    };
    for big_endian in [false, true] {
        std::fs::write(dir.path().join("old.csv"), utf16(body, big_endian)).unwrap();
        let r = compare(dir.path(), &[]);
        assert_eq!(r["rows"]["matched"], 3, "{r:#}");
        assert_eq!(r["sides"][0]["encoding"], "utf-16", "{r:#}");
        assert_eq!(r["measures"][0]["delta"].as_f64(), Some(0.0), "{r:#}");
    }
    // A record with a field too many is named by its line, as in a UTF-8 file.
    let broken = body.replace("€uro Ltd;3,00", "€uro Ltd;3,00;x");
    std::fs::write(dir.path().join("old.csv"), utf16(&broken, false)).unwrap();
    let out = assay(
        dir.path(),
        &[
            "compare", "--legacy", "old.csv", "--new", "new.csv", "--key", "customer",
        ],
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("line 3"), "{}", text(&out));
}
