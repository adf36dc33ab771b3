//! Whether a `layer.table` named in the config exists: a legacy export, an entity's bronze
//! table, or a model file of silver or gold. Shared by the comparison and the data test checks.

use std::path::Path;

use super::model::Config;

pub const LAYERS: [&str; 3] = ["bronze", "silver", "gold"];

/// Why a `schema.table` reference from a comparison names nothing known, if it does not.
pub fn table_problem(c: &Config, root: &Path, table: &str) -> Option<String> {
    let Some((schema, name)) = table.split_once('.') else {
        return Some(format!(
            "`{table}` must be written schema.table, e.g. gold.fct_sales"
        ));
    };
    match schema {
        "legacy" => {
            (!c.legacy.contains_key(name)).then(|| unknown("legacy export", name, c.legacy.keys()))
        }
        "bronze" => {
            (!c.entities.contains_key(name)).then(|| unknown("entity", name, c.entities.keys()))
        }
        "silver" | "gold" => {
            if c.layers.external() {
                return None; // an external builder decides which tables exist
            }
            if !root.join(&c.layers.models).is_dir() {
                // No models folder at all: the layers were built by another tool (the cache
                // a workspace was made beside by `assay init`); nothing to check them by.
                return None;
            }
            let model = root
                .join(&c.layers.models)
                .join(schema)
                .join(format!("{name}.sql"));
            (!model.is_file()).then(|| {
                format!(
                    "no model `{name}` in layer {schema} (looked for {})",
                    model.display()
                )
            })
        }
        other => Some(format!(
            "unknown layer `{other}` in `{table}`; use legacy, {}",
            LAYERS.join(", ")
        )),
    }
}

pub fn unknown<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a String>) -> String {
    let known: Vec<&str> = known.map(String::as_str).collect();
    if known.is_empty() {
        format!("unknown {what} `{name}` (none is defined)")
    } else {
        format!("unknown {what} `{name}`; known: {}", known.join(", "))
    }
}
