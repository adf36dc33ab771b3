//! How a CSV export is written, guessed from its first bytes when nobody said: the
//! delimiter (the one that splits the header most), a decimal comma (numbers like `12,50`
//! in a file not delimited by commas), the date order (`31/01/2024` can only be day first)
//! and the encoding (bytes that are not UTF-8 are read as latin-1; a UTF-16 byte-order mark
//! says UTF-16). What was assumed is said with the report, so a wrong guess is seen.

use std::io::Read;
use std::path::Path;

use crate::config::CsvHints;
use crate::error::{IoContext, Result};

const SAMPLE: usize = 64 * 1024;
const DELIMITERS: [char; 4] = [',', ';', '\t', '|'];

/// The hints `given` completed with what the file's start suggests.
pub fn complete(file: &Path, given: &CsvHints) -> Result<CsvHints> {
    let mut bytes = Vec::with_capacity(SAMPLE);
    std::fs::File::open(file)
        .and_then(|f| f.take(SAMPLE as u64).read_to_end(&mut bytes))
        .io_context(|| format!("cannot read {}", file.display()))?;
    Ok(from_sample(&bytes, given))
}

fn from_sample(bytes: &[u8], given: &CsvHints) -> CsvHints {
    let mut hints = given.clone();
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        hints.encoding.get_or_insert_with(|| "utf-16".into());
        return hints;
    }
    // A sample may end inside a character: only an error before its last 3 bytes counts.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(e) if e.valid_up_to() + 4 > bytes.len() => {
            String::from_utf8_lossy(&bytes[..e.valid_up_to()]).to_string()
        }
        Err(_) => {
            // Bytes 0x80–0x9F are control characters in latin-1 and `€`, `’`, `“`… in the
            // Windows-1252 that Excel on Windows writes.
            let windows = bytes.iter().any(|b| (0x80..=0x9F).contains(b));
            let guess = if windows { "cp1252" } else { "latin-1" };
            hints.encoding.get_or_insert_with(|| guess.into());
            bytes.iter().map(|&b| b as char).collect()
        }
    };
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches('\u{feff}');
    let delimiter = match &hints.delimiter {
        Some(d) => d.chars().next().unwrap_or(','),
        None => {
            let d = DELIMITERS
                .into_iter()
                .max_by_key(|d| (header.matches(*d).count(), *d == ','))
                .unwrap_or(',');
            if d != ',' {
                hints.delimiter = Some(if d == '\t' {
                    "\\t".into()
                } else {
                    d.to_string()
                });
            }
            d
        }
    };
    // Full lines only: the sample's last line may be cut.
    let rows: Vec<&str> = lines.take(2000).collect();
    let fields = || {
        rows.iter()
            .flat_map(move |l| l.split(delimiter))
            .map(|f| f.trim().trim_matches('"'))
    };
    if hints.decimal.is_none() && delimiter != ',' {
        let comma = fields().any(|f| is_number_with(f, ','));
        let point = fields().any(|f| is_number_with(f, '.'));
        if comma && !point {
            hints.decimal = Some(",".into());
        }
    }
    if hints.date_format.is_none() {
        hints.date_format = date_order(fields());
    }
    hints
}

/// `-?digits<mark>digits`, nothing else.
fn is_number_with(field: &str, mark: char) -> bool {
    let f = field.strip_prefix('-').unwrap_or(field);
    match f.split_once(mark) {
        Some((w, d)) => {
            !w.is_empty()
                && !d.is_empty()
                && w.chars().all(|c| c.is_ascii_digit())
                && d.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// The format of `dd/mm/yyyy`-like dates among `fields`: day first when a first part is
/// over 12, month first when a second part is; day first when nothing tells (the exports
/// this is for come from European spreadsheets). ISO dates need no format (None).
fn date_order<'a>(fields: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut seen: Option<char> = None;
    let (mut day_first, mut month_first) = (false, false);
    for f in fields {
        let Some(sep) = ['/', '.', '-']
            .into_iter()
            .find(|s| f.matches(*s).count() == 2)
        else {
            continue;
        };
        let parts: Vec<&str> = f.split(sep).collect();
        let numeric = parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if !numeric || parts[2].len() != 4 || parts[0].len() > 2 || parts[1].len() > 2 {
            continue;
        }
        let (a, b): (u32, u32) = (parts[0].parse().unwrap_or(0), parts[1].parse().unwrap_or(0));
        day_first |= a > 12;
        month_first |= b > 12;
        seen = Some(sep);
    }
    let sep = seen?;
    Some(if month_first && !day_first {
        format!("%m{sep}%d{sep}%Y")
    } else {
        format!("%d{sep}%m{sep}%Y")
    })
}

/// What the hints say, for the note beside a report: "delimiter ';', decimal ','".
pub fn describe(h: &CsvHints) -> String {
    let mut parts = vec![format!(
        "delimiter '{}'",
        h.delimiter.as_deref().unwrap_or(",")
    )];
    parts.push(format!("decimal '{}'", h.decimal.as_deref().unwrap_or(".")));
    if let Some(f) = &h.date_format {
        parts.push(format!("dates {f}"));
    }
    parts.push(format!(
        "encoding {}",
        h.encoding.as_deref().unwrap_or("utf-8")
    ));
    if !h.rename.is_empty() {
        let r: Vec<String> = h.rename.iter().map(|(a, b)| format!("{a}={b}")).collect();
        parts.push(format!("renamed {}", r.join(", ")));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_european_export_is_recognised() {
        let h = from_sample(
            "Rechnung;Datum;Betrag\nA-1;31/01/2024;1234,50\nA-2;02/02/2024;-7,05\n".as_bytes(),
            &CsvHints::default(),
        );
        assert_eq!(h.delimiter.as_deref(), Some(";"));
        assert_eq!(h.decimal.as_deref(), Some(","));
        assert_eq!(h.date_format.as_deref(), Some("%d/%m/%Y"));
        assert_eq!(h.encoding, None);
    }

    #[test]
    fn a_plain_export_needs_nothing_and_given_hints_win() {
        let plain = from_sample(b"id,day,amount\n1,2024-01-31,12.50\n", &CsvHints::default());
        assert_eq!(plain, CsvHints::default());
        let us = from_sample(b"id|day\n1|01/31/2024\n", &CsvHints::default());
        assert_eq!(us.delimiter.as_deref(), Some("|"));
        assert_eq!(us.date_format.as_deref(), Some("%m/%d/%Y"));
        let given = CsvHints {
            delimiter: Some(",".into()),
            ..CsvHints::default()
        };
        let kept = from_sample(b"a;b,c\n1;2,3\n", &given);
        assert_eq!(kept.delimiter.as_deref(), Some(","));
        let latin = from_sample(b"name;amount\nCaf\xe9;1,5\n", &CsvHints::default());
        assert_eq!(latin.encoding.as_deref(), Some("latin-1"));
    }
}
