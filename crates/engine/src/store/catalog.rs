//! The run log and table versions kept in the cache's `assay` schema.

use chrono::NaiveDateTime;
use duckdb::params;
use serde::Serialize;

use super::Store;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Ok,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// The status the catalog wrote as text.
    pub fn parse(text: &str) -> Option<RunStatus> {
        [
            RunStatus::Running,
            RunStatus::Ok,
            RunStatus::Failed,
            RunStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub id: i64,
    pub kind: String,
    pub company: Option<String>,
    pub entity: Option<String>,
    pub started: NaiveDateTime,
    pub finished: Option<NaiveDateTime>,
    pub status: RunStatus,
    pub rows: Option<i64>,
    pub error: Option<String>,
}

/// Which runs to list (None: any).
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub company: Option<String>,
    pub entity: Option<String>,
    /// `extract`, `build`, `test`.
    pub kind: Option<String>,
}

/// The catalog keeps UTC wall-clock times without a zone.
pub fn utc_now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// The columns (name, type) a run produced, in order: what the next run's schema alerts
/// are compared with. Called by extractions and builds inside their own transactions.
pub fn record_run_columns<'a>(
    conn: &duckdb::Connection,
    run_id: i64,
    columns: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<()> {
    let mut insert = conn.prepare("INSERT INTO assay.run_columns VALUES (?, ?, ?, ?)")?;
    for (i, (name, type_)) in columns.into_iter().enumerate() {
        insert.execute(params![run_id, i as i32, name, type_])?;
    }
    Ok(())
}

impl Store {
    /// Record the start of a run and return its id.
    pub fn begin_run(
        &self,
        kind: &str,
        company: Option<&str>,
        entity: Option<&str>,
    ) -> Result<i64> {
        self.begin_run_at(kind, company, entity, utc_now())
    }

    /// The same, for a run that started earlier (one recorded once it is over).
    pub fn begin_run_at(
        &self,
        kind: &str,
        company: Option<&str>,
        entity: Option<&str>,
        started: NaiveDateTime,
    ) -> Result<i64> {
        Ok(self.conn().query_row(
            "INSERT INTO assay.runs (kind, company, entity, started, status) \
             VALUES (?, ?, ?, ?, 'running') RETURNING id",
            params![kind, company, entity, started],
            |r| r.get(0),
        )?)
    }

    /// Record how a run ended.
    pub fn finish_run(
        &self,
        id: i64,
        status: RunStatus,
        rows: Option<i64>,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE assay.runs SET finished = ?, status = ?, rows = ?, error = ? WHERE id = ?",
            params![
                utc_now(),
                status.as_str(),
                rows,
                error.map(crate::redact::text),
                id
            ],
        )?;
        Ok(())
    }

    /// Runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<Run>> {
        self.runs_of(&RunFilter::default(), limit)
    }

    /// The runs `filter` admits, newest first.
    pub fn runs_of(&self, filter: &RunFilter, limit: usize) -> Result<Vec<Run>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, kind, company, entity, started, finished, status, rows, error \
             FROM assay.runs WHERE (? IS NULL OR company = ?) AND (? IS NULL OR entity = ?) \
             AND (? IS NULL OR kind = ?) ORDER BY id DESC LIMIT ?",
        )?;
        let (c, e, k) = (&filter.company, &filter.entity, &filter.kind);
        let rows = stmt.query_map(params![c, c, e, e, k, k, limit as i64], |r| {
            Ok(Run {
                id: r.get(0)?,
                kind: r.get(1)?,
                company: r.get(2)?,
                entity: r.get(3)?,
                started: r.get(4)?,
                finished: r.get(5)?,
                status: {
                    let text: String = r.get(6)?;
                    RunStatus::parse(&text).ok_or_else(|| {
                        duckdb::Error::FromSqlConversionFailure(
                            6,
                            duckdb::types::Type::Text,
                            format!("assay.runs.status `{text}` is not a run status").into(),
                        )
                    })?
                },
                rows: r.get(7)?,
                error: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}
