//! A server's rows written out as the CSV file DuckDB loads: a header, then each row field
//! by field, flushed in large blocks, with progress every 100,000 rows.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{csv_field, Link};
use crate::error::{IoContext, Result};

pub struct CsvSink {
    out: BufWriter<File>,
    line: Vec<u8>,
    fields: usize,
    rows: u64,
    path: PathBuf,
}

impl CsvSink {
    /// A new file at `path` with the column `names` as its header.
    pub fn create<S: AsRef<str>>(path: &Path, names: &[S]) -> Result<CsvSink> {
        let file = File::create(path).io_context(|| format!("cannot write {}", path.display()))?;
        let mut sink = CsvSink {
            out: BufWriter::with_capacity(1 << 20, file),
            line: Vec::with_capacity(256),
            fields: 0,
            rows: 0,
            path: path.to_path_buf(),
        };
        for n in names {
            sink.field(Some(n.as_ref().as_bytes()));
        }
        sink.end_line()?;
        Ok(sink)
    }

    /// The next field of the row (None is NULL: an unquoted empty field).
    pub fn field(&mut self, value: Option<&[u8]>) {
        if self.fields > 0 {
            self.line.push(b',');
        }
        csv_field(&mut self.line, value);
        self.fields += 1;
    }

    fn end_line(&mut self) -> Result<()> {
        self.line.push(b'\n');
        let path = &self.path;
        self.out
            .write_all(&self.line)
            .io_context(|| format!("cannot write {}", path.display()))?;
        self.line.clear();
        self.fields = 0;
        Ok(())
    }

    /// Ends the row, telling `link` how far it got every 100,000 rows.
    pub fn end_row(&mut self, link: &Link<u64>) -> Result<()> {
        self.end_line()?;
        self.rows += 1;
        if self.rows.is_multiple_of(100_000) {
            link.rows(self.rows);
        }
        Ok(())
    }

    /// Flushes the file; the rows written.
    pub fn finish(mut self) -> Result<u64> {
        let path = &self.path;
        self.out
            .flush()
            .io_context(|| format!("cannot write {}", path.display()))?;
        Ok(self.rows)
    }
}
