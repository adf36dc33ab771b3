//! Legacy files DuckDB's CSV reader cannot take as they are: workbooks, Qlik QVD files and
//! fixed-width text. Each file is written as a CSV copy first and the copies are read as any
//! export, so the structure check, exact decimals and the compare are one code path; the
//! imported rows still name the original file in `_source`.

use std::path::{Path, PathBuf};

use super::{fixed, qvd, workbook};
use crate::config::{CsvHints, LegacyKind};
use crate::error::{Error, IoContext, Result};

/// What a set of files is, when it must be converted.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Workbook,
    Qvd,
    FixedWidth,
}

impl Kind {
    fn of(file: &Path, hints: &CsvHints) -> Option<Kind> {
        match hints.kind {
            Some(LegacyKind::Xlsx) => return Some(Kind::Workbook),
            Some(LegacyKind::Qvd) => return Some(Kind::Qvd),
            Some(LegacyKind::Csv) => {
                return hints.fixed_width.is_some().then_some(Kind::FixedWidth)
            }
            None => {}
        }
        if workbook::is_workbook(file) {
            Some(Kind::Workbook)
        } else if qvd::is_qvd(file) {
            Some(Kind::Qvd)
        } else if hints.fixed_width.is_some() {
            Some(Kind::FixedWidth)
        } else {
            None
        }
    }

    fn name(kind: Option<Kind>) -> &'static str {
        match kind {
            Some(Kind::Workbook) => "workbooks (xlsx, xls, ods…)",
            Some(Kind::Qvd) => "QVD files",
            Some(Kind::FixedWidth) => "fixed-width text",
            None => "CSV text",
        }
    }
}

/// CSV copies of files, kept while `dir` lives; `files[i]` was written from `from[i]`.
pub struct Copies {
    pub dir: tempfile::TempDir,
    pub files: Vec<PathBuf>,
    pub from: Vec<PathBuf>,
}

/// `files` written as CSV when they need it (None when they are read as they are), with
/// the hints the copies are read by. One export is one kind of file: a mix is refused.
pub fn as_csv(
    files: &[PathBuf],
    hints: &CsvHints,
    company: &str,
) -> Result<Option<(Copies, CsvHints)>> {
    let Some(first) = files.first() else {
        return Ok(None);
    };
    let kind = Kind::of(first, hints);
    if let Some(other) = files.iter().find(|f| Kind::of(f, hints) != kind) {
        return Err(Error::Usage(format!(
            "{} is {} but {} is {}: one export must be files of one kind",
            first.display(),
            Kind::name(kind),
            other.display(),
            Kind::name(Kind::of(other, hints))
        )));
    }
    let Some(kind) = kind else {
        return Ok(None);
    };
    let dir = tempfile::tempdir().io_context(|| "cannot make a temporary folder".into())?;
    let mut out = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let csv = dir.path().join(format!("copy_{i}.csv"));
        match kind {
            Kind::Workbook => workbook::to_csv(f, hints, company, &csv)?,
            Kind::Qvd => qvd::to_csv(f, hints, &csv)?,
            Kind::FixedWidth => fixed::to_csv(f, hints, &csv)?,
        };
        out.push(csv);
    }
    let read_as = match kind {
        Kind::Workbook => workbook::csv_hints(hints),
        Kind::Qvd => qvd::csv_hints(hints),
        Kind::FixedWidth => fixed::csv_hints(hints),
    };
    let copies = Copies {
        dir,
        files: out,
        from: files.to_vec(),
    };
    Ok(Some((copies, read_as)))
}

/// What was read, as the user gave it (a sheet and cells, a layout, an encoding), for the
/// report: `read` is the format the copies were read with.
pub fn as_given(given: &CsvHints, read: CsvHints) -> CsvHints {
    CsvHints {
        sheet: given.sheet.clone(),
        range: given.range.clone(),
        header_rows: given.header_rows,
        fixed_width: given.fixed_width.clone(),
        dual: given.dual,
        kind: given.kind,
        encoding: given.encoding.clone().or(read.encoding.clone()),
        ..read
    }
}
