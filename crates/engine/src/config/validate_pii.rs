//! `pii` lists on entities, legacy exports and models: each column named once, and models
//! named as the table they build (`silver.customers`). Whether the columns exist is known
//! only from the tables themselves (`pii::unknown_columns`, which `validate` asks the cache).

use std::collections::BTreeSet;
use std::path::Path;

use super::model::Config;

type Findings = Vec<(String, String)>;

/// Every `pii` list of the config: (key of its owner, columns).
pub fn lists(c: &Config) -> Vec<(String, String, &Vec<String>)> {
    let entities = c
        .entities
        .iter()
        .map(|(n, e)| (format!("entities.{n}"), format!("bronze.{n}"), &e.pii));
    let legacy = c
        .legacy
        .iter()
        .map(|(n, l)| (format!("legacy.{n}"), format!("legacy.{n}"), &l.pii));
    let models = c
        .models
        .iter()
        .map(|(n, m)| (format!("models.{n}"), n.clone(), &m.pii));
    entities.chain(legacy).chain(models).collect()
}

pub fn pii(c: &Config, root: &Path, f: &mut Findings) {
    for (key, _, cols) in lists(c) {
        let mut seen = BTreeSet::new();
        for (i, col) in cols.iter().enumerate() {
            if col.trim().is_empty() {
                f.push((format!("{key}.pii.{i}"), "an empty column name".into()));
            } else if !seen.insert(col.to_lowercase()) {
                f.push((format!("{key}.pii.{i}"), format!("`{col}` is listed twice")));
            }
        }
    }
    for name in c.models.keys() {
        let key = format!("models.{name}");
        match name.split_once('.') {
            Some(("silver" | "gold", _)) => {
                if let Some(problem) = super::tables::table_problem(c, root, name) {
                    f.push((key, problem));
                }
            }
            _ => f.push((
                key,
                format!("`{name}`: name a model as the table it builds, silver.NAME or gold.NAME"),
            )),
        }
    }
}
