//! Compares with no config: each side a file, a glob or a table of the workspace.

use std::path::Path;

use duckdb::Connection;

use super::relation::Relation;
use crate::error::{Error, Result};
use crate::sql::{ident, literal, qualified};

/// True when `side` names files rather than a `schema.table`.
fn is_files(side: &str) -> bool {
    let lower = side.to_ascii_lowercase();
    side.contains('/')
        || side.contains('*')
        || lower.ends_with(".csv")
        || lower.ends_with(".parquet")
        || lower.ends_with(".json")
}

/// The relation for one side. Files are read relative to `base`; CSV files are checked
/// record by record first, so a malformed file is named with its line. Files are read once
/// into the temporary table `adhoc_<role>`, so later passes do not parse them again.
pub fn side(conn: &Connection, spec: &str, base: &Path, role: &str) -> Result<Relation> {
    if !is_files(spec) {
        return Relation::describe(conn, &qualified(spec))
            .map_err(|e| Error::Usage(format!("{spec}: {e}")));
    }
    let pattern = if Path::new(spec).is_absolute() {
        spec.to_string()
    } else {
        base.join(spec).to_string_lossy().to_string()
    };
    let mut files: Vec<std::path::PathBuf> = glob::glob(&pattern)
        .map_err(|e| Error::Usage(format!("bad glob `{spec}`: {e}")))?
        .filter_map(|p| p.ok())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Usage(format!("no file matches {pattern}")));
    }
    let list = files
        .iter()
        .map(|f| literal(&f.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(", ");
    let lower = spec.to_ascii_lowercase();
    let sql = if lower.ends_with(".parquet") {
        format!("read_parquet([{list}], union_by_name = true)")
    } else if lower.ends_with(".json") {
        format!("read_json_auto([{list}])")
    } else {
        for f in &files {
            crate::legacy::check_structure(f, b',')?;
        }
        format!("read_csv([{list}], header = true, union_by_name = true)")
    };
    let table = ident(&format!("adhoc_{role}"));
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {sql}"
    ))
    .map_err(|e| Error::Usage(format!("{spec}: {e}")))?;
    Relation::describe(conn, &format!("temp.main.{table}"))
}
