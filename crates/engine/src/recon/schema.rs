//! Schema comparison (`compare_relation_columns`): positions and types side by side.

use polars::prelude::{Column, DataFrame};

use super::relation::Relation;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDiff {
    pub column_name: String,
    pub a_position: Option<u32>,
    pub b_position: Option<u32>,
    pub a_type: Option<String>,
    pub b_type: Option<String>,
}

impl ColumnDiff {
    pub fn position_match(&self) -> bool {
        self.a_position.is_some() && self.a_position == self.b_position
    }

    /// A column absent on one side never matches.
    pub fn type_match(&self) -> bool {
        matches!((&self.a_type, &self.b_type), (Some(x), Some(y)) if x.eq_ignore_ascii_case(y))
    }
}

/// Every column of either side: a's in order, then b's own, ordered by b's position.
pub fn diff(a: &Relation, b: &Relation) -> Vec<ColumnDiff> {
    let pos = |rel: &Relation, name: &str| {
        rel.columns
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut names: Vec<String> = a.columns.iter().map(|(n, _)| n.clone()).collect();
    names.extend(
        b.columns
            .iter()
            .filter(|(n, _)| pos(a, n).is_none())
            .map(|(n, _)| n.clone()),
    );
    let mut out: Vec<ColumnDiff> = names
        .into_iter()
        .map(|name| ColumnDiff {
            a_position: pos(a, &name).map(|p| p as u32 + 1),
            b_position: pos(b, &name).map(|p| p as u32 + 1),
            a_type: a.find(&name).map(|(_, t)| t.clone()),
            b_type: b.find(&name).map(|(_, t)| t.clone()),
            column_name: name,
        })
        .collect();
    // dbt orders by b's position where b has the column, a's otherwise.
    out.sort_by_key(|d| {
        (
            d.b_position.or(d.a_position).unwrap_or(u32::MAX),
            d.a_position,
        )
    });
    out
}

pub fn frame(diffs: &[ColumnDiff]) -> Result<DataFrame> {
    DataFrame::new(vec![
        Column::new(
            "column_name".into(),
            diffs
                .iter()
                .map(|d| d.column_name.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "a_ordinal_position".into(),
            diffs.iter().map(|d| d.a_position).collect::<Vec<_>>(),
        ),
        Column::new(
            "b_ordinal_position".into(),
            diffs.iter().map(|d| d.b_position).collect::<Vec<_>>(),
        ),
        Column::new(
            "has_ordinal_position_match".into(),
            diffs
                .iter()
                .map(ColumnDiff::position_match)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "has_data_type_match".into(),
            diffs.iter().map(ColumnDiff::type_match).collect::<Vec<_>>(),
        ),
    ])
    .map_err(|e| Error::Runtime(format!("frame: {e}")))
}

/// How a column differs between the legacy and the new side.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SchemaChange {
    /// The legacy name (or the new one for an added column).
    pub column: String,
    /// `added` (only new has it), `removed` (only legacy), `renamed` (mapped or alike in
    /// name and type), `type_changed`.
    pub change: String,
    pub legacy_type: Option<String>,
    pub new_type: Option<String>,
    /// The new name of a renamed column.
    pub new_name: Option<String>,
    /// For `type_changed`: the type both sides are compared in (`relation::common_type`);
    /// null where the `timezone` rule for instants applies.
    pub compared_as: Option<String>,
}

/// `type_changed` entries for the keys whose types differ between the sides (keys are
/// otherwise left out of `changes`: they are on both sides by definition).
pub fn key_type_changes(
    legacy: &Relation,
    new: &Relation,
    keys: &[String],
    map: &[(String, String)],
) -> Vec<SchemaChange> {
    keys.iter()
        .filter_map(|k| {
            let target = map
                .iter()
                .find(|(l, _)| l.eq_ignore_ascii_case(k))
                .map_or(k.as_str(), |(_, n)| n.as_str());
            let (name, lt) = legacy.find(k)?;
            let (_, nt) = new.find(target)?;
            (!same_family(lt, nt)).then(|| SchemaChange {
                column: name.clone(),
                change: "type_changed".into(),
                legacy_type: Some(lt.clone()),
                new_type: Some(nt.clone()),
                new_name: None,
                compared_as: super::relation::common_type(lt, nt),
            })
        })
        .collect()
}

/// Added, removed, renamed and retyped columns. `map` holds renames the comparison already
/// knows (legacy → new); `ignore` lists columns that are not data (company, load metadata).
pub fn changes(
    legacy: &Relation,
    new: &Relation,
    map: &[(String, String)],
    ignore: &[String],
) -> Vec<SchemaChange> {
    let ignored = |n: &str| n.starts_with('_') || ignore.iter().any(|i| i.eq_ignore_ascii_case(n));
    let mapped = |n: &str| {
        map.iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(n))
            .map(|(_, x)| x.clone())
    };
    let change =
        |column: &str, kind: &str, lt: Option<&String>, nt: Option<&String>| SchemaChange {
            column: column.to_string(),
            change: kind.to_string(),
            legacy_type: lt.cloned(),
            new_type: nt.cloned(),
            new_name: None,
            compared_as: match (kind, lt, nt) {
                ("type_changed", Some(l), Some(n)) => super::relation::common_type(l, n),
                _ => None,
            },
        };
    let mut out = Vec::new();
    let mut removed = Vec::new();
    let mut claimed: Vec<String> = Vec::new();
    for (name, ty) in legacy.columns.iter().filter(|(n, _)| !ignored(n)) {
        let target = mapped(name).unwrap_or_else(|| name.clone());
        match new.find(&target) {
            Some((new_name, new_ty)) => {
                claimed.push(new_name.clone());
                if !new_name.eq_ignore_ascii_case(name) {
                    out.push(SchemaChange {
                        new_name: Some(new_name.clone()),
                        ..change(name, "renamed", Some(ty), Some(new_ty))
                    });
                }
                if !same_family(ty, new_ty) {
                    out.push(change(name, "type_changed", Some(ty), Some(new_ty)));
                }
            }
            None => removed.push((name.clone(), ty.clone())),
        }
    }
    let mut added: Vec<(String, String)> = new
        .columns
        .iter()
        .filter(|(n, _)| !ignored(n) && !claimed.iter().any(|c| c.eq_ignore_ascii_case(n)))
        .cloned()
        .collect();
    // A removed column and an added one alike in name and type are most likely a rename.
    for (name, ty) in removed {
        let best = added
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| same_family(&ty, t))
            .map(|(i, (n, _))| (i, crate::drift::similarity(&name, n)))
            .filter(|(_, s)| *s >= 0.7)
            .max_by(|x, y| x.1.total_cmp(&y.1));
        match best {
            Some((i, _)) => {
                let (n, t) = added.remove(i);
                out.push(SchemaChange {
                    new_name: Some(n),
                    ..change(&name, "renamed", Some(&ty), Some(&t))
                });
            }
            None => out.push(change(&name, "removed", Some(&ty), None)),
        }
    }
    out.extend(added.iter().map(|(n, t)| change(n, "added", None, Some(t))));
    out
}

/// Types a compare treats alike: any two numbers, or the same type name.
fn same_family(a: &str, b: &str) -> bool {
    use super::relation::is_numeric;
    a.eq_ignore_ascii_case(b) || (is_numeric(a) && is_numeric(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(cols: &[(&str, &str)]) -> Relation {
        Relation {
            sql: "t".into(),
            columns: cols
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
            keep: None,
        }
    }

    #[test]
    fn finds_every_kind_of_change() {
        let legacy = rel(&[
            ("id", "BIGINT"),
            ("customer_id", "VARCHAR"),
            ("amount", "DECIMAL(18,2)"),
            ("invoice_date", "VARCHAR"),
            ("note", "VARCHAR"),
            ("cust", "VARCHAR"),
        ]);
        let new = rel(&[
            ("id", "INTEGER"),
            ("customerId", "VARCHAR"),
            ("amount", "DOUBLE"),
            ("invoice_date", "DATE"),
            ("customer_name", "VARCHAR"),
            ("_loaded_at", "TIMESTAMP"),
            ("branch", "VARCHAR"),
        ]);
        let map = vec![("cust".to_string(), "customer_name".to_string())];
        let got: Vec<(String, String, Option<String>)> = changes(&legacy, &new, &map, &[])
            .into_iter()
            .map(|c| (c.column, c.change, c.new_name))
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            got,
            vec![
                (s("invoice_date"), s("type_changed"), None),
                (s("cust"), s("renamed"), Some(s("customer_name"))),
                (s("customer_id"), s("renamed"), Some(s("customerId"))),
                (s("note"), s("removed"), None),
                (s("branch"), s("added"), None),
            ]
        );
    }
}
