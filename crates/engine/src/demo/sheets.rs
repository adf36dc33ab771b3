//! `assay demo --legacy-format xlsx`: the legacy exports as a finance team keeps them in
//! spreadsheets — one workbook per company and year, a sheet named after the company, money
//! as numbers and dates as date cells, the old BI tool's own headers where it had them. They
//! are written from the CSV exports the demo made (read by DuckDB with each company's format,
//! so the values are the ones the CSV import reads), which are then removed.

use std::path::Path;

use duckdb::Connection;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::companies::{ExportStyle, Profile};
use crate::config::CsvHints;
use crate::error::{Error, IoContext, Result};
use crate::legacy::{csv_options, workbook::is_workbook};
use crate::sql::literal;

/// How the demo writes its legacy exports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LegacyFormat {
    #[default]
    Csv,
    Xlsx,
    Qvd,
}

/// The format a company's CSV export was written in (what its config override says).
fn csv_hints(profile: &Profile) -> CsvHints {
    match profile.export {
        ExportStyle::European => CsvHints {
            delimiter: Some(";".into()),
            decimal: Some(",".into()),
            date_format: Some("%d/%m/%Y".into()),
            ..CsvHints::default()
        },
        _ => CsvHints::default(),
    }
}

/// Each company's `legacy/<id>/sales_<year>.csv` as `sales_<year>.xlsx`.
pub fn legacy_as_workbooks(root: &Path, companies: &[Profile]) -> Result<()> {
    each_export(root, companies, "xlsx", &mut |conn, file, book, profile| {
        debug_assert!(is_workbook(book));
        write_book(conn, file, book, profile)
    })
}

/// What writes one export's copy: (cache, the CSV, the copy to write, its company).
pub(super) type WriteCopy<'a> = dyn FnMut(&Connection, &Path, &Path, &Profile) -> Result<()> + 'a;

/// Each company's CSV exports replaced by a copy with the extension `ext`.
pub(super) fn each_export(
    root: &Path,
    companies: &[Profile],
    ext: &str,
    write: &mut WriteCopy<'_>,
) -> Result<()> {
    let conn = Connection::open_in_memory()?;
    for profile in companies {
        let dir = root.join("legacy").join(profile.id.as_ref());
        let pattern = dir.join("sales_*.csv");
        let files = glob::glob(&pattern.to_string_lossy())
            .map_err(|e| Error::Runtime(format!("{}: {e}", pattern.display())))?;
        for file in files {
            let file = file.map_err(|e| Error::Runtime(e.to_string()))?;
            write(&conn, &file, &file.with_extension(ext), profile)?;
            std::fs::remove_file(&file)
                .io_context(|| format!("cannot remove {}", file.display()))?;
        }
    }
    Ok(())
}

/// One CSV export's columns (name, DuckDB type) and its values as text, read with its
/// company's format (so they are the values the CSV import reads).
pub(super) type Export = (Vec<(String, String)>, Vec<Vec<Option<String>>>);

pub(super) fn read_export(conn: &Connection, csv: &Path, profile: &Profile) -> Result<Export> {
    let mut options = vec!["header = true".to_string()];
    options.extend(csv_options(&csv_hints(profile)));
    let relation = format!(
        "read_csv({}, {})",
        literal(&csv.to_string_lossy()),
        options.join(", ")
    );
    let columns: Vec<(String, String)> = {
        let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {relation}"))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    let select: Vec<String> = columns
        .iter()
        .map(|(n, _)| format!("CAST({} AS VARCHAR)", crate::sql::ident(n)))
        .collect();
    let mut stmt = conn.prepare(&format!("SELECT {} FROM {relation}", select.join(", ")))?;
    let width = columns.len();
    let rows: Vec<Vec<Option<String>>> = stmt
        .query_map([], |r| (0..width).map(|i| r.get(i)).collect())?
        .collect::<std::result::Result<_, _>>()?;
    Ok((columns, rows))
}

fn write_book(conn: &Connection, csv: &Path, book: &Path, profile: &Profile) -> Result<()> {
    let (columns, rows) = read_export(conn, csv, profile)?;
    let failed = |e: rust_xlsxwriter::XlsxError| {
        Error::Runtime(format!("cannot write {}: {e}", book.display()))
    };
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(profile.id.as_ref()).map_err(failed)?;
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (j, (name, _)) in columns.iter().enumerate() {
        // The header as the file spelled it (a byte-order mark is not part of it).
        let name = name.trim_start_matches('\u{feff}');
        sheet.write(0, j as u16, name).map_err(failed)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (j, (cell, (_, ty))) in row.iter().zip(&columns).enumerate() {
            let (c, Some(text)) = (j as u16, cell) else {
                continue;
            };
            match ty.as_str() {
                "DATE" => {
                    let at = ExcelDateTime::parse_from_str(text).map_err(failed)?;
                    sheet
                        .write_date_with_format(r, c, &at, &date)
                        .map_err(failed)?;
                }
                "DOUBLE" | "BIGINT" | "INTEGER" => {
                    let x: f64 = text.parse().map_err(|_| {
                        Error::Runtime(format!("{}: `{text}` is not a number", csv.display()))
                    })?;
                    sheet.write(r, c, x).map_err(failed)?;
                }
                _ => {
                    sheet.write(r, c, text.as_str()).map_err(failed)?;
                }
            }
        }
    }
    workbook.save(book).map_err(failed)
}
