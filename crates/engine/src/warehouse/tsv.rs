//! ClickHouse's TSVWithNamesAndTypes answers read into frames: the warehouse client's
//! untyped fetch (18.16 has no Arrow or Parquet output to read typed).

use polars::prelude::{Column, DataFrame};

use crate::error::{Error, Result};

/// TSV escapes: \t \n \\ and \N for NULL.
fn unescape(field: &str) -> Option<String> {
    if field == "\\N" {
        return None;
    }
    if !field.contains('\\') {
        return Some(field.to_string());
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Some(out)
}

fn is_number(ch_type: &str) -> Option<bool> {
    let t = ch_type
        .trim_start_matches("Nullable(")
        .trim_end_matches(')');
    if t.starts_with("Int") || t.starts_with("UInt") {
        Some(true)
    } else if t.starts_with("Float") || t.starts_with("Decimal") {
        Some(false)
    } else {
        None
    }
}

/// The names and types lines at the head of a TSVWithNamesAndTypes answer.
pub(super) fn tsv_header<'a>(
    lines: &mut impl Iterator<Item = &'a str>,
) -> (Vec<String>, Vec<String>) {
    let mut line = || -> Vec<String> {
        lines
            .next()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').filter_map(unescape).collect())
            .unwrap_or_default()
    };
    let names = line();
    let types = line();
    (names, types)
}

/// TSVWithNamesAndTypes → a frame: integers as i64, floats and decimals as f64, the rest
/// as text; `\N` is NULL.
pub fn parse_tsv(text: &str) -> Result<DataFrame> {
    let mut lines = text.split('\n');
    let (names, types) = tsv_header(&mut lines);
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); names.len()];
    for (n, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != names.len() {
            return Err(Error::Runtime(format!(
                "ClickHouse answer, row {}: {} fields, {} columns",
                n + 1,
                fields.len(),
                names.len()
            )));
        }
        for (c, f) in fields.into_iter().enumerate() {
            cells[c].push(unescape(f));
        }
    }
    let columns: Vec<Column> = names
        .iter()
        .zip(cells)
        .enumerate()
        .map(|(i, (name, values))| {
            let ty = types.get(i).map(String::as_str).unwrap_or("String");
            match is_number(ty) {
                Some(true) => Column::new(
                    name.as_str().into(),
                    values
                        .iter()
                        .map(|v| v.as_deref().and_then(|s| s.parse::<i64>().ok()))
                        .collect::<Vec<_>>(),
                ),
                Some(false) => Column::new(
                    name.as_str().into(),
                    values
                        .iter()
                        .map(|v| v.as_deref().and_then(|s| s.parse::<f64>().ok()))
                        .collect::<Vec<_>>(),
                ),
                None => Column::new(name.as_str().into(), values),
            }
        })
        .collect();
    crate::frame::from_columns(columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::ClickHouse as CH;

    #[test]
    fn parses_names_types_nulls_and_escapes() {
        let df =
            parse_tsv("n\ts\tx\nUInt64\tNullable(String)\tFloat64\n1\ta\\tb\t1.5\n2\t\\N\t\\N\n")
                .unwrap();
        let rows = crate::frame::to_text_rows(&df);
        assert_eq!(rows[0], vec!["n", "s", "x"]);
        assert_eq!(rows[1], vec!["1", "a\tb", "1.5"]);
        assert_eq!(rows[2], vec!["2", "", ""]);
        assert!(parse_tsv("a\tb\nInt8\tInt8\n1\n").is_err());
        assert_eq!(CH.dotted_table("bronze.sales`x"), "`bronze`.`sales\\`x`");
        assert_eq!(
            CH.ident("Amt. EUR"),
            "`Amt. EUR`",
            "a dot is part of a column's name"
        );
    }
}
