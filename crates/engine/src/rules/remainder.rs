//! What is left to explain once the accepted rules and the accepted differences are taken
//! out, for the ticket: an accepted difference is a decision, not an open cause, so its rows
//! leave both sides before explain ranks what remains.

use duckdb::Connection;

use super::file::RulesFile;
use super::waterfall::{disjoint, same_keys};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::recon::report::Spec;
use crate::recon::Relation;
use crate::sql::ident;
use serde::Serialize;

/// The first and last value of the comparison's period dimension.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Period {
    pub dimension: String,
    pub first: String,
    pub last: String,
}

/// `spec` without the rows the accepted differences cover: on the new side the rows their
/// conditions select (NULL counts as false), on the legacy side the rows of the same keys.
pub fn without_accepted(spec: &Spec, file: &RulesFile) -> Result<Spec> {
    if file.accepted.is_empty() {
        return Ok(spec.clone());
    }
    // Each narrowed to the rows no difference above it covers: together, every row one covers.
    let covered = disjoint(file, Dialect::DuckDb)?
        .into_iter()
        .map(|(_, condition)| condition)
        .collect::<Vec<_>>()
        .join(" OR ");
    let same_keys = same_keys(spec);
    let mut left = spec.clone();
    left.new = narrowed(
        &spec.new,
        format!(
            "(SELECT * FROM {} WHERE NOT coalesce({covered}, false))",
            spec.new.sql
        ),
    );
    left.legacy = narrowed(
        &spec.legacy,
        format!(
            "(SELECT l.* FROM {} AS l WHERE NOT EXISTS (SELECT 1 FROM {} AS n WHERE ({covered}) AND {same_keys}))",
            spec.legacy.sql, spec.new.sql
        ),
    );
    Ok(left)
}

fn narrowed(rel: &Relation, sql: String) -> Relation {
    Relation {
        sql,
        columns: rel.columns.clone(),
        keep: rel.keep.clone(),
    }
}

/// The first and last value of the period dimension `dimension`: on the legacy side (the
/// period the legacy export states it covers), else on the new side where only it has the
/// column (a month the model derives); None without one or without rows.
pub fn period(conn: &Connection, spec: &Spec, dimension: Option<&str>) -> Result<Option<Period>> {
    let Some(dimension) = dimension else {
        return Ok(None);
    };
    let side = match spec.legacy.find(dimension) {
        Some((column, _)) => Some((column.clone(), &spec.legacy)),
        None => spec
            .new
            .find(&spec.new_name(dimension))
            .map(|(column, _)| (column.clone(), &spec.new)),
    };
    let Some((column, rel)) = side else {
        return Ok(None);
    };
    let c = ident(&column);
    let (first, last): (Option<String>, Option<String>) = conn.query_row(
        &format!(
            "SELECT CAST(min({c}) AS VARCHAR), CAST(max({c}) AS VARCHAR) FROM {}",
            rel.sql
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(first.zip(last).map(|(first, last)| Period {
        dimension: dimension.to_string(),
        first,
        last,
    }))
}
