//! How fresh every company × entity × layer is, from the catalog alone (never the data),
//! so it is cheap enough for cron every minute.
//!
//! Bronze is as fresh as its current version. A silver or gold model is as fresh as the
//! oldest bronze load it was built on: the newest successful load of each upstream entity
//! that finished before the model's last successful build.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use duckdb::Connection;
use serde::Serialize;

use crate::build::models::{self, Model};
use crate::config::{Duration, Workspace};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub company: String,
    pub entity: String,
    pub layer: String,
    pub table: String,
    /// When the data in this table was loaded from the source (UTC).
    pub loaded_at: Option<NaiveDateTime>,
    pub age_seconds: Option<i64>,
    pub rows: Option<i64>,
    pub status: Status,
    pub note: String,
}

/// The thresholds for one company and entity: company override, then entity, then workspace.
pub fn thresholds(
    ws: &Workspace,
    entity: &str,
    company: &str,
) -> (Option<Duration>, Option<Duration>) {
    let global = &ws.config.freshness;
    let Some(e) = ws.config.entities.get(entity) else {
        return (global.warn_after, global.error_after);
    };
    let o = e.overrides.get(company);
    (
        o.and_then(|o| o.warn_after)
            .or(e.warn_after)
            .or(global.warn_after),
        o.and_then(|o| o.error_after)
            .or(e.error_after)
            .or(global.error_after),
    )
}

pub fn judge(age: i64, warn: Option<Duration>, error: Option<Duration>) -> Status {
    let over = |d: Option<Duration>| d.is_some_and(|d| age > d.seconds as i64);
    if over(error) {
        Status::Error
    } else if over(warn) {
        Status::Warn
    } else {
        Status::Ok
    }
}

/// (entity, company) → (finish time, rows) of each successful load, oldest first.
type LoadHistory = BTreeMap<(String, String), Vec<(NaiveDateTime, i64)>>;

fn loads(conn: &Connection) -> Result<LoadHistory> {
    let mut stmt = conn.prepare(
        "SELECT entity, company, finished, coalesce(rows, 0) FROM assay.runs \
         WHERE kind = 'extract' AND status = 'ok' AND finished IS NOT NULL ORDER BY finished",
    )?;
    let mut map = LoadHistory::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get(2)?,
            r.get(3)?,
        ))
    })?;
    for row in rows {
        let (entity, company, at, n) = row?;
        map.entry((entity, company)).or_default().push((at, n));
    }
    Ok(map)
}

/// Last successful build of each model: `layer.name` → (finished, rows).
fn builds(conn: &Connection) -> Result<BTreeMap<String, (NaiveDateTime, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT entity, max(finished), arg_max(coalesce(rows, 0), finished) FROM assay.runs \
         WHERE kind = 'build' AND status = 'ok' AND finished IS NOT NULL GROUP BY entity",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))?;
    Ok(rows.collect::<Result<BTreeMap<_, _>, _>>()?)
}

/// Rows per company of each model's last successful build: (`layer.name`, company) → rows;
/// company `*` stands for a model without a company column (its rows are the table's).
fn build_company_rows(conn: &Connection) -> Result<BTreeMap<(String, String), i64>> {
    let mut stmt = conn.prepare(
        "SELECT b.entity, c.company, c.rows FROM assay.run_company_rows c \
         JOIN (SELECT entity, arg_max(id, finished) AS id FROM assay.runs \
               WHERE kind = 'build' AND status = 'ok' AND finished IS NOT NULL GROUP BY entity) b \
           ON c.run_id = b.id",
    )?;
    let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
    Ok(rows.collect::<Result<BTreeMap<_, _>, _>>()?)
}

/// A model's rows for one company: its share of the table when the build counted them
/// by company, the whole table for a model that is not per company, and None when the
/// build predates per-company counts.
fn model_rows(
    per_company: &BTreeMap<(String, String), i64>,
    model: &str,
    company: &str,
) -> Option<i64> {
    let of = |c: &str| {
        per_company
            .get(&(model.to_string(), c.to_string()))
            .copied()
    };
    if let Some(whole) = of("*") {
        return Some(whole);
    }
    let counted = per_company.keys().any(|(m, _)| m == model);
    counted.then(|| of(company).unwrap_or(0))
}

/// The bronze entities a model reads, directly or through other models.
fn upstream(model: &Model, all: &[Model]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack: Vec<&Model> = vec![model];
    let mut seen = BTreeSet::new();
    while let Some(m) = stack.pop() {
        if !seen.insert(m.qualified()) {
            continue;
        }
        for r in &m.reads {
            if let Some(entity) = r.strip_prefix("bronze.") {
                found.insert(entity.to_string());
            } else if let Some(dep) = all.iter().find(|x| x.qualified() == *r) {
                stack.push(dep);
            }
        }
    }
    found
}

pub fn report(ws: &Workspace, conn: &Connection, now: NaiveDateTime) -> Result<Vec<Row>> {
    let loads = loads(conn)?;
    let builds = builds(conn)?;
    let per_company = build_company_rows(conn)?;
    let models = if ws.config.layers.build_command.is_none() {
        models::discover(&ws.models_dir())?
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for company in ws.config.companies.keys() {
        for entity in ws.config.entities.keys() {
            let (warn, error) = thresholds(ws, entity, company);
            let history = loads.get(&(entity.clone(), company.clone()));
            let latest = history.and_then(|h| h.last()).copied();
            out.push(row(
                company,
                entity,
                "bronze",
                &format!("bronze.{entity}"),
                latest.map(|(at, rows)| (at, Some(rows))),
                now,
                warn,
                error,
                "never extracted",
            ));
            for model in models
                .iter()
                .filter(|m| upstream(m, &models).contains(entity))
            {
                let basis = builds.get(&model.qualified()).and_then(|(built, _)| {
                    let upstream_load = history?.iter().rev().find(|(at, _)| at <= built)?;
                    Some((
                        upstream_load.0,
                        model_rows(&per_company, &model.qualified(), company),
                    ))
                });
                let note = if builds.contains_key(&model.qualified()) {
                    "built before any load of this company"
                } else {
                    "never built"
                };
                out.push(row(
                    company,
                    entity,
                    &model.layer,
                    &model.qualified(),
                    basis,
                    now,
                    warn,
                    error,
                    note,
                ));
            }
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn row(
    company: &str,
    entity: &str,
    layer: &str,
    table: &str,
    load: Option<(NaiveDateTime, Option<i64>)>,
    now: NaiveDateTime,
    warn: Option<Duration>,
    error: Option<Duration>,
    missing: &str,
) -> Row {
    match load {
        Some((at, rows)) => {
            let age = (now - at).num_seconds().max(0);
            Row {
                company: company.into(),
                entity: entity.into(),
                layer: layer.into(),
                table: table.into(),
                loaded_at: Some(at),
                age_seconds: Some(age),
                rows,
                status: judge(age, warn, error),
                note: String::new(),
            }
        }
        None => Row {
            company: company.into(),
            entity: entity.into(),
            layer: layer.into(),
            table: table.into(),
            loaded_at: None,
            age_seconds: None,
            rows: None,
            status: Status::Error,
            note: missing.into(),
        },
    }
}

/// Exit code of a freshness check: 0 all fresh, 1 any warning, 2 any error.
pub fn exit_code(rows: &[Row]) -> i32 {
    match rows.iter().map(|r| r.status).max() {
        Some(Status::Error) => 2,
        Some(Status::Warn) => 1,
        _ => 0,
    }
}

/// `93784` → `1d 2h`: two units are enough to read at a glance.
pub fn human_age(seconds: i64) -> String {
    let units = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (u, size) in units {
        if rest >= size || (parts.is_empty() && size == 1) {
            parts.push(format!("{}{u}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_against_thresholds() {
        let h = |s: &str| Some(Duration::parse(s).unwrap());
        assert_eq!(judge(3600, h("2h"), h("1d")), Status::Ok);
        assert_eq!(judge(3 * 3600, h("2h"), h("1d")), Status::Warn);
        assert_eq!(judge(2 * 86_400, h("2h"), h("1d")), Status::Error);
        assert_eq!(judge(10 * 86_400, None, None), Status::Ok);
    }

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(human_age(93_784), "1d 2h");
        assert_eq!(human_age(59), "59s");
        assert_eq!(human_age(0), "0s");
        assert_eq!(human_age(3_660), "1h 1m");
    }
}
