//! `assay demo --legacy-format qvd`: the legacy exports as the retired Qlik app stored them,
//! one QVD per company and year. Qlik keeps a value with the text it showed: dates are dual
//! values (a day number with `31.01.2024`, the field formatted as a date) and amounts duals
//! of their number and a European text (`1.234,50`), so reading them tests both halves.
//! Written from the CSV exports the demo made (read with each company's format), which are
//! then removed.

use std::path::Path;

use duckdb::Connection;
use qvd::{QvdSymbol, QvdTableBuilder};

use super::companies::Profile;
use super::sheets::{each_export, read_export};
use crate::error::{Error, Result};

/// Each company's `legacy/<id>/sales_<year>.csv` as `sales_<year>.qvd`.
pub fn legacy_as_qvd(root: &Path, companies: &[Profile]) -> Result<()> {
    each_export(root, companies, "qvd", &mut write_qvd)
}

/// Qlik's day number of an ISO date (days from 1899-12-30).
fn day_number(iso: &str) -> Option<i32> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let day = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok()?;
    i32::try_from((day - epoch).num_days()).ok()
}

/// `1234.5` as Qlik shows it with a European number format: `1.234,50`.
fn european(v: f64) -> String {
    let text = format!("{:.2}", v.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{}{grouped},{cents}", if v < 0.0 { "-" } else { "" })
}

/// A symbol as Qlik stores it for a column of DuckDB type `ty`.
fn dual(symbol: &QvdSymbol, ty: &str) -> Option<QvdSymbol> {
    match (symbol, ty) {
        (QvdSymbol::Text(iso), "DATE") => {
            let n = day_number(iso)?;
            let (y, m, d) = (&iso[0..4], &iso[5..7], &iso[8..10]);
            Some(QvdSymbol::DualInt(n, format!("{d}.{m}.{y}")))
        }
        (QvdSymbol::Double(v), "DOUBLE") => Some(QvdSymbol::DualDouble(*v, european(*v))),
        _ => None,
    }
}

fn write_qvd(conn: &Connection, csv: &Path, out: &Path, profile: &Profile) -> Result<()> {
    let (columns, rows) = read_export(conn, csv, profile)?;
    let mut builder = QvdTableBuilder::new("sales");
    for (j, (name, _)) in columns.iter().enumerate() {
        let values = rows.iter().map(|r| r[j].clone()).collect();
        builder = builder.add_column(name.trim_start_matches('\u{feff}'), values);
    }
    let mut table = builder.build();
    for (j, (_, ty)) in columns.iter().enumerate() {
        for symbol in table.symbols[j].iter_mut() {
            if let Some(d) = dual(symbol, ty) {
                *symbol = d;
            }
        }
        if ty == "DATE" {
            table.header.fields[j].number_format.format_type = "DATE".into();
        }
    }
    qvd::write_qvd_file(&table, &out.to_string_lossy())
        .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", out.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qlik_shows_numbers_and_dates_its_own_way() {
        assert_eq!(european(1234.5), "1.234,50");
        assert_eq!(european(-0.5), "-0,50");
        assert_eq!(european(1234567.0), "1.234.567,00");
        assert_eq!(day_number("2024-01-31"), Some(45322));
    }
}
