//! Fixed-width legacy text (mainframe and old ERP reports): each line cut into the columns
//! of `fixed_width` by character position and written as a CSV copy the import reads as any
//! export. Positions count characters, so the text is decoded first (UTF-8, UTF-16 by its
//! byte-order mark, latin-1 or Windows-1252); lines may end in LF, CRLF or a bare CR. Values
//! are trimmed of the padding around them; an empty one is NULL.
//!
//! The cut is also the structure check: a line too short to reach its last column, text
//! past the last column, or bytes that are not the file's encoding are refused with the
//! file and line (and column) named, before anything is imported.

use std::io::{BufWriter, Read, Write};
use std::path::Path;

use encoding_rs::{DecoderResult, Encoding, UTF_16LE, UTF_8, WINDOWS_1252};

use crate::config::fixed::{place, Placed};
use crate::config::CsvHints;
use crate::error::{Error, IoContext, Result};

/// The hints the copy is read with: `;`-separated when decimals are written with a comma
/// (so a figure is never split), UTF-8, the user's decimal mark, dates and renames kept.
pub fn csv_hints(given: &CsvHints) -> CsvHints {
    CsvHints {
        delimiter: Some(delimiter(given).to_string()),
        decimal: given.decimal.clone(),
        date_format: given.date_format.clone(),
        rename: given.rename.clone(),
        ..CsvHints::default()
    }
}

fn delimiter(given: &CsvHints) -> char {
    match given.decimal.as_deref() {
        Some(",") => ';',
        _ => ',',
    }
}

fn encoding(hints: &CsvHints) -> &'static Encoding {
    match hints
        .encoding
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("utf-16") => UTF_16LE,
        Some("latin-1" | "cp1252" | "windows-1252") => WINDOWS_1252,
        _ => UTF_8,
    }
}

/// Where a line is, for messages.
struct At<'a> {
    file: &'a Path,
    line: u64,
}

impl At<'_> {
    fn error(&self, why: impl std::fmt::Display) -> Error {
        Error::Usage(format!(
            "{}, line {}: {why}",
            self.file.display(),
            self.line
        ))
    }
}

/// The fields of one line, trimmed (None when blank), or why the line does not fit.
fn cut<'a>(line: &'a str, columns: &[Placed], at: &At) -> Result<Vec<Option<&'a str>>> {
    // Byte offset of each character (ASCII lines, the usual case, need no table).
    let offsets: Option<Vec<usize>> =
        (!line.is_ascii()).then(|| line.char_indices().map(|(i, _)| i).collect());
    let chars = offsets.as_ref().map_or(line.len(), Vec::len);
    let byte = |c: usize| match &offsets {
        None => c.min(line.len()),
        Some(o) => o.get(c).copied().unwrap_or(line.len()),
    };
    let last = columns.last().expect("a layout has columns");
    if chars <= last.offset {
        return Err(at.error(format!(
            "{chars} characters, but the last column `{}` starts at character {}: the line is \
             cut short (or the layout does not fit this file)",
            last.name,
            last.offset + 1
        )));
    }
    let rest = &line[byte(last.end())..];
    if !rest.trim().is_empty() {
        return Err(at.error(format!(
            "text past the last column `{}` (which ends at character {}): `{}`",
            last.name,
            last.end(),
            rest.trim().chars().take(40).collect::<String>()
        )));
    }
    Ok(columns
        .iter()
        .map(|c| {
            let v = line[byte(c.offset)..byte(c.end())].trim();
            (!v.is_empty()).then_some(v)
        })
        .collect())
}

fn write_record<'a>(
    w: &mut impl Write,
    fields: impl Iterator<Item = Option<&'a str>>,
    delimiter: char,
) -> std::io::Result<()> {
    let mut line = String::new();
    for (i, f) in fields.enumerate() {
        if i > 0 {
            line.push(delimiter);
        }
        match f {
            None => {}
            Some(v) if v.contains([delimiter, '"', '\n', '\r']) => {
                line.push('"');
                line.push_str(&v.replace('"', "\"\""));
                line.push('"');
            }
            Some(v) => line.push_str(v),
        }
    }
    line.push('\n');
    w.write_all(line.as_bytes())
}

/// Lines of decoded text as they arrive, ended by LF, CRLF or a bare CR.
struct Lines {
    pending: String,
    number: u64,
}

impl Lines {
    /// The complete lines in `pending` (all of it when `last`), handed to `each`.
    fn take(&mut self, last: bool, each: &mut dyn FnMut(&str, u64) -> Result<()>) -> Result<()> {
        let mut start = 0;
        let bytes = self.pending.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' {
                // A CR at the end of what arrived may be the first half of a CRLF.
                if b == b'\r' && i + 1 == bytes.len() && !last {
                    break;
                }
                self.number += 1;
                each(&self.pending[start..i], self.number)?;
                i += if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
                continue;
            }
            i += 1;
        }
        if last && start < self.pending.len() {
            self.number += 1;
            each(&self.pending[start..], self.number)?;
            start = self.pending.len();
        }
        self.pending.drain(..start);
        Ok(())
    }
}

/// Write `file`, cut by the layout of `hints`, to `out` as CSV with a header; the data
/// lines written (blank lines are left out).
pub fn to_csv(file: &Path, hints: &CsvHints, out: &Path) -> Result<u64> {
    let columns = place(hints.fixed_width.as_deref().unwrap_or_default());
    if columns.is_empty() {
        return Err(Error::Usage("fixed_width has no columns".into()));
    }
    let skip = u64::from(hints.header_rows.unwrap_or(0));
    let delim = delimiter(hints);
    let cannot = |e: std::io::Error| Error::Runtime(format!("cannot write {}: {e}", out.display()));
    let mut input =
        std::fs::File::open(file).io_context(|| format!("cannot read {}", file.display()))?;
    let mut w = BufWriter::new(std::fs::File::create(out).map_err(cannot)?);
    write_record(&mut w, columns.iter().map(|c| Some(c.name.as_str())), delim).map_err(cannot)?;
    let encoding = encoding(hints);
    let mut decoder = encoding.new_decoder();
    let mut lines = Lines {
        pending: String::new(),
        number: 0,
    };
    let mut chunk = vec![0u8; 1 << 20];
    let mut written = 0u64;
    let mut each = |line: &str, number: u64| -> Result<()> {
        let at = At { file, line: number };
        if number <= skip || line.trim().is_empty() {
            return Ok(());
        }
        let fields = cut(line, &columns, &at)?;
        write_record(&mut w, fields.into_iter(), delim).map_err(cannot)?;
        written += 1;
        Ok(())
    };
    loop {
        let n = input
            .read(&mut chunk)
            .io_context(|| format!("cannot read {}", file.display()))?;
        let last = n == 0;
        let mut input = &chunk[..n];
        loop {
            lines.pending.reserve(
                decoder
                    .max_utf8_buffer_length_without_replacement(input.len())
                    .unwrap_or(input.len() * 3 + 16),
            );
            let (result, read) =
                decoder.decode_to_string_without_replacement(input, &mut lines.pending, last);
            input = &input[read..];
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => continue,
                DecoderResult::Malformed(..) => {
                    let line = lines.number + lines.pending.matches('\n').count() as u64 + 1;
                    return Err(At { file, line }.error(format!(
                        "bytes that are not {} text; set `encoding` (utf-8, utf-16, latin-1, cp1252)",
                        encoding.name()
                    )));
                }
            }
        }
        lines.take(last, &mut each)?;
        if last {
            break;
        }
    }
    w.flush().map_err(cannot)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::fixed::parse_spec;

    fn hints(spec: &str) -> CsvHints {
        CsvHints {
            fixed_width: Some(parse_spec(spec).unwrap()),
            ..CsvHints::default()
        }
    }

    fn convert(bytes: &[u8], hints: &CsvHints) -> Result<String> {
        let dir = tempfile::tempdir().unwrap();
        let (file, out) = (dir.path().join("in.txt"), dir.path().join("out.csv"));
        std::fs::write(&file, bytes).unwrap();
        to_csv(&file, hints, &out)?;
        Ok(std::fs::read_to_string(out).unwrap())
    }

    #[test]
    fn lines_are_cut_by_character_and_trimmed() {
        let h = hints("id:4,name:5-12,amount:8");
        let text = "0001Müller   1234.50\r\n0002O'Hara,J   -3.25\r\n\n0003          \r";
        assert_eq!(
            convert(text.as_bytes(), &h).unwrap(),
            "id,name,amount\n0001,Müller,1234.50\n0002,\"O'Hara,J\",-3.25\n0003,,\n"
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let h = hints("id:4,name:8,amount:8");
        let short = convert(b"0001Smith   12.00\n0002Jo\n", &h)
            .unwrap_err()
            .to_string();
        assert!(
            short.contains(
                "line 2: 6 characters, but the last column `amount` starts at character 13"
            ),
            "{short}"
        );
        let long = convert(b"0001Smith      12.00 extra\n", &h)
            .unwrap_err()
            .to_string();
        assert!(
            long.contains(
                "line 1: text past the last column `amount` (which ends at character 20): `extra`"
            ),
            "{long}"
        );
        let bytes = convert(b"0001Smith      12.00\n0002M\xfcller     1.00\n", &h)
            .unwrap_err()
            .to_string();
        assert!(
            bytes.contains("line 2: bytes that are not UTF-8 text"),
            "{bytes}"
        );
    }

    #[test]
    fn other_encodings_and_decimal_commas() {
        let mut h = hints("id:4,name:8,amount:8");
        h.encoding = Some("cp1252".into());
        h.decimal = Some(",".into());
        h.header_rows = Some(1);
        let text = b"ID  NAME    AMOUNT\n0001M\xfcller \x80   12,50\n";
        assert_eq!(
            convert(text, &h).unwrap(),
            "id;name;amount\n0001;Müller €;12,50\n"
        );
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "0001Zoë       1.00\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let mut h = hints("id:4,name:8,amount:8");
        h.encoding = Some("utf-16".into());
        assert_eq!(
            convert(&utf16, &h).unwrap(),
            "id,name,amount\n0001,Zoë,1.00\n"
        );
    }
}
