//! Spreadsheets as legacy exports (xlsx, xlsm, xls, xlsb, ods): one sheet read with
//! calamine and written as a CSV file the import reads as it reads any export (comma, `.`
//! for decimals, ISO dates), so the structure check, exact decimals and the compare are the
//! same code. Numbers are written in their shortest exact form (the double the workbook
//! stores printed back as the text a person typed: `317.13`, never `317.12999999999999`),
//! dates from the workbook's date cells (Excel serials) as ISO dates, formulas as the
//! values the workbook cached. A cell holding an error (`#DIV/0!`) is refused, named by file,
//! sheet and cell.

use std::io::{BufWriter, Write};
use std::path::Path;

use calamine::{open_workbook_auto, open_workbook_auto_from_rs, Data, Range, Reader, Sheets};

use crate::config::{CsvHints, SheetRef};
use crate::error::{Error, IoContext, Result};
use crate::source::csv_field;

/// Whether `path` is a workbook calamine reads, by its extension.
pub fn is_workbook(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods")
    )
}

/// The hints the CSV written from a workbook is read with: what it was written as, with the
/// user's header renames.
pub fn csv_hints(given: &CsvHints) -> CsvHints {
    CsvHints {
        rename: given.rename.clone(),
        ..CsvHints::default()
    }
}

/// `A1`-style name of a cell at 0-based (row, column).
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

/// 0-based (row, column) of an `A1`-style cell name.
fn parse_cell(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let col = letters
        .to_ascii_uppercase()
        .bytes()
        .try_fold(0u32, |acc, b| {
            acc.checked_mul(26)?.checked_add(u32::from(b - b'A') + 1)
        })?;
    let row: u32 = digits.parse().ok()?;
    // A worksheet has at most 1,048,576 rows and 16,384 columns (XFD).
    ((1..=1_048_576).contains(&row) && (1..=16_384).contains(&col)).then(|| (row - 1, col - 1))
}

/// `A3:F200` as 0-based corners.
pub fn parse_range(text: &str) -> Option<Cells> {
    let (a, b) = text.split_once(':')?;
    let (a, b) = (parse_cell(a)?, parse_cell(b)?);
    (a.0 <= b.0 && a.1 <= b.1).then_some((a, b))
}

/// A block of cells: 0-based (row, column) of its top-left and bottom-right corners.
type Cells = ((u32, u32), (u32, u32));

/// Where the cells come from, for messages: `legacy/acme.xlsx, sheet Sales`.
struct Place<'a> {
    file: &'a Path,
    sheet: &'a str,
}

impl Place<'_> {
    fn at(&self, row: u32, col: u32, what: &str) -> Error {
        Error::Usage(format!(
            "{}, sheet {}, cell {}: {what}",
            self.file.display(),
            self.sheet,
            cell_name(row, col)
        ))
    }
}

/// The sheet `hints` name (for `company`): by name, `{company}` replaced, or by 1-based
/// number; the first sheet when none is named.
fn pick_sheet(names: &[String], hints: &CsvHints, company: &str, file: &Path) -> Result<String> {
    let listed = || names.join(", ");
    match &hints.sheet {
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Error::Usage(format!("{}: the workbook has no sheet", file.display()))),
        Some(SheetRef::Number(n)) => names.get(n.wrapping_sub(1)).cloned().ok_or_else(|| {
            Error::Usage(format!(
                "{}: sheet = {n}: the workbook has {} sheet(s): {}",
                file.display(),
                names.len(),
                listed()
            ))
        }),
        Some(SheetRef::Name(name)) => {
            let wanted = name.replace("{company}", company);
            names
                .iter()
                .find(|s| **s == wanted)
                .cloned()
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{}: no sheet named `{wanted}` (the workbook has: {})",
                        file.display(),
                        listed()
                    ))
                })
        }
    }
}

/// One cell as CSV text (None: empty, read as NULL), or why it cannot be read.
fn cell_text(cell: &Data) -> std::result::Result<Option<String>, String> {
    Ok(match cell {
        Data::Empty => None,
        Data::String(s) => Some(s.clone()),
        Data::Int(i) => Some(i.to_string()),
        // Shortest text that reads back as the same double: what was typed.
        Data::Float(f) if f.is_finite() => Some(format!("{f}")),
        Data::Float(f) => return Err(format!("{f} is not a number")),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(d) => {
            let at = d
                .as_datetime()
                .ok_or_else(|| format!("date serial {} is out of range", d.as_f64()))?;
            if at.time() == chrono::NaiveTime::MIN {
                Some(at.date().format("%Y-%m-%d").to_string())
            } else {
                Some(at.format("%Y-%m-%d %H:%M:%S%.f").to_string())
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => return Err(format!("the cell holds the error {e}")),
    })
}

/// Header names from the first `header_rows` rows: each column's cells top to bottom,
/// joined with a space. A group header merged across columns (or, where the format does not
/// say what is merged, an empty upper header cell) takes the value on its left, so `Amount`
/// over `net` and `tax` becomes `Amount net`, `Amount tax`.
fn header(rows: &[&[Data]], merged: &[Cells], origin: (u32, u32)) -> Vec<String> {
    let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let last = rows.len().saturating_sub(1);
    let mut names = vec![Vec::<String>::new(); width];
    for (i, row) in rows.iter().enumerate() {
        let mut left: Option<String> = None;
        for (j, name) in names.iter_mut().enumerate() {
            let own = row.get(j).and_then(|c| cell_text(c).ok().flatten());
            let (r, c) = (origin.0 + i as u32, origin.1 + j as u32);
            let inside_merge = merged
                .iter()
                .any(|(a, b)| (a.0..=b.0).contains(&r) && a.1 < c && c <= b.1);
            let fill = i < last && (inside_merge || merged.is_empty());
            let text = match own {
                Some(t) => {
                    left = Some(t.clone());
                    Some(t)
                }
                None if fill => left.clone(),
                None => None,
            };
            name.extend(text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()));
        }
    }
    names
        .into_iter()
        .enumerate()
        .map(|(j, parts)| match parts.is_empty() {
            true => format!("column_{}", j + 1),
            false => parts.join(" "),
        })
        .collect()
}

/// The cells the hints pick: the `range`, or the sheet's used cells; with their origin.
fn cells(range: Range<Data>, hints: &CsvHints, place: &Place) -> Result<(Range<Data>, (u32, u32))> {
    let Some(text) = &hints.range else {
        let origin = range.start().unwrap_or((0, 0));
        return Ok((range, origin));
    };
    let (a, b) = parse_range(text).ok_or_else(|| {
        Error::Usage(format!(
            "{}, sheet {}: range = \"{text}\" is not a range like A3:F200 (within A1:XFD1048576)",
            place.file.display(),
            place.sheet
        ))
    })?;
    // Only the cells the sheet uses are read: `A1:XFD1048576` (a whole sheet) would
    // otherwise be allocated cell by cell (112 GB), and a range past the used cells is
    // empty, which calamine's row iterator cannot walk.
    let used = range.start().zip(range.end());
    let within = used.and_then(|(s, e)| {
        let from = (a.0.max(s.0), a.1.max(s.1));
        let to = (b.0.min(e.0), b.1.min(e.1));
        (from.0 <= to.0 && from.1 <= to.1).then_some((from, to))
    });
    let Some((from, to)) = within else {
        return Err(Error::Usage(format!(
            "{}, sheet {}: range = \"{text}\" holds no cell with a value (the sheet uses {})",
            place.file.display(),
            place.sheet,
            used.map_or("no cells".to_string(), |(s, e)| format!(
                "{}:{}",
                cell_name(s.0, s.1),
                cell_name(e.0, e.1)
            ))
        )));
    };
    Ok((range.range(from, to), from))
}

/// Write the sheet `hints` pick of `file` (for `company`) to `out` as CSV with a header;
/// the data rows written (empty rows are left out).
pub fn to_csv(file: &Path, hints: &CsvHints, company: &str, out: &Path) -> Result<u64> {
    let unreadable = |e: calamine::Error| {
        Error::Usage(format!("{}: not a readable workbook: {e}", file.display()))
    };
    if is_workbook(file) {
        let mut book = open_workbook_auto(file).map_err(unreadable)?;
        return sheet_to_csv(&mut book, file, (hints, company), out);
    }
    // Named otherwise (`--legacy-format xlsx` on a `.dat`): the content says which format.
    let bytes = std::fs::read(file).io_context(|| format!("cannot read {}", file.display()))?;
    let mut book = open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    sheet_to_csv(&mut book, file, (hints, company), out)
}

fn sheet_to_csv<RS: std::io::Read + std::io::Seek>(
    book: &mut Sheets<RS>,
    file: &Path,
    (hints, company): (&CsvHints, &str),
    out: &Path,
) -> Result<u64> {
    let sheet = pick_sheet(&book.sheet_names(), hints, company, file)?;
    let place = Place {
        file,
        sheet: &sheet,
    };
    let merged = merged_regions(book, &sheet);
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| Error::Usage(format!("{}, sheet {sheet}: {e}", file.display())))?;
    let (range, origin) = cells(range, hints, &place)?;
    let header_rows = hints.header_rows.unwrap_or(1).max(1) as usize;
    let rows: Vec<&[Data]> = range.rows().collect();
    if rows.len() < header_rows {
        return Err(Error::Usage(format!(
            "{}, sheet {sheet}: no header row (the sheet is empty)",
            file.display()
        )));
    }
    let names = header(&rows[..header_rows], &merged, origin);
    let handle =
        std::fs::File::create(out).io_context(|| format!("cannot write {}", out.display()))?;
    let mut w = BufWriter::new(handle);
    let mut line = Vec::new();
    write_record(&mut w, &mut line, names.iter().map(|n| Some(n.as_str())))
        .io_context(|| format!("cannot write {}", out.display()))?;
    let mut written = 0;
    for (i, row) in rows.iter().enumerate().skip(header_rows) {
        let mut texts = Vec::with_capacity(names.len());
        for j in 0..names.len() {
            let cell = row.get(j).unwrap_or(&Data::Empty);
            let r = origin.0 + i as u32;
            let text = cell_text(cell).map_err(|why| place.at(r, origin.1 + j as u32, &why))?;
            texts.push(text);
        }
        if texts.iter().all(Option::is_none) {
            continue;
        }
        write_record(&mut w, &mut line, texts.iter().map(Option::as_deref))
            .io_context(|| format!("cannot write {}", out.display()))?;
        written += 1;
    }
    w.flush()
        .io_context(|| format!("cannot write {}", out.display()))?;
    Ok(written)
}

/// One CSV record (RFC 4180 quoting, NULL as an empty unquoted field) and its line end.
pub(super) fn write_record<'a>(
    w: &mut impl Write,
    line: &mut Vec<u8>,
    fields: impl Iterator<Item = Option<&'a str>>,
) -> std::io::Result<()> {
    line.clear();
    for (i, f) in fields.enumerate() {
        if i > 0 {
            line.push(b',');
        }
        csv_field(line, f.map(str::as_bytes));
    }
    line.push(b'\n');
    w.write_all(line)
}

/// The merged cells of an xlsx sheet, as 0-based corners (other formats: none known).
fn merged_regions<RS: std::io::Read + std::io::Seek>(
    book: &mut Sheets<RS>,
    sheet: &str,
) -> Vec<Cells> {
    let Sheets::Xlsx(x) = book else {
        return Vec::new();
    };
    x.merge_cells_by_sheet_name(sheet)
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.start, d.end))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_as_in_the_workbook() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(6, 3), "D7");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(parse_cell("$AB$12"), Some((11, 27)));
        assert_eq!(parse_range("A3:F200"), Some(((2, 0), (199, 5))));
        assert_eq!(parse_range("F3:A1"), None);
        assert_eq!(parse_range("3:A"), None);
        assert_eq!(
            parse_range("A1:XFD1048576"),
            Some(((0, 0), (1_048_575, 16_383)))
        );
        assert_eq!(parse_range("A1:XFE1"), None);
        assert_eq!(parse_range("A1:A1048577"), None);
    }

    #[test]
    fn numbers_are_written_as_typed_and_errors_refused() {
        assert_eq!(cell_text(&Data::Float(317.13)).unwrap().unwrap(), "317.13");
        assert_eq!(cell_text(&Data::Float(2.0)).unwrap().unwrap(), "2");
        assert_eq!(
            cell_text(&Data::Float(0.1 + 0.2)).unwrap().unwrap(),
            "0.30000000000000004"
        );
        assert!(cell_text(&Data::Error(calamine::CellErrorType::Div0))
            .unwrap_err()
            .contains("#DIV/0!"));
        assert_eq!(cell_text(&Data::Empty).unwrap(), None);
    }

    #[test]
    fn a_merged_group_header_is_flattened() {
        let s = |t: &str| Data::String(t.into());
        let top = [s("id"), s("Amount"), Data::Empty, s("note")];
        let sub = [Data::Empty, s("net"), s("tax"), Data::Empty];
        let rows: Vec<&[Data]> = vec![&top, &sub];
        let merged = vec![((0, 1), (0, 2))];
        assert_eq!(
            header(&rows, &merged, (0, 0)),
            ["id", "Amount net", "Amount tax", "note"]
        );
        let single: Vec<&[Data]> = vec![&top];
        assert_eq!(
            header(&single, &[], (0, 0)),
            ["id", "Amount", "column_3", "note"]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any range text against any used area: never a panic, never more cells than the
        /// sheet uses (before: a whole-sheet range allocated 112 GB, an empty one panicked).
        #[test]
        fn any_range_reads_at_most_the_used_cells(
            text in "[A-Z$]{0,4}[0-9]{0,8}:[A-Z$]{0,4}[0-9]{0,8}|[A-Z]{1,3}[0-9]{1,7}:XFD1048576",
            used in (0u32..40, 0u32..12, 0u32..40, 0u32..12),
        ) {
            let (r0, c0, h, w) = used;
            let mut range: Range<Data> = Range::new((r0, c0), (r0 + h, c0 + w));
            range.set_value((r0, c0), Data::String("x".into()));
            let hints = CsvHints { range: Some(text.clone()), ..CsvHints::default() };
            let place = Place { file: Path::new("book.xlsx"), sheet: "s" };
            if let Ok((picked, origin)) = cells(range, &hints, &place) {
                let (rows, cols) = picked.get_size();
                proptest::prop_assert!(rows as u32 <= h + 1 && cols as u32 <= w + 1);
                proptest::prop_assert!(origin.0 >= r0 && origin.1 >= c0);
                proptest::prop_assert_eq!(picked.rows().count(), rows);
            }
        }
    }
}
