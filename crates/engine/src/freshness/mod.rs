//! How fresh every company × entity × layer is, from the catalog alone (never the data),
//! so it is cheap enough for cron every minute.
//!
//! Bronze is as fresh as its current version. A silver or gold model is as fresh as the
//! oldest bronze load it was built on: the newest successful load of each upstream entity
//! that finished before the model's last successful build.

pub mod alerts;
pub mod history;
mod legacy_rows;
pub mod status;
pub mod status_text;

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
    /// The last extraction of this company × entity was cancelled (the previous version is
    /// still current).
    Cancelled,
    Error,
    /// The last extraction of this company × entity failed (the previous version is still
    /// current, which is why age alone said `ok`).
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Cancelled => "cancelled",
            Status::Error => "error",
            Status::Failed => "failed",
        }
    }
}

/// The last extraction attempt of a company × entity that did not succeed, when it is
/// newer than the version still current.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// `failed` or `cancelled`.
    pub status: String,
    /// When it ended (UTC).
    pub at: NaiveDateTime,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// A newer extraction that failed or was cancelled (bronze rows only).
    pub last_attempt: Option<Attempt>,
}

/// An entity's thresholds: its company override, the entity's, then dbt's freshness
/// settings for the source `bronze.<entity>` (`dbt`: from the manifest), then `[freshness]`.
pub fn thresholds(
    ws: &Workspace,
    entity: &str,
    company: &str,
    dbt: Option<(Option<u64>, Option<u64>)>,
) -> (Option<Duration>, Option<Duration>) {
    let global = &ws.config.freshness;
    let (dbt_warn, dbt_error) = dbt.unwrap_or_default();
    let seconds = |s: Option<u64>| s.map(|seconds| Duration { seconds });
    let e = ws.config.entities.get(entity);
    let o = e.and_then(|e| e.overrides.get(company));
    (
        o.and_then(|o| o.warn_after)
            .or(e.and_then(|e| e.warn_after))
            .or(seconds(dbt_warn))
            .or(global.warn_after),
        o.and_then(|o| o.error_after)
            .or(e.and_then(|e| e.error_after))
            .or(seconds(dbt_error))
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

/// The last finished extraction of each (entity, company), when it failed or was cancelled:
/// a newer success would be the last.
fn failed_attempts(conn: &Connection) -> Result<BTreeMap<(String, String), Attempt>> {
    let mut stmt = conn.prepare(
        "SELECT entity, company, arg_max(status, id), arg_max(coalesce(finished, started), id), \
                arg_max(error, id) \
         FROM assay.runs WHERE kind = 'extract' AND status IN ('ok', 'failed', 'cancelled') \
           AND entity IS NOT NULL AND company IS NOT NULL \
         GROUP BY entity, company",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            r.get::<_, String>(2)?,
            r.get::<_, NaiveDateTime>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (key, status, at, error) = row?;
        if status != "ok" {
            out.insert(key, Attempt { status, at, error });
        }
    }
    Ok(out)
}

/// A bronze row whose last extraction failed or was cancelled says so, and why, beside
/// the age of the version still current.
fn with_attempt(mut row: Row, attempt: Option<&Attempt>, now: NaiveDateTime) -> Row {
    let Some(a) = attempt else {
        return row;
    };
    row.status = if a.status == "cancelled" {
        row.status.max(Status::Cancelled)
    } else {
        Status::Failed
    };
    let ago = human_age((now - a.at).num_seconds().max(0));
    row.note = match &a.error {
        Some(e) => format!("{} {ago} ago: {e}", a.status),
        None => format!("{} {ago} ago", a.status),
    };
    row.last_attempt = Some(a.clone());
    row
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
    models::upstream(all, &model.qualified())
        .into_iter()
        .filter_map(|t| t.strip_prefix("bronze.").map(String::from))
        .collect()
}

pub fn report(ws: &Workspace, conn: &Connection, now: NaiveDateTime) -> Result<Vec<Row>> {
    let loads = loads(conn)?;
    let attempts = failed_attempts(conn)?;
    let builds = builds(conn)?;
    let per_company = build_company_rows(conn)?;
    let f = &ws.config.freshness;
    let alerts = alerts::alerts(
        conn,
        f.volume_runs.unwrap_or(alerts::VOLUME_RUNS),
        f.volume_threshold.unwrap_or(alerts::VOLUME_THRESHOLD),
    )?;
    // A dbt project's manifest is read once: its models and its sources' freshness.
    let manifest = match crate::build::dbt::project(ws) {
        Some(p) => crate::build::dbt::built(&p)?.map(|m| (p, m)),
        None => None,
    };
    let (models, dbt) = match manifest {
        Some((p, m)) => (m.models(&p), Some(m)),
        None => (models::of_workspace(ws)?, None),
    };
    let mut out = Vec::new();
    for company in ws.config.companies.keys() {
        for entity in ws.config.entities.keys() {
            let source_rule = dbt
                .as_ref()
                .and_then(|m| m.freshness(&format!("bronze.{entity}")));
            let (warn, error) = thresholds(ws, entity, company, source_rule);
            let history = loads.get(&(entity.clone(), company.clone()));
            let latest = history.and_then(|h| h.last()).copied();
            let bronze = row(
                company,
                entity,
                "bronze",
                &format!("bronze.{entity}"),
                latest.map(|(at, rows)| (at, Some(rows))),
                now,
                warn,
                error,
                "never extracted",
            );
            let attempt = attempts.get(&(entity.clone(), company.clone()));
            let mine: Vec<&alerts::Alert> = alerts
                .iter()
                .filter(|a| &a.company == company && &a.entity == entity)
                .collect();
            out.push(with_alerts(with_attempt(bronze, attempt, now), &mine));
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
                let built = row(
                    company,
                    entity,
                    &model.layer,
                    &model.qualified(),
                    basis,
                    now,
                    warn,
                    error,
                    note,
                );
                let mine: Vec<&alerts::Alert> = alerts
                    .iter()
                    .filter(|a| a.company.is_empty() && a.entity == model.qualified())
                    .collect();
                out.push(with_alerts(built, &mine));
            }
        }
    }
    out.extend(legacy_rows::rows(ws, conn, now)?);
    Ok(out)
}

/// A fresh row (bronze, or a model) with schema or volume alerts is a warning that says them.
fn with_alerts(mut row: Row, alerts: &[&alerts::Alert]) -> Row {
    if alerts.is_empty() {
        return row;
    }
    if row.status == Status::Ok {
        row.status = Status::Warn;
    }
    let said: Vec<String> = alerts
        .iter()
        .map(|a| format!("{}: {}", a.kind, a.message))
        .collect();
    if !row.note.is_empty() {
        row.note.push_str("; ");
    }
    row.note.push_str(&said.join("; "));
    row
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
                last_attempt: None,
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
            last_attempt: None,
        },
    }
}

/// Exit code of a freshness check: 0 all fresh, 1 any warning, 2 any error or any
/// extraction whose last attempt failed or was cancelled.
pub fn exit_code(rows: &[Row]) -> i32 {
    match rows.iter().map(|r| r.status).max() {
        Some(Status::Error | Status::Failed | Status::Cancelled) => 2,
        Some(Status::Warn) => 1,
        _ => 0,
    }
}

pub use crate::config::duration::human as human_age;

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
    fn dbt_source_freshness_comes_before_the_workspace_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("assay.toml"),
            "[freshness]\nwarn_after = \"1d\"\nerror_after = \"7d\"\n",
        )
        .unwrap();
        let ws = Workspace::load(dir.path()).unwrap();
        let secs = |t: (Option<Duration>, Option<Duration>)| {
            (t.0.map(|d| d.seconds), t.1.map(|d| d.seconds))
        };
        assert_eq!(
            secs(thresholds(&ws, "invoices", "acme", None)),
            (Some(86_400), Some(604_800))
        );
        assert_eq!(
            secs(thresholds(
                &ws,
                "invoices",
                "acme",
                Some((Some(3_600), None))
            )),
            (Some(3_600), Some(604_800))
        );
    }

    /// A failed extraction was invisible: the previous version being current, age alone
    /// said `ok` with an empty note.
    #[test]
    fn a_failed_last_attempt_shows_beside_the_current_version() {
        let store = crate::store::Store::in_memory().unwrap();
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let ok = store
            .begin_run_at(
                "extract",
                Some("acme"),
                Some("invoices"),
                at("2026-01-01 10:00:00"),
            )
            .unwrap();
        store
            .finish_run(ok, crate::store::RunStatus::Ok, Some(5), None)
            .unwrap();
        let bad = store
            .begin_run_at(
                "extract",
                Some("acme"),
                Some("invoices"),
                at("2026-01-01 11:00:00"),
            )
            .unwrap();
        store
            .finish_run(
                bad,
                crate::store::RunStatus::Failed,
                None,
                Some("acme/invoices.csv: line 3: 2 fields"),
            )
            .unwrap();
        let other = store
            .begin_run_at(
                "extract",
                Some("borealis"),
                Some("invoices"),
                at("2026-01-01 11:00:00"),
            )
            .unwrap();
        store
            .finish_run(other, crate::store::RunStatus::Cancelled, None, None)
            .unwrap();
        let attempts = failed_attempts(store.conn()).unwrap();
        let acme = attempts
            .get(&("invoices".into(), "acme".into()))
            .expect("the failure");
        assert_eq!(acme.status, "failed");
        let fresh = Row {
            company: "acme".into(),
            entity: "invoices".into(),
            layer: "bronze".into(),
            table: "bronze.invoices".into(),
            loaded_at: None,
            age_seconds: Some(60),
            rows: Some(5),
            status: Status::Ok,
            note: String::new(),
            last_attempt: None,
        };
        let shown = with_attempt(
            fresh.clone(),
            Some(acme),
            acme.at + chrono::Duration::minutes(5),
        );
        assert_eq!(shown.status, Status::Failed);
        assert_eq!(
            shown.note,
            "failed 5m ago: acme/invoices.csv: line 3: 2 fields"
        );
        assert_eq!(exit_code(&[shown]), 2);
        let cancelled = attempts
            .get(&("invoices".into(), "borealis".into()))
            .unwrap();
        assert_eq!(
            with_attempt(fresh.clone(), Some(cancelled), cancelled.at).status,
            Status::Cancelled
        );
        // A success after the failure is the last attempt: nothing to say.
        let again = store
            .begin_run_at(
                "extract",
                Some("acme"),
                Some("invoices"),
                at("2026-01-01 12:00:00"),
            )
            .unwrap();
        store
            .finish_run(again, crate::store::RunStatus::Ok, Some(6), None)
            .unwrap();
        assert!(!failed_attempts(store.conn())
            .unwrap()
            .contains_key(&("invoices".into(), "acme".into())));
    }

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(human_age(93_784), "1d 2h");
        assert_eq!(human_age(59), "59s");
        assert_eq!(human_age(0), "0s");
        assert_eq!(human_age(3_660), "1h 1m");
    }
}
