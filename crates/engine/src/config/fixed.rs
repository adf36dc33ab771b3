//! The layout of a fixed-width legacy file (`fixed_width = [{ name, start, width }, …]`) and
//! how a Qlik QVD dual value is read (`dual = "number" | "text"`): format hints beside the
//! CSV ones, with the checks `validate` runs on them and the ad hoc flag's spelling.

use serde::{Deserialize, Serialize};

/// One column of a fixed-width file. Positions count characters (not bytes), from 1.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FixedColumn {
    pub name: String,
    /// Where the column starts; right after the column before when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    pub width: usize,
}

/// A column placed: 0-based character offset and width.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub name: String,
    pub offset: usize,
    pub width: usize,
}

impl Placed {
    pub fn end(&self) -> usize {
        self.offset + self.width
    }
}

/// The columns with their starts filled in, in the order given.
pub fn place(columns: &[FixedColumn]) -> Vec<Placed> {
    let mut next = 0;
    columns
        .iter()
        .map(|c| {
            let offset = c.start.map_or(next, |s| s.saturating_sub(1));
            next = offset + c.width;
            Placed {
                name: c.name.clone(),
                offset,
                width: c.width,
            }
        })
        .collect()
}

/// What is wrong with a layout, one sentence each (empty when nothing is).
pub fn problems(columns: &[FixedColumn]) -> Vec<String> {
    let mut out = Vec::new();
    if columns.is_empty() {
        out.push("has no columns; give e.g. [{ name = \"id\", width = 8 }, …]".to_string());
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, c) in columns.iter().enumerate() {
        let at = format!("column {} (`{}`)", i + 1, c.name);
        if c.name.trim().is_empty() {
            out.push(format!("column {}: `name` is empty", i + 1));
        } else if !seen.insert(c.name.as_str()) {
            out.push(format!("{at}: the name is used twice"));
        }
        if c.width == 0 {
            out.push(format!("{at}: `width` must be at least 1"));
        }
        if c.start == Some(0) {
            out.push(format!("{at}: `start` counts from 1"));
        }
    }
    let placed = place(columns);
    for pair in placed.windows(2) {
        if pair[1].offset < pair[0].end() {
            out.push(format!(
                "`{}` starts at {}, inside `{}` (characters {}-{}); columns must not overlap and \
                 go left to right",
                pair[1].name,
                pair[1].offset + 1,
                pair[0].name,
                pair[0].offset + 1,
                pair[0].end()
            ));
        }
    }
    out
}

/// The ad hoc flag's spelling: `name:width` (right after the column before) or
/// `name:start-end` (1-based, inclusive), comma-separated.
pub fn parse_spec(text: &str) -> Result<Vec<FixedColumn>, String> {
    let columns = text
        .split(',')
        .map(|part| {
            let (name, place) = part
                .trim()
                .rsplit_once(':')
                .ok_or_else(|| format!("`{part}` is not name:width or name:start-end"))?;
            let number = |t: &str| {
                t.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("`{part}`: `{t}` is not a whole number"))
            };
            let (start, width) = match place.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (number(a)?, number(b)?);
                    if b < a || a == 0 {
                        return Err(format!(
                            "`{part}`: {a}-{b} is not a range of positions from 1"
                        ));
                    }
                    (Some(a), b - a + 1)
                }
                None => (None, number(place)?),
            };
            Ok(FixedColumn {
                name: name.trim().to_string(),
                start,
                width,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    match problems(&columns).first() {
        Some(p) => Err(p.clone()),
        None => Ok(columns),
    }
}

/// What a legacy file is, when its extension does not say (`kind`, ad hoc `--legacy-format`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LegacyKind {
    /// Delimited text (or fixed-width text, with `fixed_width`).
    Csv,
    /// A workbook: xlsx, xlsm, xlsb, xls or ods, told apart by content.
    Xlsx,
    /// A Qlik QVD file.
    Qvd,
}

/// How a QVD dual value (a number stored with the text Qlik showed for it, such as a date or
/// an amount formatted `1.234,50 €`) is read.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DualAs {
    /// The number; a field Qlik formats as a date or timestamp gives an ISO date or time.
    #[default]
    Number,
    /// The text as Qlik showed it.
    Text,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_placed_and_checked() {
        let cols = parse_spec("id:8, name:9-28,amount:12").unwrap();
        let placed = place(&cols);
        assert_eq!(
            placed
                .iter()
                .map(|p| (p.offset, p.width))
                .collect::<Vec<_>>(),
            vec![(0, 8), (8, 20), (28, 12)]
        );
        assert!(parse_spec("id:8,name:5-9")
            .unwrap_err()
            .contains("inside `id`"));
        assert!(parse_spec("id:0").unwrap_err().contains("at least 1"));
        assert!(parse_spec("id").unwrap_err().contains("name:width"));
        assert!(parse_spec("id:8,id:3").unwrap_err().contains("used twice"));
        assert!(parse_spec("id:9-3").unwrap_err().contains("not a range"));
    }
}
