//! Qlik QVD files, the native export of the Qlik apps being retired, read with the `qvd`
//! crate and written as a CSV copy the import reads as any export. Each column's values are
//! Qlik symbols: integers and doubles are written in their shortest exact text (`317.13`),
//! text as it is, and a dual value (a number with the text Qlik showed for it, such as a
//! date, or an amount formatted `1.234,50 €`) as its number or its text (`dual`). A field
//! Qlik formats as a date or timestamp gives ISO dates (Qlik counts days from 1899-12-30,
//! as Excel does). Symbols are rendered once per column, rows are read a chunk at a time.

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use qvd::{QvdStreamReader, QvdSymbol};

use super::workbook::write_record;
use crate::config::{CsvHints, DualAs};
use crate::error::{Error, IoContext, Result};

/// Whether `path` is a QVD file, by its extension.
pub fn is_qvd(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("qvd"))
}

/// How a field's numbers are shown, from its number format.
#[derive(Clone, Copy, PartialEq)]
enum Shown {
    Date,
    Timestamp,
    Number,
}

fn shown(format_type: &str) -> Shown {
    match format_type.to_ascii_uppercase().as_str() {
        "DATE" => Shown::Date,
        "TIMESTAMP" => Shown::Timestamp,
        _ => Shown::Number,
    }
}

/// A Qlik day number as ISO text (a date, or a timestamp to the second).
fn day_number(v: f64, as_shown: Shown) -> Option<String> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let seconds = (v * 86_400.0).round();
    if !seconds.is_finite() || seconds.abs() > 1e12 {
        return None;
    }
    let at = epoch.checked_add_signed(chrono::TimeDelta::try_seconds(seconds as i64)?)?;
    Some(match as_shown {
        Shown::Date => at.date().format("%Y-%m-%d").to_string(),
        _ => at.format("%Y-%m-%d %H:%M:%S").to_string(),
    })
}

/// A double in its shortest exact text; Rust never writes an exponent here.
fn number_text(v: f64) -> String {
    format!("{v}")
}

/// One symbol as the CSV copy writes it.
fn symbol_text(symbol: &QvdSymbol, field: Shown, dual: DualAs) -> String {
    let number = |v: f64| match field {
        Shown::Number => None,
        as_date => day_number(v, as_date),
    };
    match symbol {
        QvdSymbol::Text(s) => s.clone(),
        QvdSymbol::DualInt(_, s) | QvdSymbol::DualDouble(_, s) if dual == DualAs::Text => s.clone(),
        QvdSymbol::Int(v) | QvdSymbol::DualInt(v, _) => {
            number(f64::from(*v)).unwrap_or_else(|| v.to_string())
        }
        QvdSymbol::Double(v) | QvdSymbol::DualDouble(v, _) => {
            number(*v).unwrap_or_else(|| number_text(*v))
        }
    }
}

/// Rows decoded per read.
const CHUNK_ROWS: usize = 64 * 1024;

/// Write `file` to `out` as CSV with a header; the rows written.
pub fn to_csv(file: &Path, hints: &CsvHints, out: &Path) -> Result<u64> {
    let unreadable = |e: qvd::QvdError| {
        Error::Usage(format!("{}: not a readable QVD file: {e}", file.display()))
    };
    let input =
        std::fs::File::open(file).io_context(|| format!("cannot read {}", file.display()))?;
    let mut stream = QvdStreamReader::open(BufReader::new(input)).map_err(unreadable)?;
    let dual = hints.dual.unwrap_or_default();
    let texts: Vec<Vec<String>> = stream
        .header
        .fields
        .iter()
        .zip(&stream.symbols)
        .map(|(field, symbols)| {
            let as_shown = shown(&field.number_format.format_type);
            symbols
                .iter()
                .map(|s| symbol_text(s, as_shown, dual))
                .collect()
        })
        .collect();
    let names: Vec<String> = stream
        .header
        .fields
        .iter()
        .map(|f| f.field_name.clone())
        .collect();
    let cannot = |e: std::io::Error| Error::Runtime(format!("cannot write {}: {e}", out.display()));
    let mut w = BufWriter::new(std::fs::File::create(out).map_err(cannot)?);
    let mut line = Vec::new();
    write_record(&mut w, &mut line, names.iter().map(|n| Some(n.as_str()))).map_err(cannot)?;
    let mut written = 0u64;
    while let Some((columns, rows, _)) =
        stream.next_chunk_indices(CHUNK_ROWS).map_err(unreadable)?
    {
        for row in 0..rows {
            // An index outside the symbols is Qlik's NULL.
            let cells = columns.iter().zip(&texts).map(|(indices, texts)| {
                usize::try_from(indices[row])
                    .ok()
                    .and_then(|i| texts.get(i))
                    .map(String::as_str)
            });
            write_record(&mut w, &mut line, cells).map_err(cannot)?;
        }
        written += rows as u64;
    }
    w.flush().map_err(cannot)?;
    Ok(written)
}

/// The hints the copy is read with: plain CSV, the user's header renames kept.
pub fn csv_hints(given: &CsvHints) -> CsvHints {
    CsvHints {
        rename: given.rename.clone(),
        ..CsvHints::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_written_exactly_and_duals_as_asked() {
        let n = Shown::Number;
        assert_eq!(
            symbol_text(&QvdSymbol::Double(317.13), n, DualAs::Number),
            "317.13"
        );
        assert_eq!(
            symbol_text(&QvdSymbol::Double(1e20), n, DualAs::Number),
            "100000000000000000000"
        );
        let money = QvdSymbol::DualDouble(1234.5, "1.234,50 €".into());
        assert_eq!(symbol_text(&money, n, DualAs::Number), "1234.5");
        assert_eq!(symbol_text(&money, n, DualAs::Text), "1.234,50 €");
        let day = QvdSymbol::DualInt(45322, "31.01.2024".into());
        assert_eq!(symbol_text(&day, Shown::Date, DualAs::Number), "2024-01-31");
        assert_eq!(
            symbol_text(
                &QvdSymbol::Double(45322.5),
                Shown::Timestamp,
                DualAs::Number
            ),
            "2024-01-31 12:00:00"
        );
    }
}
