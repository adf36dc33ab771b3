//! Legacy exports as Qlik QVD files and fixed-width text: the demo's legacy rows written in
//! each form (QVD with dual dates and amounts, fixed-width with padding, a header line,
//! Windows-1252 and CRLF for some companies), imported through `[legacy.*]` and ad hoc, and
//! compared: the same numbers as the demo's CSV exports. Bad lines are named.

mod common;

use std::path::Path;

use common::*;
use qvd::{QvdSymbol, QvdTableBuilder};

/// Each row padded into columns `widths` wide, numbers to the right as reports print them.
fn fixed_lines(names: &[String], rows: &[Vec<Option<String>>], widths: &[usize]) -> Vec<String> {
    let pad = |v: &str, w: usize| {
        let n = v.chars().count();
        let fill = " ".repeat(w - n);
        if v.parse::<f64>().is_ok() {
            format!("{fill}{v}")
        } else {
            format!("{v}{fill}")
        }
    };
    let mut lines = vec![names
        .iter()
        .zip(widths)
        .map(|(n, w)| pad(n, *w))
        .collect::<String>()];
    for row in rows {
        lines.push(
            row.iter()
                .zip(widths)
                .map(|(v, w)| pad(v.as_deref().unwrap_or(""), *w))
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
    }
    lines
}

/// `[legacy.sales]` reading `legacy_fw/{company}.txt` with `layout`; acme's file is
/// Windows-1252.
fn use_fixed_width(ws: &Path, layout: &[(String, usize)]) {
    let mut sales = toml_edit::Table::new();
    sales["files"] = toml_edit::value("legacy_fw/{company}.txt");
    let mut format = toml_edit::Table::new();
    let mut columns = toml_edit::ArrayOfTables::new();
    for (name, width) in layout {
        let mut c = toml_edit::Table::new();
        c["name"] = toml_edit::value(name.as_str());
        c["width"] = toml_edit::value(*width as i64);
        columns.push(c);
    }
    format["fixed_width"] = toml_edit::Item::ArrayOfTables(columns);
    format["header_rows"] = toml_edit::value(1);
    sales["format"] = toml_edit::Item::Table(format);
    let mut acme = toml_edit::Table::new();
    acme["encoding"] = toml_edit::value("cp1252");
    let mut overrides = toml_edit::Table::new();
    overrides["acme"] = toml_edit::Item::Table(acme);
    sales["overrides"] = toml_edit::Item::Table(overrides);
    replace_legacy_sales(ws, sales);
}

#[test]
fn fixed_width_files_give_the_numbers_of_the_csv_exports() {
    let (_dir, ws) = built_demo("3000", "7");
    let compare = ["compare", "revenue", "--format", "json"];
    let from_csv = json_of(&ws, &compare);
    let exports: Vec<_> = DEMO_COMPANIES.iter().map(|c| legacy_rows(&ws, c)).collect();
    let names = exports[0].0.clone();
    // One layout for every company: each column as wide as its longest value, plus two.
    let widths: Vec<usize> = (0..names.len())
        .map(|j| {
            let longest = exports
                .iter()
                .flat_map(|(_, rows)| rows.iter().map(move |r| r[j].as_deref().unwrap_or("")))
                .chain([names[j].as_str()])
                .map(|v| v.chars().count())
                .max()
                .unwrap();
            longest + 2
        })
        .collect();
    std::fs::create_dir_all(ws.join("legacy_fw")).unwrap();
    for (company, (n, rows)) in DEMO_COMPANIES.iter().zip(&exports) {
        assert_eq!(n, &names, "{company}");
        let lines = fixed_lines(&names, rows, &widths);
        let (joined, eol) = match *company {
            "borealis" => (lines.join("\r\n"), "\r\n"),
            _ => (lines.join("\n"), "\n"),
        };
        let body = format!("{joined}{eol}");
        let bytes = match *company {
            "acme" => encoding_rs::WINDOWS_1252.encode(&body).0.into_owned(),
            _ => body.into_bytes(),
        };
        std::fs::write(ws.join(format!("legacy_fw/{company}.txt")), bytes).unwrap();
    }
    let layout: Vec<(String, usize)> = names.iter().cloned().zip(widths.clone()).collect();
    use_fixed_width(&ws, &layout);
    let from_text = json_of(&ws, &compare);
    let (a, b) = (&from_csv["revenue"], &from_text["revenue"]);
    assert_eq!(a["rows"], b["rows"], "{b:#}");
    assert_eq!(a["measures"], b["measures"], "{b:#}");
    assert!(b["rows"]["legacy_rows"].as_i64().unwrap() > 0, "{b:#}");
    let sources = sql_csv(&ws, "SELECT DISTINCT _source FROM legacy.sales ORDER BY 1");
    assert!(sources.contains("legacy_fw/acme.txt"), "{sources}");

    // A line cut short is named with its file and line, and nothing is half-imported.
    let file = ws.join("legacy_fw/cobalt.txt");
    let mut body = std::fs::read_to_string(&file).unwrap();
    body.push_str("INV-SHORT\n");
    let line = body.lines().count();
    std::fs::write(&file, body).unwrap();
    let out = assay(&ws, &["compare", "revenue"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(&format!(
            "legacy_fw/cobalt.txt, line {line}: 9 characters, but the last column"
        )),
        "{said}"
    );
    // A layout that overlaps is refused by validate, naming the setting.
    let path = ws.join("assay.toml");
    let cfg = std::fs::read_to_string(&path).unwrap();
    let broken = cfg.replacen("width = ", "start = 3\nwidth = ", 2);
    std::fs::write(&path, broken).unwrap();
    let out = assay(&ws, &["validate"]);
    failed_saying(&out, "legacy.sales.format.fixed_width");
}

/// Ad hoc: `--legacy old.txt --legacy-fixed-width …` in Windows-1252 with a header line.
#[test]
fn an_ad_hoc_fixed_width_file_is_compared_with_its_layout_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let body = "ID  NAME         AMOUNT\r\n0001Caf\u{e9} \u{20ac}      10.10\r\n0002Zo\u{eb}          0.30\r\n0003Na\u{ef}ve       317.13\r\n";
    let bytes = encoding_rs::WINDOWS_1252.encode(body).0.into_owned();
    std::fs::write(dir.path().join("old.txt"), bytes).unwrap();
    std::fs::write(
        dir.path().join("new.csv"),
        "id,name,amount\n1,Café €,10.10\n2,Zoë,0.31\n3,Naïve,317.13\n",
    )
    .unwrap();
    let r = &adhoc_report(
        dir.path(),
        &[
            "compare",
            "--legacy",
            "old.txt",
            "--new",
            "new.csv",
            "--key",
            "id",
            "--measure",
            "amount",
            "--legacy-fixed-width",
            "id:4,name:5-13,amount:10",
            "--legacy-header-rows",
            "1",
            "--legacy-encoding",
            "cp1252",
            "--format",
            "json",
        ],
    );
    assert_eq!(r["rows"]["matched"], 2, "{r:#}");
    assert_eq!(r["rows"]["changed"], 1, "{r:#}");
    let legacy = &r["sides"][0];
    assert_eq!(legacy["encoding"], "cp1252", "{r:#}");
    assert_eq!(legacy["header_rows"], 1, "{r:#}");
    assert_eq!(legacy["fixed_width"][1]["name"], "name", "{r:#}");
    assert_eq!(legacy["fixed_width"][1]["start"], 5, "{r:#}");
}

/// A QVD as Qlik writes one: amounts as duals of their number and a European text.
fn write_qvd(path: &Path, rows: &[(&str, &str)]) {
    let ids = rows.iter().map(|(id, _)| Some(id.to_string())).collect();
    let amounts = rows.iter().map(|(_, a)| Some(a.to_string())).collect();
    let mut table = QvdTableBuilder::new("sales")
        .add_column("id", ids)
        .add_column("amount", amounts)
        .build();
    for s in table.symbols[1].iter_mut() {
        if let QvdSymbol::Double(v) = s {
            *s = QvdSymbol::DualDouble(*v, format!("{v:.2} €").replace('.', ","));
        }
    }
    qvd::write_qvd_file(&table, &path.to_string_lossy()).unwrap();
}

#[test]
fn an_ad_hoc_qvd_reads_duals_as_numbers_or_as_their_text() {
    let dir = tempfile::tempdir().unwrap();
    write_qvd(
        &dir.path().join("old.qvd"),
        &[("1", "10.1"), ("2", "0.30000000000000004"), ("3", "317.13")],
    );
    std::fs::write(
        dir.path().join("new.csv"),
        "id,amount\n1,10.10\n2,0.3\n3,317.13\n",
    )
    .unwrap();
    let args = |dual: &'static str| {
        [
            "compare",
            "--legacy",
            "old.qvd",
            "--new",
            "new.csv",
            "--key",
            "id",
            "--measure",
            "amount",
            "--legacy-dual",
            dual,
            "--format",
            "json",
        ]
    };
    let r = &adhoc_report(dir.path(), &args("number"));
    assert_eq!(r["rows"]["matched"], 2, "{r:#}");
    assert_eq!(
        r["rows"]["changed"], 1,
        "the stored 0.30000000000000004: {r:#}"
    );
    assert_eq!(r["sides"][0]["dual"], "number", "{r:#}");
    // Named otherwise, it is read as what --legacy-format says; a workbook too, by content.
    std::fs::copy(dir.path().join("old.qvd"), dir.path().join("old.dat")).unwrap();
    let named = |file: &'static str, kind: &'static str| {
        [
            "compare",
            "--legacy",
            file,
            "--new",
            "new.csv",
            "--key",
            "id",
            "--measure",
            "amount",
            "--legacy-format",
            kind,
            "--format",
            "json",
        ]
    };
    let r = &adhoc_report(dir.path(), &named("old.dat", "qvd"));
    assert_eq!(
        (r["rows"]["matched"].as_i64(), r["rows"]["changed"].as_i64()),
        (Some(2), Some(1)),
        "{r:#}"
    );
    assert_eq!(r["sides"][0]["kind"], "qvd", "{r:#}");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (i, (id, amount)) in [
        ("id", None),
        ("1", Some(10.1)),
        ("2", Some(0.3)),
        ("3", Some(317.13)),
    ]
    .iter()
    .enumerate()
    {
        match amount {
            None => {
                sheet.write(0, 0, *id).unwrap();
                sheet.write(0, 1, "amount").unwrap();
            }
            Some(a) => {
                sheet
                    .write(i as u32, 0, id.parse::<f64>().unwrap())
                    .unwrap();
                sheet.write(i as u32, 1, *a).unwrap();
            }
        }
    }
    book.save(dir.path().join("book.dat")).unwrap();
    let r = &adhoc_report(dir.path(), &named("book.dat", "xlsx"));
    assert_eq!(r["rows"]["matched"], 3, "{r:#}");
    // As text, the amounts are what Qlik showed: `10,10 €` is no number to total.
    let out = assay(dir.path(), &args("text"));
    let said = text(&out);
    assert!(said.contains("amount"), "{said}");
    assert_ne!(out.status.code(), Some(0), "{said}");

    // A file that is not a QVD is named.
    std::fs::write(dir.path().join("broken.qvd"), "<QvdTableHeader>").unwrap();
    let out = assay(
        dir.path(),
        &[
            "compare",
            "--legacy",
            "broken.qvd",
            "--new",
            "new.csv",
            "--key",
            "id",
        ],
    );
    failed_saying(&out, "broken.qvd: not a readable QVD file");
}

/// `assay demo --legacy-format qvd`: the same demo with its legacy exports as QVD files
/// (dates and amounts as duals) compares exactly as the CSV one.
#[test]
fn the_demo_written_as_qvd_compares_as_the_csv_demo() {
    let dir = tempfile::tempdir().unwrap();
    demo_format_matches_csv(dir.path(), "qvd");
    // Read as their text, the dual amounts are what Qlik showed (`2.308,33`): no number to
    // total, and the compare says which file and value.
    let ws = dir.path().join("qvd");
    let path = ws.join("assay.toml");
    let cfg = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, cfg.replace("dual = \"number\"", "dual = \"text\"")).unwrap();
    let out = assay(&ws, &["compare", "revenue"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("`net_amount` is VARCHAR in legacy.sales"),
        "{said}"
    );
    assert!(
        said.contains(".qvd): `") && said.contains("is written with a decimal comma"),
        "{said}"
    );
    let shown = sql_csv(
        &ws,
        "SELECT count(*) > 0 AS european FROM legacy.sales WHERE net_amount LIKE '%,__'",
    );
    assert_eq!(shown, "european\ntrue\n", "{shown}");
}
