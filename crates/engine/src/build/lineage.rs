//! The models as a pairing session walks through them: each model's SQL, what it reads,
//! what reads it, and its rows per company from its last successful build.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::models::{of_workspace, order, Model};
use crate::config::Workspace;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq)]
pub struct ModelSummary {
    pub model: Model,
    /// `layer.table` of the models that read this one.
    pub read_by: Vec<String>,
    /// Rows per company of the last successful build (`*`: a table without companies).
    pub rows: Vec<(String, i64)>,
    /// When that build finished (UTC), if it ever did.
    pub built: Option<chrono::NaiveDateTime>,
}

/// Every model in build order (what it reads first), with its lineage and numbers.
pub fn summaries(ws: &Workspace, conn: &Connection) -> Result<Vec<ModelSummary>> {
    let models = of_workspace(ws)?;
    let mut read_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in &models {
        for r in &m.reads {
            read_by.entry(r.clone()).or_default().push(m.qualified());
        }
    }
    let mut latest = conn.prepare(
        "SELECT id, finished FROM assay.runs WHERE kind = 'build' AND status = 'ok' AND entity = ? \
         ORDER BY id DESC LIMIT 1",
    )?;
    let mut per_company = conn.prepare(
        "SELECT company, rows FROM assay.run_company_rows WHERE run_id = ? ORDER BY company",
    )?;
    let mut out = Vec::new();
    for i in order(&models)? {
        let mut model = models[i].clone();
        // Shown to people: relative to the workspace, as they would open it.
        if let Ok(relative) = model.path.strip_prefix(&ws.root) {
            model.path = relative.to_path_buf();
        }
        let name = model.qualified();
        let run: Option<(i64, Option<chrono::NaiveDateTime>)> = latest
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))?
            .next()
            .transpose()?;
        let rows = match run {
            Some((id, _)) => per_company
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<(String, i64)>, _>>()?,
            None => Vec::new(),
        };
        out.push(ModelSummary {
            read_by: read_by.remove(&name).unwrap_or_default(),
            built: run.and_then(|(_, at)| at),
            rows,
            model,
        });
    }
    Ok(out)
}

/// One line of `assay models`: a model, what it reads and what reads it, how its last build
/// went, and the latest verdict of each test on its whole table (dbt's tests, and assay's
/// tests not cut by company).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelRow {
    pub model: String,
    pub file: String,
    pub reads: Vec<String>,
    pub read_by: Vec<String>,
    /// `ok`, `failed`…: the latest build run of the model, if any.
    pub last_build: Option<String>,
    pub last_error: Option<String>,
    /// Rows of the last successful build, summed over companies.
    pub rows: Option<i64>,
    pub built_utc: Option<chrono::NaiveDateTime>,
    pub tests: Vec<crate::checks::record::TestResult>,
}

/// Every model (build order) with its last build and tests.
pub fn rows(ws: &Workspace, store: &crate::store::Store) -> Result<Vec<ModelRow>> {
    let mut out = Vec::new();
    for s in summaries(ws, store.conn())? {
        let model = s.model.qualified();
        let filter = crate::store::RunFilter {
            entity: Some(model.clone()),
            kind: Some("build".into()),
            ..Default::default()
        };
        let last = store.runs_of(&filter, 1)?.into_iter().next();
        out.push(ModelRow {
            file: s.model.path.display().to_string(),
            reads: s.model.reads.iter().cloned().collect(),
            read_by: s.read_by,
            last_build: last.as_ref().map(|r| r.status.as_str().to_string()),
            last_error: last.and_then(|r| r.error),
            rows: (!s.rows.is_empty()).then(|| s.rows.iter().map(|(_, n)| n).sum()),
            built_utc: s.built,
            tests: crate::checks::record::latest_on(store.conn(), "*", &model)?,
            model,
        });
    }
    Ok(out)
}

/// The workspace's personal-data policy: the config's `pii` marks carried down the models'
/// lineage (SQL files or the dbt manifest; none readable: the marks as declared), its
/// hash salt from the store's catalog.
pub fn personal(ws: &Workspace, store: &crate::store::Store) -> Result<crate::pii::Policy> {
    let lineage: Vec<(String, std::collections::BTreeSet<String>)> =
        super::models::of_workspace(ws)
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.qualified(), m.reads))
            .collect();
    let salt = store.meta(crate::pii::SALT_KEY)?.unwrap_or_default();
    Ok(crate::pii::Policy::declared(&ws.config, &lineage, salt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn models_come_with_readers_and_their_last_build_rows() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("assay.toml"), "[workspace]\nname = \"t\"\n").unwrap();
        std::fs::create_dir_all(dir.path().join("models/silver")).unwrap();
        std::fs::create_dir_all(dir.path().join("models/gold")).unwrap();
        std::fs::write(
            dir.path().join("models/silver/a.sql"),
            "SELECT * FROM bronze.x",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("models/gold/f.sql"),
            "SELECT * FROM silver.a",
        )
        .unwrap();
        let ws = Workspace::load(dir.path()).unwrap();
        let store = Store::in_memory().unwrap();
        let run = store.begin_run("build", None, Some("silver.a")).unwrap();
        store
            .finish_run(run, crate::store::RunStatus::Ok, Some(3), None)
            .unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO assay.run_company_rows VALUES (?, 'acme', 3)",
                [run],
            )
            .unwrap();
        let all = summaries(&ws, store.conn()).unwrap();
        let names: Vec<String> = all.iter().map(|s| s.model.qualified()).collect();
        assert_eq!(names, ["silver.a", "gold.f"]);
        assert_eq!(all[0].read_by, ["gold.f"]);
        assert_eq!(all[0].rows, [("acme".to_string(), 3)]);
        assert!(all[0].built.is_some());
        assert!(all[1].rows.is_empty() && all[1].built.is_none());
    }
}
