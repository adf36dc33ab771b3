//! Data tests (`[tests.*]` in assay.toml): each asserts something of every row of a layer
//! table, or of its row count, per company, evaluated where the table lives (the cache, or
//! ClickHouse: only counts and up to five failing rows per company travel).

pub mod failing;
pub mod record;

use std::collections::BTreeMap;

use duckdb::Connection;
use serde::Serialize;

use crate::config::{DataTest, Severity, TestKind, Workspace};
use crate::error::{Error, Result};
use crate::frame::to_cells;
use crate::warehouse::browse::{tables, Browser, TableInfo};
use crate::warehouse::ClickHouse;
use failing::{failing_sql, Target, COMPANY};

/// Failing rows kept per company and test.
pub const SAMPLE_ROWS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Pass,
    Warn,
    Fail,
    /// The test could not run (a missing table or column, a bad predicate).
    Error,
}

impl TestStatus {
    /// The status as the catalog writes it.
    pub fn parse(text: &str) -> Option<TestStatus> {
        [
            TestStatus::Pass,
            TestStatus::Warn,
            TestStatus::Fail,
            TestStatus::Error,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Pass => "pass",
            TestStatus::Warn => "warn",
            TestStatus::Fail => "fail",
            TestStatus::Error => "error",
        }
    }
}

/// One test's verdict for one company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub test: String,
    pub kind: String,
    pub table: String,
    pub company: String,
    /// The columns the test is about (first in a failing row, for people).
    pub columns: Vec<String>,
    pub severity: Severity,
    pub status: TestStatus,
    /// Failing rows (unique: duplicated key sets; row_count: the rows counted).
    pub failing: i64,
    /// Up to `SAMPLE_ROWS` failing rows, column → value as text.
    pub samples: Vec<BTreeMap<String, Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// 0 every test passed, 1 a warning, 2 a failure, 3 a test that could not run.
pub fn exit_code(outcomes: &[Outcome]) -> i32 {
    match outcomes.iter().map(|o| o.status).max() {
        Some(TestStatus::Error) => 3,
        Some(TestStatus::Fail) => 2,
        Some(TestStatus::Warn) => 1,
        _ => 0,
    }
}

/// Run the tests named in `select` (all when empty; a name or a table) for `companies`
/// (all when empty).
/// Failing rows are printed and kept in the catalog: `policy` masks their personal values.
pub fn run(
    ws: &Workspace,
    (conn, warehouse): (&Connection, Option<&ClickHouse>),
    policy: &crate::pii::Policy,
    select: &[String],
    companies: &[String],
) -> Result<Vec<Outcome>> {
    for s in select {
        if !ws.config.tests.iter().any(|(n, t)| n == s || &t.table == s) {
            return Err(Error::Usage(format!(
                "--select {s}: no test of that name or table (tests: {})",
                ws.config
                    .tests
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let companies: Vec<String> = if companies.is_empty() {
        ws.config.companies.keys().cloned().collect()
    } else {
        companies.to_vec()
    };
    let known: BTreeMap<String, TableInfo> = tables(conn, warehouse)?
        .into_iter()
        .map(|t| (t.label(), t))
        .collect();
    let mut out = Vec::new();
    for (name, test) in &ws.config.tests {
        if !select.is_empty() && !select.iter().any(|s| s == name || s == &test.table) {
            continue;
        }
        let one = One {
            name,
            test,
            conn,
            warehouse,
            known: &known,
            shown: policy.of_table(&test.table),
        };
        match one.evaluate(&companies) {
            Ok(outcomes) => out.extend(outcomes),
            Err(e) => out.extend(
                companies
                    .iter()
                    .map(|c| one.outcome(c, TestStatus::Error, 0, Some(e.to_string()))),
            ),
        }
    }
    Ok(out)
}

/// One test being evaluated.
struct One<'a> {
    name: &'a str,
    test: &'a DataTest,
    conn: &'a Connection,
    warehouse: Option<&'a ClickHouse>,
    known: &'a BTreeMap<String, TableInfo>,
    /// How the tested table's values may be shown (its samples).
    shown: crate::pii::Shown,
}

impl One<'_> {
    fn outcome(
        &self,
        company: &str,
        status: TestStatus,
        failing: i64,
        error: Option<String>,
    ) -> Outcome {
        Outcome {
            test: self.name.to_string(),
            kind: self.test.kind.as_str().to_string(),
            table: self.test.table.clone(),
            company: company.to_string(),
            columns: self.test.columns.clone(),
            severity: self.test.severity,
            status,
            failing,
            samples: Vec::new(),
            error,
        }
    }

    fn info(&self, label: &str) -> Result<&TableInfo> {
        self.known.get(label).ok_or_else(|| {
            Error::Runtime(format!(
                "tests.{}: table {label} does not exist (built yet?)",
                self.name
            ))
        })
    }

    fn evaluate(&self, companies: &[String]) -> Result<Vec<Outcome>> {
        let info = self.info(&self.test.table)?;
        let table = info.table();
        let browser = Browser::for_table(&table, self.conn, self.warehouse);
        let to_sql = match &self.test.to {
            Some(to) => Some(self.info(to)?.table().sql),
            None => None,
        };
        let columns = self.columns(browser, &table.sql)?;
        let company = ["company", "_company"]
            .iter()
            .find_map(|c| columns.iter().find(|x| x.eq_ignore_ascii_case(c)))
            .cloned();
        let target = Target {
            dialect: table.dialect,
            table: &table.sql,
            to: to_sql.as_deref(),
            company: company.as_deref(),
        };
        // pii_absent: a listed column the table no longer has is what the test hopes for.
        let present;
        let test = match self.test.kind {
            TestKind::PiiAbsent => {
                present = DataTest {
                    columns: self
                        .test
                        .columns
                        .iter()
                        .filter(|c| columns.iter().any(|n| n.eq_ignore_ascii_case(c)))
                        .cloned()
                        .collect(),
                    ..self.test.clone()
                };
                &present
            }
            _ => self.test,
        };
        let sql = failing_sql(test, &target)?;
        let context = |e: Error| e.context(format!("tests.{}", self.name));
        let counts = self.counts(browser, table.dialect, &sql).map_err(context)?;
        let wanted: Vec<String> = match company {
            Some(_) => companies.to_vec(),
            None => vec!["*".into()],
        };
        let mut out = Vec::new();
        for c in &wanted {
            let n = counts.get(c).copied().unwrap_or(0);
            let mut o = self.outcome(c, self.verdict(n), n, None);
            if o.status != TestStatus::Pass && self.test.kind != TestKind::RowCount {
                o.samples = self
                    .samples(browser, &sql, table.dialect, c)
                    .map_err(context)?;
            }
            out.push(o);
        }
        Ok(out)
    }

    /// The table's column names, every configured one checked to be there.
    fn columns(&self, browser: Browser, table: &str) -> Result<Vec<String>> {
        let frame = browser.frame(&format!("SELECT * FROM {table} LIMIT 0"))?;
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let dropped_is_fine = self.test.kind == TestKind::PiiAbsent;
        for c in &self.test.columns {
            if !dropped_is_fine && !names.iter().any(|n| n == c) {
                return Err(Error::Usage(format!(
                    "tests.{}.columns: `{c}` is not a column of {} (it has: {})",
                    self.name,
                    self.test.table,
                    names.join(", ")
                )));
            }
        }
        Ok(names)
    }

    /// Per company: the failing rows (row_count: the rows).
    fn counts(
        &self,
        browser: Browser,
        d: crate::dialect::Dialect,
        failing: &str,
    ) -> Result<BTreeMap<String, i64>> {
        let count = if self.test.kind == TestKind::RowCount {
            format!("sum({})", d.ident("rows"))
        } else {
            "count(*)".to_string()
        };
        let sql = format!(
            "SELECT {c}, {} FROM ({failing}) AS f GROUP BY {c}",
            d.text(&count),
            c = d.ident(COMPANY)
        );
        let mut out = BTreeMap::new();
        for row in to_cells(&browser.frame(&sql)?) {
            let company = row.first().cloned().flatten().unwrap_or_default();
            let text = row.get(1).cloned().flatten().unwrap_or_else(|| "0".into());
            let n: i64 = text.parse().map_err(|_| {
                Error::Runtime(format!(
                    "tests.{}: a count came back as `{text}`",
                    self.name
                ))
            })?;
            out.insert(company, n);
        }
        Ok(out)
    }

    fn verdict(&self, n: i64) -> TestStatus {
        let failed = match self.test.kind {
            TestKind::RowCount => {
                self.test.min.is_some_and(|m| n < m) || self.test.max.is_some_and(|m| n > m)
            }
            _ => n > 0,
        };
        match (failed, self.test.severity) {
            (false, _) => TestStatus::Pass,
            (true, Severity::Warn) => TestStatus::Warn,
            (true, Severity::Error) => TestStatus::Fail,
        }
    }

    fn samples(
        &self,
        browser: Browser,
        failing: &str,
        d: crate::dialect::Dialect,
        company: &str,
    ) -> Result<Vec<BTreeMap<String, Option<String>>>> {
        let sql = format!(
            "SELECT * FROM ({failing}) AS f WHERE {} = {} LIMIT {SAMPLE_ROWS}",
            d.ident(COMPANY),
            d.literal(company)
        );
        let frame = browser.frame(&sql)?;
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .filter(|n| n != COMPANY)
            .collect();
        // A unique test's columns come back as c0, c1…: masked as the columns they are.
        let real: Vec<String> = std::iter::once(COMPANY.to_string())
            .chain(names.iter().map(|n| {
                n.strip_prefix('c')
                    .and_then(|i| i.parse::<usize>().ok())
                    .filter(|_| self.test.kind == TestKind::Unique)
                    .and_then(|i| self.test.columns.get(i).cloned())
                    .unwrap_or_else(|| n.clone())
            }))
            .collect();
        let mut cells = to_cells(&frame);
        self.shown.cells(&real, &mut cells);
        Ok(cells
            .into_iter()
            .map(|row| names.iter().cloned().zip(row.into_iter().skip(1)).collect())
            .collect())
    }
}
