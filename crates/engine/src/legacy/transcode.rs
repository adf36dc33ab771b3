//! Text the structure check and DuckDB's CSV reader do not take as it is: Windows-1252, what
//! Excel on Windows writes as "CSV" (latin-1 but for `€`, `’`, `“ ”`, `–` and friends in
//! 0x80–0x9F, which latin-1 reads as control characters), and UTF-16 (what Excel's "Unicode
//! text" and many Windows tools write), which DuckDB reads but the record-by-record check
//! cannot. Such files are transcoded to UTF-8 with encoding_rs into temporary files, a chunk
//! at a time, and read (and checked) as any UTF-8 export.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use encoding_rs::{CoderResult, Encoding, UTF_16LE, WINDOWS_1252};

use crate::config::CsvHints;
use crate::error::{IoContext, Result};

/// The encodings transcoded here, as `encoding` names them.
pub const TRANSCODED: [&str; 3] = ["cp1252", "windows-1252", "utf-16"];

/// UTF-8 copies of files, kept while `dir` lives.
pub struct Transcoded {
    pub dir: tempfile::TempDir,
    pub files: Vec<PathBuf>,
}

/// The encoding `hints` name when it is one DuckDB cannot read itself.
pub fn needed(hints: &CsvHints) -> Option<&'static Encoding> {
    let name = hints.encoding.as_deref()?.to_ascii_lowercase();
    match name.as_str() {
        // The byte-order mark, when there is one, says which end comes first.
        "utf-16" => Some(UTF_16LE),
        n if TRANSCODED.contains(&n) => Some(WINDOWS_1252),
        _ => None,
    }
}

/// `files` as UTF-8 copies when `hints` name an encoding DuckDB cannot read (None
/// otherwise), with the hints to read the copies by.
pub fn to_utf8(files: &[PathBuf], hints: &CsvHints) -> Result<Option<(Transcoded, CsvHints)>> {
    let Some(encoding) = needed(hints) else {
        return Ok(None);
    };
    if encoding == UTF_16LE {
        // A UTF-8 file said to be UTF-16 would read as garbage: refused, named.
        for f in files {
            super::structure::utf16_expected(f)?;
        }
    }
    let dir = tempfile::tempdir().io_context(|| "cannot make a temporary folder".into())?;
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let copy = dir.path().join(format!("utf8_{i}.csv"));
        transcode(f, &copy, encoding)?;
        out.push(copy);
    }
    let read_as = CsvHints {
        encoding: None,
        ..hints.clone()
    };
    Ok(Some((Transcoded { dir, files: out }, read_as)))
}

fn transcode(from: &Path, to: &Path, encoding: &'static Encoding) -> Result<()> {
    let mut input =
        std::fs::File::open(from).io_context(|| format!("cannot read {}", from.display()))?;
    let output =
        std::fs::File::create(to).io_context(|| format!("cannot write {}", to.display()))?;
    let mut output = BufWriter::new(output);
    let mut decoder = encoding.new_decoder();
    let mut chunk = vec![0u8; 1 << 20];
    let mut text = String::new();
    loop {
        let n = input
            .read(&mut chunk)
            .io_context(|| format!("cannot read {}", from.display()))?;
        let last = n == 0;
        text.clear();
        text.reserve(decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16));
        let (result, _, _) = decoder.decode_to_string(&chunk[..n], &mut text, last);
        debug_assert!(matches!(result, CoderResult::InputEmpty), "reserved enough");
        output
            .write_all(text.as_bytes())
            .io_context(|| format!("cannot write {}", to.display()))?;
        if last {
            break;
        }
    }
    output
        .flush()
        .io_context(|| format!("cannot write {}", to.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_keeps_the_euro_and_the_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("export.csv");
        // "Café", "€ 12,50", "“quoted”" as Excel on Windows writes them.
        std::fs::write(&file, b"name;amount\nCaf\xe9 \x93quoted\x94;\x80 12,50\n").unwrap();
        let hints = CsvHints {
            encoding: Some("CP1252".into()),
            ..CsvHints::default()
        };
        let (copies, read_as) = to_utf8(std::slice::from_ref(&file), &hints)
            .unwrap()
            .unwrap();
        assert_eq!(read_as.encoding, None);
        let text = std::fs::read_to_string(&copies.files[0]).unwrap();
        assert_eq!(text, "name;amount\nCafé “quoted”;€ 12,50\n");
        let latin = CsvHints {
            encoding: Some("latin-1".into()),
            ..CsvHints::default()
        };
        assert!(
            to_utf8(&[file], &latin).unwrap().is_none(),
            "DuckDB reads latin-1 itself"
        );
    }
}
