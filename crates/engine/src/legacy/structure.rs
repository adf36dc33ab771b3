//! A strict structural check of a CSV file before DuckDB reads it: every record has as many
//! fields as the header, and every quote is closed. DuckDB's sniffer can take a malformed
//! tail for the header and load garbage; this pass names the file and line instead.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::figures::{Shape, Watch};
use super::header::{first_lines, header_problem, split_line};
use crate::error::{Error, Result};

/// Check `path` with `delimiter` (a single byte; UTF-8 and Latin-1 files), naming it
/// `shown` in messages (the file a transcoded copy was made from: same lines). With `utf8`,
/// a byte sequence that is not UTF-8 is refused with its line (the file wants `encoding`).
pub fn check(path: &Path, shown: &Path, delimiter: u8, utf8: bool) -> Result<u64> {
    Ok(check_watching(path, shown, delimiter, utf8, &[], b'.')?.0)
}

/// `check`, gathering on the way the shapes of the figures of the columns `figures` (named
/// as the header names them; a column this file lacks keeps an empty shape), with the
/// decimal mark `mark`: (records, a shape per column).
pub fn check_watching(
    path: &Path,
    shown: &Path,
    delimiter: u8,
    utf8: bool,
    figures: &[String],
    mark: u8,
) -> Result<(u64, Vec<Shape>)> {
    let shown = shown.display();
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Runtime(format!("cannot read {shown}: {e}")))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let head = reader
        .fill_buf()
        .map_err(|e| Error::Runtime(format!("cannot read {shown}: {e}")))?;
    header_problem(head, delimiter).map_err(|m| Error::Runtime(format!("{shown}: {m}")))?;
    let header = split_line(first_lines(head).0, delimiter);
    let mut watch = Watch::new(figures, &header, mark);
    let records = watched_reader(reader, delimiter, utf8, &mut watch)
        .map_err(|m| Error::Runtime(format!("{shown}: {m}")))?;
    Ok((records, watch.shapes))
}

/// A file read as UTF-16 must look like it: a byte-order mark, or the zero bytes every
/// ASCII character has in UTF-16. A UTF-8 file under `encoding = "utf-16"` reads as garbage.
pub fn utf16_expected(path: &Path) -> Result<()> {
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| Error::Runtime(format!("cannot read {}: {e}", path.display())))?;
    let head = &head[..n];
    let bom = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if bom || head.contains(&0) {
        return Ok(());
    }
    Err(Error::Runtime(format!(
        "{}: the setting encoding = \"utf-16\" does not fit this file (no UTF-16 byte-order \
         mark, no zero bytes: it is 8-bit text); use encoding = \"utf-8\" or \"latin-1\"",
        path.display()
    )))
}

/// DuckDB's default `max_line_size`: a longer record fails inside DuckDB with a message that
/// names neither the file nor the right line.
const MAX_RECORD_BYTES: u64 = 2_000_000;

/// Records (after the header) in the file; Err is a message with the line.
#[cfg(test)]
fn check_reader(
    reader: impl BufRead,
    delimiter: u8,
    utf8: bool,
) -> std::result::Result<u64, String> {
    watched_reader(reader, delimiter, utf8, &mut Watch::new(&[], &[], b'.'))
}

/// `check_reader`, showing `watch` every field of every record (not the header's).
fn watched_reader(
    mut reader: impl BufRead,
    delimiter: u8,
    utf8: bool,
    watch: &mut Watch,
) -> std::result::Result<u64, String> {
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
    let mut record_bytes = 0u64;
    let mut buf = Vec::with_capacity(1 << 16);
    loop {
        buf.clear();
        // Never more than the record may still grow by, plus one byte to know it grew past
        // it: a 1 GB line is refused after 2 MB read, not after 1 GB held.
        let room = MAX_RECORD_BYTES + 1 - record_bytes.min(MAX_RECORD_BYTES);
        let read = chained
            .by_ref()
            .take(room)
            .read_until(b'\n', &mut buf)
            .map_err(|e| e.to_string())?;
        if read == 0 {
            break;
        }
        record_bytes += read as u64;
        if record_bytes > MAX_RECORD_BYTES {
            return Err(format!(
                "line {record_line}: a record longer than {} MB (DuckDB reads records of up to 2 MB); \
                 most likely a quote opened here is closed far too late",
                MAX_RECORD_BYTES / 1_000_000
            ));
        }
        if utf8 {
            not_utf8(&buf, line)?;
        }
        // Jump from one byte that matters (delimiter, quote, newline) to the next; the
        // bytes between them only mean "this field and record are not empty".
        let mut i = 0;
        // Where the current field began in this line; a field carried over from the line
        // before (quoted, with a newline in it) is text, never a figure.
        let mut field_start = 0;
        let mut field_split = in_quotes;
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
            if b != b'"' && header_fields.is_some() && !field_split {
                watch.field(fields - 1, &buf[field_start..i + p]);
            }
            i += p + 1;
            if b != b'"' {
                field_start = i;
                field_split = false;
            }
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
                    record_bytes = 0;
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
        // The last line of a file that does not end with a newline.
        if buf.last() != Some(&b'\n') && !in_quotes && header_fields.is_some() && !field_split {
            watch.field(fields - 1, &buf[field_start.min(buf.len())..]);
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

/// Where a line stops being UTF-8, as a message naming the line, column and byte.
fn not_utf8(buf: &[u8], line: u64) -> std::result::Result<(), String> {
    match std::str::from_utf8(buf) {
        Ok(_) => Ok(()),
        Err(e) if e.error_len().is_none() => Ok(()), // a character cut by the read; cannot happen at '\n'
        Err(e) => {
            let at = e.valid_up_to();
            let column = String::from_utf8_lossy(&buf[..at]).chars().count() + 1;
            Err(format!(
                "line {line}, column {column}: byte 0x{:02X} is not UTF-8; the file is probably \
                 Latin-1 or Windows-1252: set encoding = \"latin-1\"",
                buf[at]
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_measures_the_figures_it_passes() {
        let text = "id,amount,\"note\",rate\n1,12.50,\"a, b\",1e3\n2,-3,\"x\ny\",2\n3,,c,0.125\n4,\"7.5\",d,4";
        let header = split_line(b"id,amount,\"note\",rate", b',');
        let names = ["amount".to_string(), "rate".to_string(), "gone".to_string()];
        let mut watch = Watch::new(&names, &header, b'.');
        let records = watched_reader(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            b',',
            true,
            &mut watch,
        );
        assert_eq!(records, Ok(4));
        let [amount, rate, gone] = watch.shapes.as_slice() else {
            panic!("{:?}", watch.shapes)
        };
        assert_eq!(
            amount.decimal().as_deref(),
            Some("DECIMAL(18, 2)"),
            "{amount:?}"
        );
        assert_eq!(
            rate.decimal(),
            None,
            "an exponent keeps it a float: {rate:?}"
        );
        assert_eq!(
            gone.decimal().as_deref(),
            Some("DECIMAL(18, 0)"),
            "no values"
        );
        // A value the sample did not have: more places than the first rows.
        let mut watch = Watch::new(&names[..1], &header, b'.');
        let more = "id,amount,note,rate\n1,12.50,a,1\n2,3.14159,b,2\n";
        watched_reader(
            std::io::Cursor::new(more.as_bytes().to_vec()),
            b',',
            true,
            &mut watch,
        )
        .unwrap();
        assert_eq!(watch.shapes[0].decimal().as_deref(), Some("DECIMAL(18, 5)"));
    }

    fn run(text: &str, delimiter: u8) -> std::result::Result<u64, String> {
        check_reader(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            delimiter,
            true,
        )
    }

    #[test]
    fn a_huge_record_is_named_by_its_line() {
        let mut text = String::from("a,b\n1,2\n3,\"");
        text.push_str(&"x\n".repeat(1_100_000));
        text.push_str("\"\n");
        let err = run(&text, b',').unwrap_err();
        assert!(
            err.starts_with("line 3: a record longer than 2 MB"),
            "{err}"
        );
    }

    /// Before: a 1 GB line was read whole (1.1 GB held) before it was refused.
    #[test]
    fn a_huge_line_is_refused_without_reading_it_whole() {
        struct Counted<R> {
            inner: R,
            read: std::rc::Rc<std::cell::Cell<u64>>,
        }
        impl<R: Read> Read for Counted<R> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.inner.read(buf)?;
                self.read.set(self.read.get() + n as u64);
                Ok(n)
            }
        }
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let line = std::io::repeat(b'x').take(200_000_000);
        let data = std::io::Cursor::new(b"a,b\n1,".to_vec()).chain(line);
        let reader = std::io::BufReader::new(Counted {
            inner: data,
            read: read.clone(),
        });
        let err = check_reader(reader, b',', true).unwrap_err();
        assert!(
            err.starts_with("line 2: a record longer than 2 MB"),
            "{err}"
        );
        assert!(read.get() < 3_000_000, "read {} bytes", read.get());
    }

    #[test]
    fn latin_1_bytes_in_a_utf8_file_name_line_and_column() {
        let data = b"id,city\n1,Berlin\n2,K\xF6ln\n".to_vec();
        let err = check_reader(std::io::Cursor::new(data.clone()), b',', true).unwrap_err();
        assert!(err.starts_with("line 3, column 4: byte 0xF6"), "{err}");
        assert_eq!(check_reader(std::io::Cursor::new(data), b',', false), Ok(2));
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

/// The structure check against what the records were made of: well-formed files of random
/// fields (quotes, delimiters and line breaks inside quoted fields, CRLF, a BOM) count their
/// records exactly; one record with a field too many is named by its first line; and no
/// input at all makes it panic.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn field() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec!['a', 'b', ' ', ',', ';', '"', '\n', 'é']),
            0..6,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    /// RFC 4180: a field with a delimiter, quote or line break is quoted, quotes doubled.
    fn write_field(f: &str, delimiter: char) -> String {
        if f.contains([delimiter, '"', '\n', '\r']) || f.is_empty() {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_string()
        }
    }

    fn file(records: &[Vec<String>], delimiter: char, crlf: bool, bom: bool) -> (String, Vec<u64>) {
        let mut text = String::from(if bom { "\u{feff}" } else { "" });
        let mut starts = Vec::new();
        let mut line = 1u64;
        for r in records {
            starts.push(line);
            let written: Vec<String> = r.iter().map(|f| write_field(f, delimiter)).collect();
            let record = written.join(&delimiter.to_string());
            line += record.matches('\n').count() as u64 + 1;
            text.push_str(&record);
            text.push_str(if crlf { "\r\n" } else { "\n" });
        }
        (text, starts)
    }

    proptest! {
        // PROPTEST_CASES=100000 runs it longer, as a fuzzer would.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
        ))]

        #[test]
        fn well_formed_files_count_their_records(
            width in 1usize..5,
            rows in prop::collection::vec(prop::collection::vec(field(), 5), 0..12),
            semicolon in any::<bool>(),
            crlf in any::<bool>(),
            bom in any::<bool>(),
        ) {
            let delimiter = if semicolon { ';' } else { ',' };
            let header: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
            let mut records = vec![header];
            records.extend(rows.into_iter().map(|r| r[..width].to_vec()));
            let (text, _) = file(&records, delimiter, crlf, bom);
            let got = check_reader(std::io::Cursor::new(text.into_bytes()), delimiter as u8, true);
            prop_assert_eq!(got, Ok(records.len() as u64 - 1));
        }

        #[test]
        fn a_record_with_a_field_too_many_is_named_by_its_line(
            width in 1usize..4,
            rows in prop::collection::vec(prop::collection::vec(field(), 5), 1..10),
            pick in any::<prop::sample::Index>(),
        ) {
            let header: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
            let mut records = vec![header];
            records.extend(rows.into_iter().map(|r| r[..width].to_vec()));
            let bad = 1 + pick.index(records.len() - 1);
            records[bad].push("extra".into());
            let (text, starts) = file(&records, ',', false, false);
            let got = check_reader(std::io::Cursor::new(text.into_bytes()), b',', true);
            let expected = format!(
                "line {}: {} fields, the header has {width} (check the delimiter and quotes)",
                starts[bad],
                width + 1
            );
            prop_assert_eq!(got, Err(expected));
        }

        #[test]
        fn no_input_makes_it_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), d in prop::sample::select(vec![b',', b';', b'\t', b'|'])) {
            let _ = header_problem(&bytes, d);
            let _ = check_reader(std::io::Cursor::new(bytes.clone()), d, true);
            let _ = check_reader(std::io::Cursor::new(bytes), d, false);
        }
    }
}
