//! A plan that reads several files (a company's monthly exports): each file is described,
//! not only the first, so a column renamed in one of them is named with the rename line
//! that maps it instead of failing the load with DuckDB's binder error; each file then gets
//! its own select list.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::source_sql::Plan;
use super::{describe_piece, pieces};
use crate::drift::{self, ColumnDef, Drift};
use crate::sql::ident;

/// Each piece's select list onto `columns` (bronze's names, from the first piece), or
/// (the message, caused by drift) when a piece lacks one of them under any name `renames`
/// maps. Empty for a plan of one piece. `first` is the first piece's columns as already
/// described (it is not read again).
pub(super) fn piece_lists(
    conn: &Connection,
    catalog: &str,
    plan: &Plan,
    renames: &BTreeMap<String, String>,
    (first, columns): (&[ColumnDef], &[ColumnDef]),
) -> Result<Vec<String>, (String, bool)> {
    let pieces = pieces(plan);
    if pieces.len() < 2 {
        return Ok(Vec::new());
    }
    let first_file = pieces[0].1.clone();
    let mut lists: Vec<String> = Vec::new();
    for (i, (relation, source, _)) in pieces.iter().enumerate() {
        let own = match i {
            0 => first.to_vec(),
            _ => describe_piece(conn, catalog, plan, (relation, source))
                .map_err(|e| (e.to_string(), false))?,
        };
        let named = |c: &ColumnDef| renames.get(&c.name).unwrap_or(&c.name).clone();
        let renamed: Vec<ColumnDef> = own
            .iter()
            .map(|c| ColumnDef::new(&named(c), &c.type_))
            .collect();
        // Not one column in common: the file's structure, not its names, is wrong (a
        // malformed line read as a header). The load reads it as the first file and its
        // error names the file and the line.
        if !lists.is_empty()
            && !renamed
                .iter()
                .any(|c| columns.iter().any(|e| e.name == c.name))
        {
            lists.push(lists[0].clone());
            continue;
        }
        // Types may differ from file to file (a column empty in one month); names may not.
        let differ: Vec<String> = drift::detect(columns, &renamed)
            .into_iter()
            .filter(|d| matches!(d, Drift::Renamed { .. } | Drift::Missing { .. }))
            .map(|d| d.to_string())
            .collect();
        if !differ.is_empty() {
            return Err((
                format!(
                    "{source} does not have the columns of {first_file}: {}",
                    differ.join("; ")
                ),
                true,
            ));
        }
        let list: Vec<String> = columns
            .iter()
            .map(|c| {
                let theirs = own
                    .iter()
                    .find(|o| named(o) == c.name)
                    .map_or(c.name.as_str(), |o| o.name.as_str());
                format!("{} AS {}", ident(theirs), ident(&c.name))
            })
            .collect();
        lists.push(list.join(", "));
    }
    Ok(lists)
}
