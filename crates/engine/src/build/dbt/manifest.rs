//! dbt's `target/manifest.json`, the parts assay uses: models (schema, alias, file, raw and
//! compiled SQL, what they depend on), sources (schema, table, freshness settings) and tests
//! (which model and column, which kind, which severity). Unknown fields are ignored, so
//! manifests of other dbt versions read as long as these are there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::build::Model;
use crate::config::Severity;
use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    nodes: BTreeMap<String, Node>,
    #[serde(default)]
    sources: BTreeMap<String, SourceNode>,
}

#[derive(Debug, Deserialize)]
struct Node {
    resource_type: String,
    name: String,
    #[serde(default)]
    schema: String,
    alias: Option<String>,
    #[serde(default)]
    original_file_path: String,
    #[serde(default, alias = "raw_sql")]
    raw_code: String,
    #[serde(alias = "compiled_sql")]
    compiled_code: Option<String>,
    #[serde(default)]
    depends_on: DependsOn,
    attached_node: Option<String>,
    column_name: Option<String>,
    test_metadata: Option<TestMetadata>,
    #[serde(default)]
    config: NodeConfig,
}

#[derive(Debug, Default, Deserialize)]
struct DependsOn {
    #[serde(default)]
    nodes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct TestMetadata {
    name: String,
}

#[derive(Debug, Default, Deserialize)]
struct NodeConfig {
    severity: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SourceNode {
    name: String,
    schema: String,
    identifier: Option<String>,
    freshness: Option<FreshnessRule>,
}

#[derive(Debug, Deserialize)]
struct FreshnessRule {
    warn_after: Option<Period>,
    error_after: Option<Period>,
}

#[derive(Debug, Deserialize)]
struct Period {
    count: Option<i64>,
    period: Option<String>,
}

impl Period {
    fn seconds(&self) -> Option<u64> {
        let unit = match self.period.as_deref()? {
            "minute" => 60,
            "hour" => 3600,
            "day" => 86_400,
            _ => return None,
        };
        u64::try_from(self.count?).ok()?.checked_mul(unit)
    }
}

/// A dbt test as assay records it: on which table (`schema.table`) and column.
#[derive(Debug, Clone, PartialEq)]
pub struct DbtTest {
    pub id: String,
    pub name: String,
    /// `not_null`, `unique`, `relationships`…, or `singular` for a SQL file test.
    pub kind: String,
    pub table: String,
    pub column: Option<String>,
    pub severity: Severity,
}

impl Manifest {
    /// The manifest at `path`; a missing or unreadable one is named with what to run.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Usage(format!(
                "layers.dbt_project: cannot read {} ({e}); `assay build` runs dbt, or run `dbt parse` there",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::Usage(format!(
                "{}: not a dbt manifest, line {}, column {}: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
        })
    }

    /// The table (`schema.name`) a model, seed, snapshot or source is built as.
    fn table_of(&self, id: &str) -> Option<String> {
        if let Some(n) = self.nodes.get(id) {
            return matches!(n.resource_type.as_str(), "model" | "seed" | "snapshot")
                .then(|| format!("{}.{}", n.schema, n.alias.as_deref().unwrap_or(&n.name)));
        }
        let s = self.sources.get(id)?;
        Some(format!(
            "{}.{}",
            s.schema,
            s.identifier.as_deref().unwrap_or(&s.name)
        ))
    }

    /// The project's models as assay's models: layer = schema, the compiled SQL when dbt
    /// compiled it (the raw Jinja otherwise), what they read as tables.
    pub fn models(&self, project: &Path) -> Vec<Model> {
        self.nodes
            .values()
            .filter(|n| n.resource_type == "model")
            .map(|n| Model {
                layer: n.schema.clone(),
                name: n.alias.clone().unwrap_or_else(|| n.name.clone()),
                path: project.join(&n.original_file_path),
                sql: n
                    .compiled_code
                    .clone()
                    .unwrap_or_else(|| n.raw_code.clone()),
                reads: n
                    .depends_on
                    .nodes
                    .iter()
                    .filter_map(|d| self.table_of(d))
                    .collect::<BTreeSet<_>>(),
            })
            .collect()
    }

    /// The model (`schema.table`) a node id names, if it is one.
    pub fn model_table(&self, id: &str) -> Option<String> {
        self.nodes
            .get(id)
            .filter(|n| n.resource_type == "model")
            .and_then(|_| self.table_of(id))
    }

    /// The project's tests, each on the table it is attached to.
    pub fn tests(&self) -> Vec<DbtTest> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.resource_type == "test")
            .map(|(id, n)| {
                let on = n
                    .attached_node
                    .iter()
                    .chain(&n.depends_on.nodes)
                    .find_map(|d| self.table_of(d))
                    .unwrap_or_default();
                DbtTest {
                    id: id.clone(),
                    name: n.name.clone(),
                    kind: n
                        .test_metadata
                        .as_ref()
                        .map_or_else(|| "singular".to_string(), |m| m.name.clone()),
                    table: on,
                    column: n.column_name.clone(),
                    severity: match n.config.severity.as_deref().map(str::to_ascii_lowercase) {
                        Some(s) if s == "warn" => Severity::Warn,
                        _ => Severity::Error,
                    },
                }
            })
            .collect()
    }

    /// dbt's freshness settings for the source table `schema.table`, as seconds (warn, error).
    pub fn freshness(&self, table: &str) -> Option<(Option<u64>, Option<u64>)> {
        self.sources.iter().find_map(|(id, s)| {
            let rule = s.freshness.as_ref()?;
            (self.table_of(id).as_deref() == Some(table)).then(|| {
                (
                    rule.warn_after.as_ref().and_then(Period::seconds),
                    rule.error_after.as_ref().and_then(Period::seconds),
                )
            })
        })
    }

    /// Read from a file, for tests.
    #[cfg(test)]
    pub fn parse(text: &str) -> Manifest {
        serde_json::from_str(text).expect("a manifest")
    }
}

/// Where the manifest of the project in `dir` is.
pub fn path_in(dir: &Path) -> std::path::PathBuf {
    dir.join("target").join("manifest.json")
}
