//! The in-memory frame layer: query results as polars DataFrames, and their rendering as
//! the report formats every command shares (table, json, csv, md).

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use duckdb::{Connection, Params};
use polars::prelude::*;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// A JSON array of objects.
    Json,
    /// Comma-separated, with a header.
    Csv,
    /// A Markdown table, for tickets and pull requests.
    Md,
}

impl Format {
    /// Every format with its name, in the order a help text lists them.
    pub const ALL: [(Format, &'static str); 4] = [
        (Format::Table, "table"),
        (Format::Json, "json"),
        (Format::Csv, "csv"),
        (Format::Md, "md"),
    ];

    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("table", |(_, n)| n)
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Format, String> {
        Format::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(text))
            .map(|(f, _)| *f)
            .ok_or_else(|| format!("`{text}` is not a format (table, json, csv, md)"))
    }
}

/// Run a query and collect its result as one DataFrame.
pub fn query(conn: &Connection, sql: &str, params: impl Params) -> Result<DataFrame> {
    let mut stmt = conn.prepare(sql)?;
    let batches = stmt.query_polars(params)?;
    let names: Vec<String> = batches
        .get_schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    // duckdb's polars bridge panics on a column type it cannot convert; make that an error.
    let frames = catch_unwind(AssertUnwindSafe(|| batches.collect::<Vec<DataFrame>>())).map_err(|_| {
        Error::Runtime(
            "the result has a column type the frame layer cannot hold; CAST it to VARCHAR or a number".into(),
        )
    })?;
    let mut iter = frames.into_iter();
    let Some(mut df) = iter.next() else {
        let columns: Vec<Column> = names
            .iter()
            .map(|n| Column::new_empty(n.as_str().into(), &DataType::String))
            .collect();
        return DataFrame::new(columns).map_err(polars_error);
    };
    for next in iter {
        df.vstack_mut(&next).map_err(polars_error)?;
    }
    Ok(df)
}

/// A text column made from any list, for report frames built in Rust.
pub fn text_column<T>(name: &str, items: &[T], f: impl Fn(&T) -> String) -> Column {
    Column::new(name.into(), items.iter().map(f).collect::<Vec<String>>())
}

/// A number column rounded to hundredths (money, seconds, percentages in reports).
pub fn hundredths_column<T>(name: &str, items: &[T], f: impl Fn(&T) -> f64) -> Column {
    Column::new(
        name.into(),
        items
            .iter()
            .map(|x| (f(x) * 100.0).round() / 100.0)
            .collect::<Vec<f64>>(),
    )
}

/// A column of exact amounts, each printed at its own scale ("2313.67", never
/// "2313.6700000000046"). Text in the frame, so nothing rounds it; grids right-align it.
pub fn exact_column<T>(name: &str, items: &[T], f: impl Fn(&T) -> crate::decimal::Exact) -> Column {
    text_column(name, items, |x| f(x).to_string())
}

/// A frame from columns of equal length.
pub fn from_columns(columns: Vec<Column>) -> Result<DataFrame> {
    DataFrame::new(columns).map_err(polars_error)
}

pub(crate) fn polars_error(e: PolarsError) -> Error {
    Error::Runtime(format!("frame: {e}"))
}

/// Write a frame in the chosen format.
pub fn write(df: &mut DataFrame, format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Csv => CsvWriter::new(out)
            .include_header(true)
            .finish(df)
            .map_err(polars_error),
        Format::Json => {
            let mut buf = Vec::new();
            JsonWriter::new(&mut buf)
                .with_json_format(JsonFormat::Json)
                .finish(df)
                .map_err(polars_error)?;
            if buf.is_empty() {
                buf.extend_from_slice(b"[]");
            }
            out.write_all(&buf)
                .and_then(|_| writeln!(out))
                .map_err(io_error)
        }
        Format::Table => write_grid(df, out, false),
        Format::Md => write_grid(df, out, true),
    }
}

fn io_error(e: std::io::Error) -> Error {
    Error::Runtime(format!("writing output: {e}"))
}

/// One cell as text: NULL shows as empty, strings without quotes.
pub fn cell_text(value: &AnyValue) -> String {
    match value {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(f) => format_float(*f),
        AnyValue::Float32(f) => format_float(*f as f64),
        other => other.to_string(),
    }
}

fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        let s = format!("{f:.6}");
        s.trim_end_matches('0').to_string()
    }
}

fn is_numeric(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric() || matches!(dtype, DataType::Decimal(..))
}

/// The frame's rows as cells, NULL kept apart from text (no header).
pub fn to_cells(df: &DataFrame) -> Vec<Vec<Option<String>>> {
    (0..df.height())
        .map(|i| {
            df.get_columns()
                .iter()
                .map(|c| match c.get(i) {
                    Ok(AnyValue::Null) | Err(_) => None,
                    Ok(v) => Some(cell_text(&v)),
                })
                .collect()
        })
        .collect()
}

/// The frame as rows of cell strings, header first.
pub fn to_text_rows(df: &DataFrame) -> Vec<Vec<String>> {
    let mut rows = vec![df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()];
    for i in 0..df.height() {
        rows.push(
            df.get_columns()
                .iter()
                .map(|c| c.get(i).map(|v| cell_text(&v)).unwrap_or_default())
                .collect(),
        );
    }
    rows
}

fn write_grid(df: &DataFrame, out: &mut dyn Write, markdown: bool) -> Result<()> {
    let rows: Vec<Vec<String>> = to_text_rows(df)
        .into_iter()
        .map(|row| row.iter().map(|c| escape(c, markdown)).collect())
        .collect();
    let numeric: Vec<bool> = df
        .get_columns()
        .iter()
        .enumerate()
        .map(|(i, c)| is_numeric(c.dtype()) || all_decimal_text(&rows[1..], i))
        .collect();
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(if markdown { 3 } else { 1 })
        })
        .collect();
    let pad = |text: &str, i: usize| {
        let fill = widths[i] - text.chars().count();
        if numeric[i] {
            format!("{}{text}", " ".repeat(fill))
        } else {
            format!("{text}{}", " ".repeat(fill))
        }
    };
    let mut text = String::new();
    for (r, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row.iter().enumerate().map(|(i, c)| pad(c, i)).collect();
        if markdown {
            text.push_str(&format!("| {} |\n", cells.join(" | ")));
        } else {
            text.push_str(cells.join("  ").trim_end());
            text.push('\n');
        }
        if r == 0 {
            let rules: Vec<String> = widths
                .iter()
                .zip(&numeric)
                .map(|(w, num)| match (markdown, num) {
                    (true, true) => format!("{}:", "-".repeat(w - 1)),
                    _ => "-".repeat(*w),
                })
                .collect();
            if markdown {
                text.push_str(&format!("| {} |\n", rules.join(" | ")));
            } else {
                text.push_str(&rules.join("  "));
                text.push('\n');
            }
        }
    }
    if !markdown {
        text.push_str(&format!(
            "({} row{})\n",
            df.height(),
            if df.height() == 1 { "" } else { "s" }
        ));
    }
    out.write_all(text.as_bytes()).map_err(io_error)
}

/// A text column every cell of which is an exact decimal (an `exact_column`).
fn all_decimal_text(rows: &[Vec<String>], i: usize) -> bool {
    let mut cells = rows.iter().map(|r| r[i].as_str()).filter(|c| !c.is_empty());
    let mut any = false;
    let all = cells.all(|c| {
        any = true;
        crate::decimal::Exact::parse(c).is_some()
    });
    any && all
}

fn escape(cell: &str, markdown: bool) -> String {
    let cell = printable(&cell.replace('\n', " "), false);
    if markdown {
        cell.replace('|', "\\|")
    } else {
        cell
    }
}

/// `text` as it may reach a terminal: data can hold escape sequences (`ESC ]0;…BEL` sets the
/// window title, `ESC [2J` clears the screen) and bidirectional overrides that reorder what
/// is shown. Control characters become their Unicode pictures (`␛`, one column wide, so
/// tables stay aligned), C1 controls and bidi overrides `�`; line breaks stay when
/// `keep_lines` (a message), else they become spaces (a cell).
pub fn printable(text: &str, keep_lines: bool) -> String {
    let risky =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(risky) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\n' if keep_lines => '\n',
            '\n' | '\r' | '\t' => ' ',
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            c if risky(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DataFrame {
        let conn = Connection::open_in_memory().unwrap();
        query(
            &conn,
            "SELECT * FROM (VALUES ('a', 1.5, 10), ('b|c', NULL, 200)) t(name, amount, n) ORDER BY name",
            [],
        )
        .unwrap()
    }

    fn render(format: Format) -> String {
        let mut out = Vec::new();
        write(&mut sample(), format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_every_format() {
        assert_eq!(
            render(Format::Table),
            "name  amount    n\n----  ------  ---\na        1.5   10\nb|c           200\n(2 rows)\n"
        );
        assert_eq!(
            render(Format::Md),
            "| name | amount |   n |\n| ---- | -----: | --: |\n| a    |    1.5 |  10 |\n| b\\|c |        | 200 |\n"
        );
        assert_eq!(render(Format::Csv), "name,amount,n\na,1.5,10\nb|c,,200\n");
        let json: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
        assert_eq!(json[1]["n"], 200);
        assert!(json[1]["amount"].is_null());
    }

    #[test]
    fn empty_results_keep_their_columns() {
        let conn = Connection::open_in_memory().unwrap();
        let df = query(&conn, "SELECT 1 AS a, 'x' AS b WHERE false", []).unwrap();
        assert_eq!(df.get_column_names().len(), 2);
        assert_eq!(df.height(), 0);
    }

    /// Before: `\e]0;pwned\a\e[2J` in a value set the terminal's title and cleared it.
    #[test]
    fn escape_sequences_in_data_do_not_reach_the_terminal() {
        let conn = Connection::open_in_memory().unwrap();
        let mut df = query(
            &conn,
            "SELECT chr(27) || ']0;pwned' || chr(7) || chr(27) || '[2J' || chr(8238) || 'x' AS name, 1 AS n",
            [],
        )
        .unwrap();
        for format in [Format::Table, Format::Md] {
            let mut out = Vec::new();
            write(&mut df, format, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(
                !text
                    .chars()
                    .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
                "{text:?}"
            );
            assert!(text.contains("␛]0;pwned␇␛[2J�x"), "{text}");
        }
        assert_eq!(printable("a\nb\u{1b}", true), "a\nb␛");
        assert_eq!(printable("plain", false), "plain");
    }
}
