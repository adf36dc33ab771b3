//! A JSON file read whole before it is trusted: DuckDB's reader takes a top-level array cut
//! off after a comma (a copy that stopped, a disk that filled) as complete, and the rows
//! after the cut are silently missing. Every value is parsed (and thrown away) in one
//! streaming pass, so a file of any size is checked in constant memory.

use std::io::BufReader;
use std::path::Path;

use serde::de::IgnoredAny;

use crate::error::{Error, Result};

/// Whether `path` holds one or more complete JSON values (an array, or one object a line);
/// the error names the file, line and column where it stops being JSON.
pub fn check(path: &Path) -> Result<()> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?;
    let mut values = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, file))
        .into_iter::<IgnoredAny>();
    let mut seen = 0u64;
    for value in values.by_ref() {
        match value {
            Ok(_) => seen += 1,
            Err(e) => {
                let what = if e.is_eof() {
                    "the file ends inside a value (was it cut off?)".to_string()
                } else {
                    e.to_string()
                        .split(" at line ")
                        .next()
                        .unwrap_or_default()
                        .to_string()
                };
                return Err(Error::Runtime(format!(
                    "{}: line {}, column {}: {what}",
                    path.display(),
                    e.line(),
                    e.column()
                )));
            }
        }
    }
    if seen == 0 {
        return Err(Error::Runtime(format!(
            "{}: the file is empty: no JSON value",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_off_array_is_refused_where_it_stops() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.json");
        std::fs::write(&f, "[{\"id\":1,\"a\":2},\n{\"id\":2,\"a\":3},\n").unwrap();
        let e = check(&f).unwrap_err().to_string();
        assert!(e.contains("t.json: line 3") && e.contains("cut off"), "{e}");
        std::fs::write(&f, "[{\"id\":1,\"a\":2},\n{\"id\":2,\"a\":3}]\n").unwrap();
        check(&f).unwrap();
        std::fs::write(&f, "{\"id\":1}\n{\"id\":2}\n").unwrap();
        check(&f).unwrap();
        std::fs::write(&f, "{\"id\":1}\n{\"id\":2,}\n").unwrap();
        let e = check(&f).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        std::fs::write(&f, "  \n").unwrap();
        assert!(check(&f).unwrap_err().to_string().contains("empty"));
    }
}
