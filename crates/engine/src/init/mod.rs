//! `assay init`: in a folder of legacy exports (and, when it has one, a cache with the new
//! layers), a proposed `assay.toml`. File families give the exports and the companies
//! (`legacy/{company}/sales_*.csv`); each company's format is sniffed (delimiter, decimal,
//! date order, encoding) and where most agree it is the export's, the rest overrides; headers
//! that differ from the other companies' are renamed to them by name; the imported rows then
//! give the comparison: the table matching most columns, a key unique per company (checked
//! on every row), measures, dimensions, and text normalisation when values differ only in
//! case or spacing. Every choice carries why it was made, written above it as a comment.

pub mod adhoc;
mod analyze;
mod columns;
mod families;
mod write;

use std::collections::BTreeMap;
use std::path::Path;

pub use columns::{match_names, similarity, words};
pub use write::to_toml;

use crate::config::{Company, Config, CsvHints, LegacyExport, Workspace};
use crate::error::{Error, Result};
use crate::store::Store;

/// A proposal and why it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice<T> {
    pub value: T,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct ExportPlan {
    pub name: String,
    pub pattern: String,
    /// The companies that have files of it.
    pub companies: Vec<String>,
    pub format: Choice<CsvHints>,
    /// Companies that write the export differently (format, header names).
    pub overrides: BTreeMap<String, Choice<CsvHints>>,
}

#[derive(Debug, Clone)]
pub struct ComparisonPlan {
    pub name: String,
    pub legacy: String,
    pub table: Choice<String>,
    pub keys: Choice<Vec<String>>,
    /// Legacy column → table column, where the names differ.
    pub columns: Choice<BTreeMap<String, String>>,
    pub measures: Choice<Vec<String>>,
    pub dimensions: Choice<Vec<String>>,
    pub normalize_text: Choice<bool>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub workspace: String,
    /// The ClickHouse warehouse the layers are in, when it is not the cache.
    pub warehouse: Option<crate::config::Warehouse>,
    pub companies: Choice<Vec<String>>,
    pub exports: Vec<ExportPlan>,
    pub comparisons: Vec<ComparisonPlan>,
    /// Files and facts not turned into config, each a sentence.
    pub notes: Vec<String>,
}

/// What to look at: the folder of exports (relative to the workspace) and, if the user
/// knows it, the table to compare with.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    pub folder: String,
    pub table: Option<String>,
    /// A ClickHouse warehouse holding the layers, instead of the cache beside the exports.
    pub warehouse: Option<crate::config::Warehouse>,
}

/// The proposal for the workspace folder `root`.
pub fn propose(root: &Path, opts: &InitOptions) -> Result<Plan> {
    let found = families::find(root, &opts.folder)?;
    let (kept, left): (Vec<_>, Vec<_>) = {
        let any_company = found.iter().any(|f| !f.files.contains_key("main"));
        found
            .into_iter()
            .partition(|f| !any_company || !f.files.contains_key("main"))
    };
    if kept.is_empty() {
        return Err(Error::Usage(format!(
            "no legacy exports (csv, txt, xlsx, ods, qvd, parquet, json) under {}",
            root.join(&opts.folder).display()
        )));
    }
    let mut notes: Vec<String> = left
        .iter()
        .map(|f| {
            format!(
                "{}: one file with no company in its path; add it by hand",
                f.pattern
            )
        })
        .collect();
    let companies: Vec<String> = kept
        .iter()
        .flat_map(|f| f.files.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if let Some(bad) = companies
        .iter()
        .find(|c| !crate::sql::is_plain_identifier(c))
    {
        return Err(Error::Usage(format!(
            "the folder `{bad}` would be a company id, which must be letters, digits and \
             underscores: rename the folders, or give --from a folder laid out per company"
        )));
    }
    let mut exports: Vec<ExportPlan> = kept.iter().map(formats).collect::<Result<_>>()?;
    let store = Store::in_memory()?;
    for i in 0..exports.len() {
        let ws = provisional(root, &companies, &exports);
        import(&ws, &store, &exports[i])?;
        if rename_headers(&store, &mut exports[i])? {
            let ws = provisional(root, &companies, &exports);
            import(&ws, &store, &exports[i])?;
        }
    }
    let ws = provisional(root, &companies, &exports);
    let mut comparisons = Vec::new();
    let cache = root.join(&ws.config.workspace.cache);
    let warehouse = match &opts.warehouse {
        Some(w) => Some(crate::warehouse::ClickHouse::connect(w)?),
        None => None,
    };
    let layers = match &warehouse {
        Some(ch) => Some(Layers::Warehouse(ch)),
        None if cache.is_file() => {
            store.conn().execute_batch(&format!(
                "ATTACH {} AS wh (READ_ONLY)",
                crate::sql::literal(&cache.to_string_lossy())
            ))?;
            Some(Layers::Cache)
        }
        None => None,
    };
    match layers {
        Some(layers) => {
            for e in &exports {
                match compare_plan(&store, layers, e, opts)? {
                    Ok(c) => comparisons.push(c),
                    Err(note) => notes.push(note),
                }
            }
        }
        None => notes.push(format!(
            "no cache at {} and no warehouse given: no comparison proposed (extract and build \
             first, give --clickhouse-url, or write [comparisons.*] by hand)",
            cache.display()
        )),
    }
    let n = companies.len();
    Ok(Plan {
        workspace: root.file_name().map_or_else(
            || "legacy audit".into(),
            |n| n.to_string_lossy().to_string(),
        ),
        companies: Choice {
            value: companies,
            why: format!("{n} companies: the folder names where the export paths differ"),
        },
        warehouse: opts.warehouse.clone(),
        exports,
        comparisons,
        notes,
    })
}

/// A workspace holding only companies and exports, for importing the exports to look at.
fn provisional(root: &Path, companies: &[String], exports: &[ExportPlan]) -> Workspace {
    let mut config = Config::default();
    for c in companies {
        config.companies.insert(
            c.clone(),
            Company {
                name: c.clone(),
                branches: Vec::new(),
            },
        );
    }
    for e in exports {
        config.legacy.insert(
            e.name.clone(),
            LegacyExport {
                files: e.pattern.clone(),
                format: e.format.value.clone(),
                overrides: e
                    .overrides
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.clone()))
                    .collect(),
                ..LegacyExport::default()
            },
        );
    }
    Workspace {
        root: root.to_path_buf(),
        config_path: root.join(crate::config::CONFIG_FILE),
        config,
    }
}

fn import(ws: &Workspace, store: &Store, export: &ExportPlan) -> Result<()> {
    for c in &export.companies {
        crate::legacy::import(ws, store, &export.name, c, true)?;
    }
    Ok(())
}

mod plan;
use analyze::Layers;
use plan::{compare_plan, formats, rename_headers};
