//! An ad hoc side that is a Delta table's folder (`--legacy DIR`, `--new DIR`, told by its
//! `_delta_log`): the version asked (`--legacy-version N`; the latest otherwise) is staged as
//! a Parquet scratch file, kept while the compare reads it.

use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::relation::Relation;
use crate::delta::{At, Named, Table};
use crate::error::{Error, Result};
use crate::store::scratch;

/// The folder `spec` names (relative to `base`), when it is a Delta table.
pub fn table_dir(spec: &str, base: &Path) -> Option<PathBuf> {
    let path = if Path::new(spec).is_absolute() {
        PathBuf::from(spec)
    } else {
        base.join(spec)
    };
    crate::delta::is_table(&path).then_some(path)
}

/// The flags a side of `role` (`legacy`, `new`) is named by.
pub fn flags(role: &str) -> Named {
    Named {
        table: format!("--{role}"),
        version: format!("--{role}-version"),
        timestamp: format!("--{role}-timestamp"),
    }
}

/// The table at `dir`, at `version` (the latest when None), as a side's relation; and the
/// version read.
pub fn side(
    conn: &Connection,
    dir: &Path,
    role: &str,
    version: Option<u64>,
) -> Result<(Relation, u64)> {
    let at = At {
        version,
        timestamp: None,
    };
    let table = Table::open(dir, &at, &flags(role))?;
    let file = crate::trace::stage(&format!("read {role} side"), || {
        table.stage_scratch(&scratch::dir(conn), role, None)
    })?;
    let relation = Relation::describe(conn, &crate::delta::parquet_relation(file.path()))
        .map_err(|e| Error::Runtime(format!("reading {}: {e}", table.describe())))?;
    let relation = Relation {
        keep: Some(std::sync::Arc::new(file)),
        ..relation
    };
    Ok((relation, table.version()))
}
