//! A strict structural check of a CSV file before DuckDB reads it: every record has as many
//! fields as the header, and every quote is closed. DuckDB's sniffer can take a malformed
//! tail for the header and load garbage; this pass names the file and line instead.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};

/// Check `path` with `delimiter` (a single byte; UTF-8 and Latin-1 files).
pub fn check(path: &Path, delimiter: u8) -> Result<u64> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Runtime(format!("cannot read {}: {e}", path.display())))?;
    check_reader(BufReader::with_capacity(1 << 20, file), delimiter)
        .map_err(|m| Error::Runtime(format!("{}: {m}", path.display())))
}

/// Records (after the header) in the file; Err is a message with the line.
fn check_reader(mut reader: impl BufRead, delimiter: u8) -> std::result::Result<u64, String> {
    let mut bom = [0u8; 3];
    let mut start = Vec::new();
    let n = reader
        .by_ref()
        .take(3)
        .read(&mut bom)
        .map_err(|e| e.to_string())?;
    if bom[..n] != [0xEF, 0xBB, 0xBF][..n.min(3)] || n < 3 {
        start.extend_from_slice(&bom[..n]);
    }
    let mut chained = std::io::Cursor::new(start).chain(reader);
    let mut line = 1u64; // physical line of the current position
    let mut record_line = 1u64; // where the current record started
    let mut fields = 1usize;
    let mut header_fields: Option<usize> = None;
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut empty_record = true;
    let mut records = 0u64;
    let mut buf = Vec::with_capacity(1 << 16);
    loop {
        buf.clear();
        let read = chained
            .read_until(b'\n', &mut buf)
            .map_err(|e| e.to_string())?;
        if read == 0 {
            break;
        }
        // Jump from one byte that matters (delimiter, quote, newline) to the next; the
        // bytes between them only mean "this field and record are not empty".
        let mut i = 0;
        while i < buf.len() {
            if in_quotes {
                match memchr::memchr(b'"', &buf[i..]) {
                    Some(p) => {
                        i += p + 1;
                        in_quotes = false; // a doubled quote reopens below
                    }
                    None => {
                        // read_until stops at a newline: it can only be the last byte.
                        if buf.last() == Some(&b'\n') {
                            line += 1;
                        }
                        i = buf.len();
                    }
                }
                continue;
            }
            let found = memchr::memchr3(delimiter, b'"', b'\n', &buf[i..]);
            let end = found.map_or(buf.len(), |p| i + p);
            if buf[i..end].iter().any(|&c| c != b'\r') {
                at_field_start = false;
                empty_record = false;
            }
            let Some(p) = found else {
                break;
            };
            let b = buf[i + p];
            i += p + 1;
            match b {
                b'"' if at_field_start => {
                    in_quotes = true;
                    at_field_start = false;
                    empty_record = false;
                }
                b'"' => {
                    // The second quote of a doubled "" inside a quoted field.
                    in_quotes = true;
                }
                b'\n' => {
                    if !empty_record {
                        match header_fields {
                            None => header_fields = Some(fields),
                            Some(h) if h != fields => {
                                return Err(format!(
                                    "line {record_line}: {fields} fields, the header has {h} (check the delimiter and quotes)"
                                ))
                            }
                            Some(_) => records += 1,
                        }
                    }
                    line += 1;
                    record_line = line;
                    fields = 1;
                    at_field_start = true;
                    empty_record = true;
                }
                _ => {
                    // The delimiter.
                    fields += 1;
                    at_field_start = true;
                    empty_record = false;
                }
            }
        }
    }
    if in_quotes {
        return Err(format!(
            "line {record_line}: a quoted field is never closed"
        ));
    }
    if !empty_record {
        match header_fields {
            None => {}
            Some(h) if h != fields => {
                return Err(format!("line {record_line}: {fields} fields, the header has {h} (check the delimiter and quotes)"))
            }
            Some(_) => records += 1,
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, delimiter: u8) -> std::result::Result<u64, String> {
        check_reader(std::io::Cursor::new(text.as_bytes().to_vec()), delimiter)
    }

    #[test]
    fn accepts_well_formed_files() {
        assert_eq!(run("a,b\n1,2\n3,4", b','), Ok(2));
        assert_eq!(
            run("\u{feff}a;b\r\n1;\"x;\"\"y\"\"\nz\"\r\n\r\n", b';'),
            Ok(1)
        );
        assert_eq!(run("a,b\n", b','), Ok(0));
    }

    #[test]
    fn names_the_line_of_a_bad_record() {
        assert_eq!(
            run("a,b\n1,2\n3,4,5\n", b','),
            Err("line 3: 3 fields, the header has 2 (check the delimiter and quotes)".into())
        );
        assert_eq!(
            run("a,b\n1,\"two\nlines\"\n3,\"open\n", b','),
            Err("line 4: a quoted field is never closed".into())
        );
        assert_eq!(
            run("a;b\n1,2\n", b';'),
            Err("line 2: 1 fields, the header has 2 (check the delimiter and quotes)".into())
        );
    }
}
