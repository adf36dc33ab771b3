//! `compare --rows-out FILE`: every changed and one-sided row of a keyed compare, written
//! by DuckDB's COPY straight from the join (streamed, so memory does not grow with the rows):
//! the row's class, its keys, both sides' values of every compared column, and which
//! columns differ. Personal columns are masked in the SQL, as the screen shows them. The
//! file appears whole or not at all: it is written beside its name and renamed.

use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::report::Spec;
use crate::error::{Error, Result};
use crate::pii::Shown;
use crate::sql::{ident, literal};

/// What the file is, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsFormat {
    Parquet,
    Csv,
}

impl RowsFormat {
    /// The format of `path`, or why it cannot be written there (named for `--rows-out`).
    pub fn of(path: &Path) -> Result<RowsFormat> {
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("parquet") => RowsFormat::Parquet,
            Some(e) if e.eq_ignore_ascii_case("csv") => RowsFormat::Csv,
            _ => {
                return Err(Error::Usage(format!(
                    "--rows-out {}: name a .parquet or .csv file",
                    path.display()
                )))
            }
        };
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(Error::Usage(format!(
                "--rows-out {}: the folder {} does not exist",
                path.display(),
                folder.display()
            )));
        }
        Ok(format)
    }
}

/// Write the rows of `spec`'s compare that are not a match to `path`; how many were written.
pub fn write(conn: &Connection, spec: &Spec, path: &Path, shown: &Shown) -> Result<u64> {
    let format = RowsFormat::of(path)?;
    let mut pair = spec.keyed_pair()?;
    pair.text_where_dates_fail(conn)?;
    let is_key = |c: &str| pair.keys.iter().any(|k| k.eq_ignore_ascii_case(c));
    let mut select = vec![format!("{} AS class", pair.row_class_sql())];
    for k in &pair.keys {
        select.push(format!(
            "{} AS {}",
            shown.sql(k, &pair.key_value(k)),
            ident(k)
        ));
    }
    for (i, (name, _)) in pair.columns.iter().enumerate() {
        if is_key(name) {
            continue;
        }
        for (side, label) in [("a", "legacy"), ("b", "new")] {
            select.push(format!(
                "{} AS {}",
                shown.sql(name, &format!("{side}_{i}")),
                ident(&format!("{name}_{label}"))
            ));
        }
    }
    let differs = pair.differing_columns_sql();
    let differs = match format {
        RowsFormat::Parquet => differs,
        RowsFormat::Csv => format!("array_to_string({differs}, ',')"),
    };
    select.push(format!(
        "CASE WHEN in_a AND in_b THEN {differs} END AS differs"
    ));
    // A key not among the compared columns is read from the join's primary key.
    let joined = match pair
        .keys
        .iter()
        .all(|k| pair.columns.iter().any(|(c, _)| c.eq_ignore_ascii_case(k)))
    {
        true => pair.joined_rows_sql(),
        false => pair.joined_sql(),
    };
    let rows = format!(
        "SELECT {} FROM ({joined}) WHERE NOT (in_a AND in_b AND {})",
        select.join(", "),
        pair.all_equal_sql()
    );
    let partial = partial_path(path);
    let options = match format {
        RowsFormat::Parquet => "FORMAT parquet",
        RowsFormat::Csv => "FORMAT csv, HEADER",
    };
    let written = conn.execute(
        &format!(
            "COPY ({rows}) TO {} ({options})",
            literal(&partial.to_string_lossy())
        ),
        [],
    );
    let written = match written {
        Ok(n) => n as u64,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(Error::from(e).context(format!("--rows-out {}", path.display())));
        }
    };
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        Error::Runtime(format!("--rows-out {}: {e}", path.display()))
    })?;
    Ok(written)
}

/// Where the file is written before it is renamed into place (same folder, so the rename
/// is atomic).
fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}
