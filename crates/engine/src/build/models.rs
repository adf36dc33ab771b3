//! Finding the SQL models and the order to build them in.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// Layers built from models, in the order a tie is broken.
pub const MODEL_LAYERS: [&str; 2] = ["silver", "gold"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub layer: String,
    pub name: String,
    pub path: PathBuf,
    pub sql: String,
    /// `layer.table` names this model reads (bronze, silver or gold).
    pub reads: BTreeSet<String>,
}

impl Model {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.layer, self.name)
    }
}

/// A workspace's models: its dbt project's (from the manifest), its SQL files', or none
/// when another build command decides what exists.
pub fn of_workspace(ws: &crate::config::Workspace) -> Result<Vec<Model>> {
    match super::dbt::project(ws) {
        Some(project) => super::dbt::models(&project),
        None if ws.config.layers.build_command.is_some() => Ok(Vec::new()),
        None => discover(&ws.models_dir()),
    }
}

pub fn discover(models_dir: &Path) -> Result<Vec<Model>> {
    let mut models = Vec::new();
    for layer in MODEL_LAYERS {
        let dir = models_dir.join(layer);
        if !dir.is_dir() {
            continue;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .io_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            if !crate::sql::is_plain_identifier(&name) {
                return Err(Error::Usage(format!(
                    "{}: a model file name must be letters, digits and underscores (it names the table)",
                    path.display()
                )));
            }
            let sql = std::fs::read_to_string(&path)
                .io_context(|| format!("cannot read {}", path.display()))?;
            let reads = table_references(&sql);
            models.push(Model {
                layer: layer.into(),
                name,
                path,
                sql,
                reads,
            });
        }
    }
    Ok(models)
}

/// `target` and every table the models building it read, transitively.
pub fn upstream(models: &[Model], target: &str) -> Vec<String> {
    let by_name: BTreeMap<String, &Model> = models.iter().map(|m| (m.qualified(), m)).collect();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([target.to_string()]);
    while let Some(table) = queue.pop_front() {
        if !seen.insert(table.clone()) {
            continue;
        }
        if let Some(model) = by_name.get(&table) {
            queue.extend(model.reads.iter().cloned());
        }
    }
    seen.into_iter().collect()
}

/// `layer.table` references in SQL text (quoted or not), comments and strings skipped.
pub fn table_references(sql: &str) -> BTreeSet<String> {
    let code = strip_comments_and_strings(sql);
    let mut found = BTreeSet::new();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !word(chars[i]) || (i > 0 && (word(chars[i - 1]) || chars[i - 1] == '.')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && word(chars[i]) {
            i += 1;
        }
        let schema: String = chars[start..i]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        if !["bronze", "silver", "gold"].contains(&schema.as_str()) || chars.get(i) != Some(&'.') {
            continue;
        }
        let mut j = i + 1;
        let quoted = chars.get(j) == Some(&'"');
        if quoted {
            j += 1;
        }
        let name_start = j;
        while j < chars.len() && word(chars[j]) {
            j += 1;
        }
        if j > name_start {
            let name: String = chars[name_start..j].iter().collect();
            found.insert(format!("{schema}.{}", name.to_ascii_lowercase()));
        }
        i = j;
    }
    found
}

fn strip_comments_and_strings(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
                out.push(' ');
            }
            '\'' => {
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                }
                out.push_str("''");
            }
            other => out.push(other),
        }
    }
    out
}

/// Models in an order where every model comes after the models it reads. A cycle is an
/// error naming the models in it.
pub fn order(models: &[Model]) -> Result<Vec<usize>> {
    let index: BTreeMap<String, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.qualified(), i))
        .collect();
    let mut state = vec![0u8; models.len()]; // 0 new, 1 visiting, 2 done
    let mut ordered = Vec::new();
    fn visit(
        i: usize,
        models: &[Model],
        index: &BTreeMap<String, usize>,
        state: &mut [u8],
        ordered: &mut Vec<usize>,
        path: &mut Vec<String>,
    ) -> Result<()> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                path.push(models[i].qualified());
                return Err(Error::Usage(format!(
                    "models depend on each other in a cycle: {}",
                    path.join(" -> ")
                )));
            }
            _ => {}
        }
        state[i] = 1;
        path.push(models[i].qualified());
        for dep in &models[i].reads {
            if let Some(&d) = index.get(dep) {
                if d != i {
                    visit(d, models, index, state, ordered, path)?;
                }
            }
        }
        path.pop();
        state[i] = 2;
        ordered.push(i);
        Ok(())
    }
    for i in 0..models.len() {
        visit(i, models, &index, &mut state, &mut ordered, &mut Vec::new())?;
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_follows_the_models_references() {
        let model = |layer: &str, name: &str, reads: &[&str]| Model {
            layer: layer.into(),
            name: name.into(),
            path: Default::default(),
            sql: String::new(),
            reads: reads.iter().map(|r| r.to_string()).collect(),
        };
        let models = vec![
            model("silver", "a", &["bronze.x"]),
            model("silver", "b", &["bronze.y"]),
            model("gold", "f", &["silver.a", "silver.b"]),
            model("gold", "other", &["bronze.z"]),
        ];
        assert_eq!(
            upstream(&models, "gold.f"),
            ["bronze.x", "bronze.y", "gold.f", "silver.a", "silver.b"]
        );
    }

    fn model(layer: &str, name: &str, sql: &str) -> Model {
        Model {
            layer: layer.into(),
            name: name.into(),
            path: PathBuf::new(),
            sql: sql.into(),
            reads: table_references(sql),
        }
    }

    #[test]
    fn finds_references_outside_comments_and_strings() {
        let refs = table_references(
            "-- reads gold.fake\nSELECT 'silver.nope' FROM silver.invoices i JOIN \"silver\".x USING (a) JOIN SILVER.\"Lines\" /* bronze.no */ JOIN bronze.orders",
        );
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        assert_eq!(
            refs,
            vec!["bronze.orders", "silver.invoices", "silver.lines"]
        );
    }

    #[test]
    fn orders_by_dependency_and_reports_cycles() {
        let models = vec![
            model("gold", "b", "SELECT * FROM silver.a"),
            model("silver", "a", "SELECT * FROM bronze.x"),
            model("gold", "c", "SELECT * FROM gold.b JOIN silver.a USING (k)"),
        ];
        let order: Vec<String> = order(&models)
            .unwrap()
            .into_iter()
            .map(|i| models[i].qualified())
            .collect();
        assert_eq!(order, vec!["silver.a", "gold.b", "gold.c"]);
        let cyclic = vec![
            model("gold", "x", "SELECT * FROM gold.y"),
            model("gold", "y", "SELECT * FROM gold.x"),
        ];
        let err = super::order(&cyclic).unwrap_err().to_string();
        assert!(err.contains("gold.x -> gold.y -> gold.x"), "{err}");
    }
}
