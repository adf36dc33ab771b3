//! Legacy exports as spreadsheets: the demo's legacy rows written as one workbook per
//! company (a title row above the header, the company's sheet named after it, money as
//! numbers, dates as date cells), imported through `[legacy.*]` with `sheet`, `range`, and
//! compared: the same numbers as the demo's CSV exports. Bad choices are named.

mod common;

use std::path::Path;

use common::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// One workbook for `company`: a title in A1, the header in row 3, typed cells below.
fn write_workbook(path: &Path, company: &str, names: &[String], rows: &[Vec<Option<String>>]) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(company).unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet
        .write(0, 0, format!("Sales export — {company}"))
        .unwrap();
    for (j, n) in names.iter().enumerate() {
        sheet.write(2, j as u16, n.as_str()).unwrap();
    }
    for (i, row) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        for (j, cell) in row.iter().enumerate() {
            let Some(text) = cell else { continue };
            let c = j as u16;
            let ymd = chrono_like(text);
            if let Some((y, m, d)) = ymd {
                let at = ExcelDateTime::from_ymd(y, m, d).unwrap();
                sheet.write_date_with_format(r, c, &at, &date).unwrap();
            } else if let Ok(x) = text.parse::<f64>() {
                sheet.write(r, c, x).unwrap();
            } else {
                sheet.write(r, c, text.as_str()).unwrap();
            }
        }
    }
    book.save(path).unwrap();
}

/// `2024-12-31` as (year, month, day).
fn chrono_like(text: &str) -> Option<(u16, u8, u8)> {
    let parts: Vec<&str> = text.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?))
        }
        _ => None,
    }
}

/// Point `[legacy.sales]` at the workbooks: no CSV hints, each company's own sheet, the
/// cells from the header row on.
fn use_workbooks(ws: &Path, range: &str) {
    let mut sales = toml_edit::Table::new();
    sales["files"] = toml_edit::value("legacy_xlsx/{company}.xlsx");
    let mut format = toml_edit::Table::new();
    format["sheet"] = toml_edit::value("{company}");
    format["range"] = toml_edit::value(range);
    sales["format"] = toml_edit::Item::Table(format);
    replace_legacy_sales(ws, sales);
}

#[test]
fn workbooks_give_the_numbers_of_the_csv_exports() {
    let (_dir, ws) = built_demo("3000", "7");
    let compare = ["compare", "revenue", "--format", "json"];
    let from_csv = json_of(&ws, &compare);
    std::fs::create_dir_all(ws.join("legacy_xlsx")).unwrap();
    let mut widest = (0, 0);
    for company in DEMO_COMPANIES {
        let (names, rows) = legacy_rows(&ws, company);
        assert!(!rows.is_empty(), "{company}");
        widest = (widest.0.max(names.len()), widest.1.max(rows.len()));
        let path = ws.join("legacy_xlsx").join(format!("{company}.xlsx"));
        write_workbook(&path, company, &names, &rows);
    }
    let last_col = (b'A' + widest.0 as u8 - 1) as char;
    use_workbooks(&ws, &format!("A3:{last_col}{}", widest.1 + 3));
    let from_xlsx = json_of(&ws, &compare);
    let (a, b) = (&from_csv["revenue"], &from_xlsx["revenue"]);
    assert_eq!(a["rows"], b["rows"], "{b:#}");
    assert_eq!(a["measures"], b["measures"], "{b:#}");
    assert!(b["rows"]["legacy_rows"].as_i64().unwrap() > 0, "{b:#}");
    // The rows say which workbook they came from.
    let sources = sql_csv(&ws, "SELECT DISTINCT _source FROM legacy.sales ORDER BY 1");
    assert!(sources.contains("legacy_xlsx/acme.xlsx"), "{sources}");
    assert!(!sources.contains(".csv"), "{sources}");

    // A sheet that is not there is named, with the sheets there are.
    let path = ws.join("assay.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, good.replace("\"{company}\"", "\"Sales {company}\"")).unwrap();
    let out = assay(&ws, &["compare", "revenue"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("acme.xlsx: no sheet named `Sales acme` (the workbook has: acme)"),
        "{said}"
    );
    // A range that is not one is named with the file and sheet.
    std::fs::write(&path, good.replace("\"A3:", "\"3A:")).unwrap();
    let said = text(&assay(&ws, &["compare", "revenue"]));
    assert!(said.contains("sheet acme: range = \"3A:"), "{said}");
}

/// Ad hoc: `--legacy book.xlsx --legacy-sheet N --legacy-range …` against a CSV, and the
/// report says which sheet and cells were read.
/// `old.xlsx` (a notes sheet, then a data sheet with a title row over `id,amount`) and
/// `new.csv` in `dir`; the workbook stores 0.1 + 0.2 as 0.30000000000000004.
fn ad_hoc_book(dir: &std::path::Path) {
    let mut book = Workbook::new();
    book.add_worksheet().set_name("notes").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("data").unwrap();
    sheet.write(0, 0, "title").unwrap();
    for (j, h) in ["id", "amount"].iter().enumerate() {
        sheet.write(1, j as u16, *h).unwrap();
    }
    for (i, (id, amount)) in [(1, 10.1), (2, 0.1 + 0.2), (3, 317.13)].iter().enumerate() {
        sheet.write(2 + i as u32, 0, *id).unwrap();
        sheet.write(2 + i as u32, 1, *amount).unwrap();
    }
    book.save(dir.join("old.xlsx")).unwrap();
    std::fs::write(dir.join("new.csv"), "id,amount\n1,10.10\n2,0.3\n3,317.13\n").unwrap();
}

fn ad_hoc_args(range: &str) -> Vec<&str> {
    vec![
        "compare",
        "--legacy",
        "old.xlsx",
        "--new",
        "new.csv",
        "--key",
        "id",
        "--measure",
        "amount",
        "--legacy-sheet",
        "2",
        "--legacy-range",
        range,
        "--format",
        "json",
    ]
}

#[test]
fn an_ad_hoc_workbook_is_compared_with_its_sheet_named_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    ad_hoc_book(dir.path());
    let r = &adhoc_report(dir.path(), &ad_hoc_args("A2:B5"));
    assert_eq!(r["rows"]["matched"], 2, "{r:#}");
    assert_eq!(
        r["rows"]["changed"], 1,
        "the stored 0.30000000000000004: {r:#}"
    );
    let legacy = &r["sides"][0];
    assert_eq!(legacy["sheet"], 2, "{r:#}");
    assert_eq!(legacy["range"], "A2:B5", "{r:#}");
}

/// Before: a whole-sheet range panicked in calamine ("chunk size must be non-zero") or
/// aborted allocating 112 GB; a range past the used cells panicked too.
#[test]
fn a_whole_sheet_range_reads_the_used_cells_and_an_empty_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    ad_hoc_book(dir.path());
    let r = &adhoc_report(dir.path(), &ad_hoc_args("A2:XFD1048576"));
    assert_eq!(r["rows"]["matched"], 2, "{r:#}");
    assert_eq!(r["rows"]["changed"], 1, "{r:#}");
    let out = assay(dir.path(), &ad_hoc_args("K1:Z9"));
    exited_saying(
        &out,
        2,
        "range = \"K1:Z9\" holds no cell with a value (the sheet uses A1:B5)",
    );
    let out = assay(dir.path(), &ad_hoc_args("A1:XFE2"));
    exited_saying(&out, 2, "within A1:XFD1048576");
}

/// `assay demo --legacy-format xlsx`: the same demo with its legacy exports as workbooks
/// (one per company and year, typed cells, the old BI tool's headers renamed by the config)
/// compares exactly as the CSV one.
#[test]
fn the_demo_written_as_workbooks_compares_as_the_csv_demo() {
    let dir = tempfile::tempdir().unwrap();
    demo_format_matches_csv(dir.path(), "xlsx");
}
