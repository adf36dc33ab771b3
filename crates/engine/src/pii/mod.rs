//! Personal data: which columns hold it, and how what people see of them is masked.
//!
//! Columns are marked `pii` on an entity (its bronze table), a legacy export and a model;
//! a model inherits the marks of the tables it reads, by column name, where the column
//! survives. Comparisons, keys, sums and filters run on the real values: only what is shown
//! (screens, copies, printed and written outputs, reports, test samples) goes through a
//! `Shown`, built for the relation being shown. Where the relation is not known (a user's
//! query), every marked name and what the query derives from one is masked.

mod known;
pub mod mask;
mod query;
mod quoted;
pub mod reveal;

pub use known::unknown_columns;
pub use quoted::quotes_a_value;

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::{AnyValue, Column, DataFrame};

use crate::config::{Comparison, Config, PiiMask};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::frame::polars_error;

/// The key of the workspace's hash salt in `assay.meta` (made by the catalog's migration;
/// a cache read before its migration has none, and hashes with an empty salt).
pub const SALT_KEY: &str = "pii_salt";

/// The workspace's personal columns and how they are shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// `layer.table` → its personal columns (lower case), declared and inherited.
    tables: BTreeMap<String, BTreeSet<String>>,
    /// Every personal column name of the workspace (lower case).
    all: BTreeSet<String>,
    how: PiiMask,
    salt: String,
    /// Someone asked to see the real values (and it was recorded).
    revealed: bool,
}

impl Policy {
    /// The marks of `config`, carried down the models' lineage: each model's `layer.name`
    /// and the `layer.table`s it reads (`build::lineage::personal` gives the workspace's).
    pub fn declared(
        config: &Config,
        lineage: &[(String, BTreeSet<String>)],
        salt: String,
    ) -> Policy {
        let lower = |cols: &[String]| -> BTreeSet<String> {
            cols.iter().map(|c| c.to_lowercase()).collect()
        };
        let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let entities = config
            .entities
            .iter()
            .map(|(n, e)| (format!("bronze.{n}"), &e.pii));
        let legacy = config
            .legacy
            .iter()
            .map(|(n, l)| (format!("legacy.{n}"), &l.pii));
        let own = config.models.iter().map(|(n, m)| (n.clone(), &m.pii));
        for (table, cols) in entities.chain(legacy).chain(own) {
            if !cols.is_empty() {
                tables
                    .entry(table.to_lowercase())
                    .or_default()
                    .extend(lower(cols));
            }
        }
        // Inherit through the lineage until nothing changes (models are few; cycles end
        // because sets only grow).
        loop {
            let mut grew = false;
            for (model, reads) in lineage {
                let inherited: BTreeSet<String> = reads
                    .iter()
                    .filter_map(|r| tables.get(&r.to_lowercase()))
                    .flatten()
                    .cloned()
                    .collect();
                let entry = tables.entry(model.to_lowercase()).or_default();
                let before = entry.len();
                entry.extend(inherited);
                grew |= entry.len() != before;
            }
            if !grew {
                break;
            }
        }
        tables.retain(|_, cols| !cols.is_empty());
        let all = tables.values().flatten().cloned().collect();
        Policy {
            tables,
            all,
            how: config.workspace.pii_mask,
            salt,
            revealed: false,
        }
    }

    /// The same policy showing real values (after the reveal was recorded).
    pub fn revealed(mut self, yes: bool) -> Policy {
        self.revealed = yes;
        self
    }

    /// Whether any column of the workspace is personal.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// `message` with the data values an engine quotes in a conversion error (`Could not
    /// convert string 'Jane Doe' to INT32`, `Could not parse string "x" …`) masked: the
    /// column is not named there, so while anything is marked, every such value is.
    pub fn quiet(&self, message: &str) -> String {
        if self.is_empty() || self.revealed {
            return message.to_string();
        }
        quoted::mask_values(message, |v| mask::mask(v, self.how, &self.salt))
    }

    /// `layer.table` → its personal columns, declared and inherited.
    pub fn tables(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.tables
    }

    fn shown(&self, columns: BTreeSet<String>) -> Shown {
        Shown {
            columns: if self.revealed {
                BTreeSet::new()
            } else {
                columns
            },
            contains: BTreeSet::new(),
            keys: BTreeSet::new(),
            how: self.how,
            salt: self.salt.clone(),
        }
    }

    /// What is shown of `layer.table` (`legacy.sales`, `gold.fct_sales`).
    pub fn of_table(&self, label: &str) -> Shown {
        self.shown(
            self.tables
                .get(&label.to_lowercase())
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// What is shown of a relation given as SQL text (a browsed table's quoted name, on
    /// the cache or a ClickHouse layer database): its table's marks when the name is one,
    /// every marked name otherwise.
    pub fn of_relation(&self, sql: &str) -> Shown {
        match label_of(sql) {
            Some(label) => self.of_table(&label),
            None => self.shown(self.all.clone()),
        }
    }

    /// What is shown of a user's query's answer: every marked name, every name the query
    /// derives from one (aliases, through CTEs and subqueries), and any column whose name
    /// contains a marked name (`upper(email)`).
    pub fn of_query(&self, dialect: Dialect, sql: &str) -> Shown {
        let mut shown = self.shown(query::derived(dialect, sql, &self.all));
        if !self.revealed {
            shown.contains = self.all.clone();
        }
        shown
    }

    /// What is shown of a comparison's rows: the marks of either side, under both sides'
    /// names (`columns` maps legacy names to new ones); its keys are shown hashed.
    pub fn of_comparison(&self, c: &Comparison) -> Shown {
        let a = self.of_table(&format!("legacy.{}", c.legacy)).columns;
        let b = self.of_table(&c.table).columns;
        let mut columns: BTreeSet<String> = a.union(&b).cloned().collect();
        for (l, n) in &c.columns {
            let (l, n) = (l.to_lowercase(), n.to_lowercase());
            if a.contains(&l) || b.contains(&n) {
                columns.extend([l, n]);
            }
        }
        self.shown(columns).with_keys(&c.keys)
    }
}

/// `layer.table` of a relation named as the browser names it (`"bronze"."invoices"`, or
/// `` `demo_bronze`.`invoices` `` in a ClickHouse layer database); None for anything else.
fn label_of(sql: &str) -> Option<String> {
    let parts: Vec<String> = sql
        .split('.')
        .map(|p| p.trim().trim_matches(|c| c == '"' || c == '`').to_string())
        .collect();
    let [schema, table] = parts.as_slice() else {
        return None;
    };
    if table.is_empty() || !crate::sql::is_plain_identifier(table) {
        return None;
    }
    let layer = ["legacy", "bronze", "silver", "gold"]
        .into_iter()
        .find(|l| schema == l || schema.ends_with(&format!("_{l}")))?;
    Some(format!("{layer}.{table}"))
}

/// Which columns of one relation are masked, and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shown {
    /// Masked columns (lower case).
    columns: BTreeSet<String>,
    /// Also masked: any column whose name contains one of these (a query's derived names).
    contains: BTreeSet<String>,
    /// Masked columns that are keys: always shown hashed, so rows still line up.
    keys: BTreeSet<String>,
    how: PiiMask,
    salt: String,
}

impl Shown {
    /// Nothing masked (a relation with no personal column, or no workspace at all).
    pub fn nothing() -> Shown {
        Shown::default()
    }

    /// Mark which of the columns are keys (shown as a stable hash).
    pub fn with_keys<'a>(mut self, keys: impl IntoIterator<Item = &'a String>) -> Shown {
        self.keys = keys.into_iter().map(|k| k.to_lowercase()).collect();
        self
    }

    /// The masked columns (lower case).
    pub fn columns(&self) -> Vec<String> {
        self.columns.iter().cloned().collect()
    }

    pub fn is_nothing(&self) -> bool {
        self.columns.is_empty() && self.contains.is_empty()
    }

    pub fn masks(&self, column: &str) -> bool {
        let c = column.to_lowercase();
        self.columns.contains(&c) || self.contains.iter().any(|p| c.contains(p.as_str()))
    }

    /// The value of `column` as it may be shown.
    pub fn cell(&self, column: &str, value: &str) -> String {
        if !self.masks(column) {
            return value.to_string();
        }
        if self.keys.contains(&column.to_lowercase()) {
            mask::mask_key(value, &self.salt)
        } else {
            mask::mask(value, self.how, &self.salt)
        }
    }

    /// DuckDB SQL for the text `expr` of `column` as it may be shown (where DuckDB writes
    /// a file itself): `cell` in SQL.
    pub fn sql(&self, column: &str, expr: &str) -> String {
        if !self.masks(column) {
            return expr.to_string();
        }
        let key = self.keys.contains(&column.to_lowercase());
        mask::duckdb_sql(
            &format!("CAST({expr} AS VARCHAR)"),
            self.how,
            &self.salt,
            key,
        )
    }

    /// The frame with its personal columns as masked text (NULL stays NULL).
    pub fn frame(&self, df: DataFrame) -> Result<DataFrame> {
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        if self.is_nothing() || !names.iter().any(|n| self.masks(n)) {
            return Ok(df);
        }
        let mut out = df;
        for name in names.iter().filter(|n| self.masks(n)) {
            let masked: Vec<Option<String>> = {
                let column = out
                    .column(name)
                    .map_err(polars_error)?
                    .as_materialized_series()
                    // Frames read in batches have several chunks; polars iterates one.
                    .rechunk();
                column
                    .iter()
                    .map(|v| match v {
                        AnyValue::Null => None,
                        v => Some(self.cell(name, &crate::frame::cell_text(&v))),
                    })
                    .collect()
            };
            out.with_column(Column::new(name.as_str().into(), masked))
                .map_err(polars_error)?;
        }
        Ok(out)
    }

    /// What is shown of a frame whose `shown_as` column holds values of `column` (a
    /// profile's top values).
    pub fn for_column(&self, column: &str, shown_as: &str) -> Shown {
        Shown {
            columns: match self.masks(column) {
                true => [shown_as.to_lowercase()].into(),
                false => BTreeSet::new(),
            },
            contains: BTreeSet::new(),
            keys: BTreeSet::new(),
            ..self.clone()
        }
    }

    /// A frame with a row per column of the relation (a profile: `name_column` names the
    /// column): the `values` cells of the personal columns' rows masked.
    pub fn per_column_rows(
        &self,
        df: DataFrame,
        name_column: &str,
        values: &[&str],
    ) -> Result<DataFrame> {
        if self.is_nothing() {
            return Ok(df);
        }
        let names: Vec<bool> =
            crate::frame::to_cells(&df.select([name_column]).map_err(polars_error)?)
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .flatten()
                        .next()
                        .is_some_and(|n| self.masks(&n))
                })
                .collect();
        let mut out = df;
        for v in values {
            let Ok(column) = out.column(v) else { continue };
            let masked: Vec<Option<String>> = column
                .as_materialized_series()
                .rechunk()
                .iter()
                .zip(&names)
                .map(|(value, personal)| match value {
                    AnyValue::Null => None,
                    value if *personal => Some(mask::mask(
                        &crate::frame::cell_text(&value),
                        self.how,
                        &self.salt,
                    )),
                    value => Some(crate::frame::cell_text(&value)),
                })
                .collect();
            out.with_column(Column::new((*v).into(), masked))
                .map_err(polars_error)?;
        }
        Ok(out)
    }

    /// Rows of cells under `names`, masked in place.
    pub fn cells(&self, names: &[String], rows: &mut [Vec<Option<String>>]) {
        for (j, name) in names.iter().enumerate().filter(|(_, n)| self.masks(n)) {
            for row in rows.iter_mut() {
                if let Some(Some(v)) = row.get_mut(j) {
                    *v = self.cell(name, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
