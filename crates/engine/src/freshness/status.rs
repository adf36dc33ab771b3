//! `assay status`: the freshness rows as one matrix for a glance over SSH or from cron — a
//! row per company, a short cell per column (bronze per entity, then each layer's models
//! together), the companies with problems first.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Row, Status};
use crate::checks::record::Verdict;
use crate::checks::TestStatus;

/// Version of the status JSON's shape (docs/status.md); bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// One company × column: the worst of the tables it stands for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub status: Status,
    /// What a person reads: `ok`, `warn 2d`, `ERR 3d`, `never`, `FAIL`, `cancl`.
    pub text: String,
    /// The oldest data among its tables (None: some table has none).
    pub age_seconds: Option<i64>,
    /// The tables it stands for.
    pub tables: Vec<String>,
    /// Why it is not ok: the failed run's error, or the freshness note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompanyRow {
    pub company: String,
    /// The worst of its cells.
    pub status: Status,
    /// One per column, in the matrix's column order (None: nothing there, e.g. no model of
    /// that layer reads this company's data).
    pub cells: Vec<Option<Cell>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Matrix {
    pub schema_version: u32,
    /// `bronze.<entity>` for each entity, then `silver`, `gold` (the layers with models).
    pub columns: Vec<String>,
    /// Worst first, then by name.
    pub companies: Vec<CompanyRow>,
    /// Companies per state.
    pub counts: BTreeMap<String, usize>,
}

impl Matrix {
    /// The exit code: 0 all ok, 1 a warning, 2 an error, a failed or cancelled extraction.
    pub fn exit_code(&self) -> i32 {
        match self.companies.iter().map(|c| c.status).max() {
            Some(Status::Error | Status::Failed | Status::Cancelled) => 2,
            Some(Status::Warn) => 1,
            _ => 0,
        }
    }
}

/// The column a freshness row belongs to.
fn column_of(row: &Row) -> String {
    if row.layer == "bronze" {
        format!("bronze.{}", row.entity)
    } else {
        row.layer.clone()
    }
}

/// `93784` → `1d`: one unit, for a cell of a few characters.
pub fn short_age(seconds: i64) -> String {
    match seconds {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn cell(rows: &[&Row]) -> Cell {
    let worst = rows
        .iter()
        .max_by_key(|r| (r.status, r.age_seconds.is_none(), r.age_seconds))
        .expect("a cell stands for at least one row");
    let age = if rows.iter().any(|r| r.age_seconds.is_none()) {
        None
    } else {
        rows.iter().filter_map(|r| r.age_seconds).max()
    };
    let text = match (worst.status, worst.age_seconds) {
        (Status::Ok, _) => "ok".to_string(),
        (Status::Warn, Some(a)) => format!("warn {}", short_age(a)),
        (Status::Warn, None) => "warn".into(),
        (Status::Error, Some(a)) => format!("ERR {}", short_age(a)),
        (Status::Error, None) => "never".into(),
        (Status::Failed, _) => "FAIL".into(),
        (Status::Cancelled, _) => "cancl".into(),
    };
    let reason = match (&worst.last_attempt, worst.status) {
        (_, Status::Ok) => None,
        (Some(a), _) => Some(a.error.clone().unwrap_or_else(|| a.status.clone())),
        (None, _) => (!worst.note.is_empty()).then(|| worst.note.clone()),
    };
    let mut tables: Vec<String> = rows.iter().map(|r| r.table.clone()).collect();
    tables.dedup();
    Cell {
        status: worst.status,
        text,
        age_seconds: age,
        tables,
        reason,
    }
}

/// The `tests` cell of each company from the data tests' latest verdicts (test, company,
/// status): the worst of them; a test of a table without a company column (`*`) counts for
/// every company.
pub fn test_cells(latest: &[Verdict], companies: &[String]) -> BTreeMap<String, Cell> {
    let mut out = BTreeMap::new();
    for company in companies {
        let mine: Vec<&Verdict> = latest
            .iter()
            .filter(|v| &v.company == company || v.company == "*")
            .collect();
        let Some(worst) = mine.iter().map(|v| v.status).max() else {
            continue;
        };
        let (status, text) = match worst {
            TestStatus::Pass => (Status::Ok, "ok".to_string()),
            TestStatus::Warn => (Status::Warn, "warn".into()),
            TestStatus::Fail => (Status::Failed, "FAIL".into()),
            TestStatus::Error => (Status::Error, "ERR".into()),
        };
        let failing: Vec<String> = mine
            .iter()
            .filter(|v| v.status != TestStatus::Pass)
            .map(|v| format!("{} {}", v.test, v.status.as_str()))
            .collect();
        out.insert(
            company.clone(),
            Cell {
                status,
                text,
                age_seconds: None,
                tables: Vec::new(),
                reason: (!failing.is_empty()).then(|| failing.join(", ")),
            },
        );
    }
    out
}

/// The matrix of freshness `rows` (as `freshness::report` gives them), with a `tests`
/// column when data tests have run.
/// The `tests` column of every company of the workspace: each one's latest test verdicts.
pub fn workspace_tests(
    ws: &crate::config::Workspace,
    conn: &duckdb::Connection,
) -> crate::error::Result<BTreeMap<String, Cell>> {
    let latest = crate::checks::record::latest(conn)?;
    let companies: Vec<String> = ws.config.companies.keys().cloned().collect();
    Ok(test_cells(&latest, &companies))
}

pub fn matrix_with_tests(rows: &[Row], tests: &BTreeMap<String, Cell>) -> Matrix {
    let mut m = matrix(rows);
    if tests.is_empty() {
        return m;
    }
    m.columns.push("tests".into());
    for c in &mut m.companies {
        let cell = tests.get(&c.company).cloned();
        if let Some(cell) = &cell {
            c.status = c.status.max(cell.status);
        }
        c.cells.push(cell);
    }
    sort_and_count(&mut m);
    m
}

fn sort_and_count(m: &mut Matrix) {
    m.companies
        .sort_by(|a, b| b.status.cmp(&a.status).then(a.company.cmp(&b.company)));
    m.counts.clear();
    for c in &m.companies {
        *m.counts.entry(c.status.as_str().to_string()).or_insert(0) += 1;
    }
}

/// The matrix of freshness `rows` (as `freshness::report` gives them).
pub fn matrix(rows: &[Row]) -> Matrix {
    let mut columns: Vec<String> = Vec::new();
    for r in rows {
        let c = column_of(r);
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    // Bronze first (entity order), then the layers in pipeline order.
    let rank = |c: &String| match c.as_str() {
        "silver" => 1,
        "gold" => 2,
        c if c.starts_with("bronze.") => 0,
        _ => 3,
    };
    // Bronze by entity name, whatever order the rows came in (the workbench lists
    // problems first).
    columns.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let mut by_company: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_company.entry(&r.company).or_default().push(r);
    }
    let companies: Vec<CompanyRow> = by_company
        .into_iter()
        .map(|(company, rows)| {
            let cells: Vec<Option<Cell>> = columns
                .iter()
                .map(|c| {
                    let mine: Vec<&Row> = rows
                        .iter()
                        .copied()
                        .filter(|r| column_of(r) == *c)
                        .collect();
                    (!mine.is_empty()).then(|| cell(&mine))
                })
                .collect();
            let status = cells
                .iter()
                .flatten()
                .map(|c| c.status)
                .max()
                .unwrap_or(Status::Ok);
            CompanyRow {
                company: company.to_string(),
                status,
                cells,
            }
        })
        .collect();
    let mut m = Matrix {
        schema_version: SCHEMA_VERSION,
        columns,
        companies,
        counts: BTreeMap::new(),
    };
    sort_and_count(&mut m);
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::freshness::Attempt;

    fn row(company: &str, entity: &str, layer: &str, status: Status, age: Option<i64>) -> Row {
        Row {
            company: company.into(),
            entity: entity.into(),
            layer: layer.into(),
            table: if layer == "bronze" {
                format!("bronze.{entity}")
            } else {
                format!("{layer}.m")
            },
            loaded_at: None,
            age_seconds: age,
            rows: Some(1),
            status,
            note: if age.is_none() {
                "never extracted".into()
            } else {
                String::new()
            },
            last_attempt: None,
        }
    }

    #[test]
    fn companies_with_problems_come_first_with_short_cells() {
        let mut failed = row("b", "invoices", "bronze", Status::Failed, Some(600));
        failed.last_attempt = Some(Attempt {
            status: "failed".into(),
            at: chrono::NaiveDateTime::default(),
            error: Some("line 3: 2 fields".into()),
        });
        let rows = vec![
            row("a", "invoices", "bronze", Status::Ok, Some(60)),
            row("a", "customers", "bronze", Status::Ok, Some(60)),
            row("a", "invoices", "gold", Status::Ok, Some(60)),
            row("a", "customers", "gold", Status::Warn, Some(2 * 86_400)),
            failed,
            row("b", "customers", "bronze", Status::Error, None),
            row("b", "invoices", "gold", Status::Ok, Some(600)),
            row("c", "invoices", "bronze", Status::Ok, Some(1)),
            row("c", "customers", "bronze", Status::Ok, Some(1)),
        ];
        let m = matrix(&rows);
        assert_eq!(
            m.columns,
            vec!["bronze.customers", "bronze.invoices", "gold"]
        );
        let order: Vec<&str> = m.companies.iter().map(|c| c.company.as_str()).collect();
        assert_eq!(order, vec!["b", "a", "c"]);
        let texts = |i: usize| -> Vec<String> {
            m.companies[i]
                .cells
                .iter()
                .map(|c| c.as_ref().map_or("—".into(), |c| c.text.clone()))
                .collect()
        };
        assert_eq!(texts(0), vec!["never", "FAIL", "ok"]);
        assert_eq!(texts(1), vec!["ok", "ok", "warn 2d"]);
        assert_eq!(texts(2), vec!["ok", "ok", "—"]);
        let fail = m.companies[0].cells[1].as_ref().unwrap();
        assert_eq!(fail.reason.as_deref(), Some("line 3: 2 fields"));
        assert_eq!(m.exit_code(), 2);
        assert_eq!(m.counts.get("failed"), Some(&1));
        assert_eq!(short_age(59), "0m");
        assert_eq!(short_age(7200), "2h");
    }
}
