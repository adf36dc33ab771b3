//! The work the workbench asks of the engine, and what comes back. Jobs run off the UI
//! thread on a lane (a DuckDB connection of its own); `execute` is the same code whether
//! the worker runs it on `spawn_blocking` or a test runs it inline.

use std::sync::Arc;

use polars::prelude::DataFrame;

use crate::browse::{self, Browser, TableInfo, View};
use crate::config::WarehouseKind;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::extract::{self, Cancel, Event, Selection};
use crate::freshness;
use crate::recon::configured;
use crate::recon::explain::{explain, Cause};
use crate::recon::report::Report;
use crate::recon::workbench::{class_matches, DrillBase, DrillRow, SideRow};
use crate::store::{utc_now, Store};
use crate::warehouse::browse as remote_browse;
use crate::warehouse::{qualify_layers, ClickHouse};

/// Each lane has its own connection; jobs on one lane run one at a time, latest-wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// Catalog, freshness, table pages and profiles.
    Browse,
    /// The comparison being worked on: its report, drill steps and rows.
    Compare,
    /// The SQL console (its temporary result view lives on this connection).
    Sql,
    /// Extraction runs.
    Extract,
}

pub const LANES: [Lane; 4] = [Lane::Browse, Lane::Compare, Lane::Sql, Lane::Extract];

#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Freshness,
    Tables,
    /// Row count and the first page of a relation under a view.
    Open {
        relation: String,
        view: View,
        limit: u64,
    },
    Page {
        lane: Lane,
        relation: String,
        view: View,
        offset: u64,
        limit: u64,
    },
    Profile {
        relation: String,
        column: Option<String>,
    },
    Extract(Selection),
    /// Report + classified join for a comparison (company None: all of its companies).
    PrepareCompare {
        name: String,
        company: Option<String>,
    },
    Explain,
    Drill {
        path: Vec<(usize, Option<String>)>,
        by: usize,
    },
    Rows {
        path: Vec<(usize, Option<String>)>,
        class: Option<String>,
        offset: u64,
        limit: u64,
    },
    Sql {
        text: String,
        limit: u64,
    },
}

impl Job {
    pub fn lane(&self) -> Lane {
        match self {
            Job::Page { lane, .. } => *lane,
            Job::Freshness | Job::Tables | Job::Open { .. } | Job::Profile { .. } => Lane::Browse,
            Job::Extract(_) => Lane::Extract,
            Job::PrepareCompare { .. } | Job::Explain | Job::Drill { .. } | Job::Rows { .. } => {
                Lane::Compare
            }
            Job::Sql { .. } => Lane::Sql,
        }
    }

    /// A newer job on the lane makes a running one of these pointless: interrupt it.
    pub fn is_superseded_by_newer(&self) -> bool {
        matches!(
            self,
            Job::Page { .. }
                | Job::Open { .. }
                | Job::Profile { .. }
                | Job::Rows { .. }
                | Job::Drill { .. }
        )
    }

    pub fn describe(&self) -> String {
        match self {
            Job::Freshness => "reading the catalog".into(),
            Job::Tables => "listing tables".into(),
            Job::Open { relation, .. } => format!("opening {relation}"),
            Job::Page { offset, .. } => format!("fetching rows from {offset}"),
            Job::Profile { relation, .. } => format!("profiling {relation}"),
            Job::Extract(_) => "extracting".into(),
            Job::PrepareCompare { name, .. } => format!("comparing {name}"),
            Job::Explain => "ranking causes".into(),
            Job::Drill { .. } => "drilling".into(),
            Job::Rows { .. } => "fetching rows".into(),
            Job::Sql { .. } => "running query".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Payload {
    Freshness(Vec<freshness::Row>),
    Tables(Vec<TableInfo>),
    Opened {
        total: i64,
        page: DataFrame,
    },
    Page {
        offset: u64,
        page: DataFrame,
    },
    Profile {
        summary: DataFrame,
        top: Option<DataFrame>,
    },
    Extracted(Vec<extract::Outcome>),
    Compared {
        report: Box<Report>,
        dimensions: Vec<String>,
        measure: String,
        rows: i64,
        /// The measure by month, when the comparison has a month dimension.
        by_month: Vec<DrillRow>,
    },
    Causes(Vec<Cause>),
    Drilled {
        rows: Vec<DrillRow>,
        classes: Vec<(String, i64)>,
    },
    Rows {
        offset: u64,
        rows: Vec<SideRow>,
        /// Rows in the class within the path the cache lists, and those it knows only as
        /// group sums; counted with the first page only.
        total: Option<i64>,
        unlisted: Option<i64>,
        columns: Vec<(String, String)>,
    },
    /// A SELECT becomes the temporary view `sql_result`, paged like a table.
    SqlRows {
        total: i64,
        page: DataFrame,
    },
    SqlDone {
        message: String,
    },
}

/// What a lane keeps between its jobs.
pub struct LaneState {
    pub store: Store,
    pub drill: Option<DrillBase>,
    /// The lane's ClickHouse client, connected on first use in a ClickHouse workspace.
    pub warehouse: Option<ClickHouse>,
}

impl LaneState {
    pub fn new(store: Store) -> LaneState {
        LaneState {
            store,
            drill: None,
            warehouse: None,
        }
    }
}

/// Rows of a ClickHouse answer the SQL console keeps (in the cache, to page).
const SQL_ROWS_CAP: u64 = 100_000;

/// The name of the SQL console's result view (on the SQL lane's connection).
pub const SQL_RESULT: &str = "sql_result";
const DRILL_TABLE: &str = "workbench_drill";

/// Run `job` on `lane`. `events` receives extraction progress as it happens.
pub fn execute(
    ws: &Workspace,
    lane: &mut LaneState,
    job: &Job,
    cancel: &Arc<Cancel>,
    events: &(dyn Fn(Event) + Sync),
) -> Result<Payload> {
    let reads_warehouse = matches!(
        job,
        Job::Tables | Job::Open { .. } | Job::Page { .. } | Job::Profile { .. } | Job::Sql { .. }
    );
    if reads_warehouse
        && ws.config.warehouse.kind == WarehouseKind::Clickhouse
        && lane.warehouse.is_none()
    {
        lane.warehouse = Some(ClickHouse::connect(&ws.config.warehouse)?);
    }
    let warehouse = lane.warehouse.as_ref();
    if let Some(ch) = warehouse {
        ch.watch(Some(cancel.clone()));
    }
    let conn = lane.store.conn();
    // A relation written for ClickHouse is browsed there (read-only).
    let browser = |relation: &str| Browser::for_relation(relation, conn, warehouse);
    match job {
        Job::Freshness => Ok(Payload::Freshness(freshness::report(ws, conn, utc_now())?)),
        Job::Tables => {
            let mut tables = browse::tables(conn)?;
            if let Some(ch) = warehouse {
                // The layers live in ClickHouse; the cache keeps the legacy exports.
                tables.retain(|t| t.schema == "legacy");
                tables.extend(remote_browse::tables(ch)?);
            }
            Ok(Payload::Tables(tables))
        }
        Job::Open {
            relation,
            view,
            limit,
        } => {
            let at = browser(relation);
            if let Some(f) = &view.filter {
                at.check_filter(relation, f)?;
            }
            let total = at.count(relation, view)?;
            let page = at.page(relation, view, 0, *limit)?;
            Ok(Payload::Opened { total, page })
        }
        Job::Page {
            relation,
            view,
            offset,
            limit,
            ..
        } => Ok(Payload::Page {
            offset: *offset,
            page: browser(relation).page(relation, view, *offset, *limit)?,
        }),
        Job::Profile { relation, column } => {
            let at = browser(relation);
            Ok(Payload::Profile {
                summary: at.profile(relation)?,
                top: column
                    .as_ref()
                    .map(|c| at.top_values(relation, c, 5))
                    .transpose()?,
            })
        }
        Job::Extract(selection) => Ok(Payload::Extracted(extract::run(
            ws,
            &lane.store,
            selection,
            cancel,
            events,
        )?)),
        Job::PrepareCompare { name, company } => {
            let only: Vec<String> = company.iter().cloned().collect();
            lane.drill = None;
            let configured::Compared {
                spec,
                report,
                agreeing_groups,
            } = configured::prepare_and_compare(
                ws,
                &lane.store,
                name,
                &only,
                Some(cancel.clone()),
            )?;
            let measure = spec
                .measures
                .first()
                .cloned()
                .ok_or_else(|| Error::Usage(format!("comparisons.{name} has no measures")))?;
            let dimensions = spec.dimensions.clone();
            let base = DrillBase::build_with_groups(
                conn,
                spec,
                &measure,
                DRILL_TABLE,
                agreeing_groups.as_deref(),
            )?;
            let by_month = match dimensions.iter().position(|d| d == "month") {
                Some(i) => {
                    let mut rows = base.drill(conn, &[], i)?;
                    rows.sort_by(|a, b| a.value.cmp(&b.value));
                    rows
                }
                None => Vec::new(),
            };
            let rows = base.rows;
            lane.drill = Some(base);
            Ok(Payload::Compared {
                report: Box::new(report),
                dimensions,
                measure,
                rows,
                by_month,
            })
        }
        Job::Explain => {
            let base = drill_base(lane)?;
            Ok(Payload::Causes(explain(
                conn,
                &base.spec,
                &base.measure,
                12,
            )?))
        }
        Job::Drill { path, by } => {
            let base = drill_base(lane)?;
            Ok(Payload::Drilled {
                rows: base.drill(conn, path, *by)?,
                classes: base.class_counts(conn, path)?,
            })
        }
        Job::Rows {
            path,
            class,
            offset,
            limit,
        } => {
            let base = drill_base(lane)?;
            // Later pages of the same view keep the counts the first one brought.
            let in_class = |counts: Vec<(String, i64)>| -> i64 {
                counts
                    .iter()
                    .filter(|(c, _)| class_matches(class.as_deref(), c))
                    .map(|(_, n)| n)
                    .sum()
            };
            let (total, unlisted) = match offset {
                0 => {
                    let listed = in_class(base.listed_counts(conn, path)?);
                    let all = if base.has_groups {
                        in_class(base.class_counts(conn, path)?)
                    } else {
                        listed
                    };
                    (Some(listed), Some(all - listed))
                }
                _ => (None, None),
            };
            Ok(Payload::Rows {
                offset: *offset,
                rows: base.rows_page(conn, path, class.as_deref(), *offset, *limit)?,
                total,
                unlisted,
                columns: base.columns.clone(),
            })
        }
        Job::Sql { text, limit } => match warehouse {
            Some(ch) => run_sql_on_warehouse(ch, conn, text, *limit),
            None => run_sql(conn, text, *limit),
        },
    }
}

fn drill_base(lane: &LaneState) -> Result<&DrillBase> {
    lane.drill
        .as_ref()
        .ok_or_else(|| Error::Usage("no comparison is open".into()))
}

/// In a ClickHouse workspace the console asks ClickHouse, read-only; the answer (up to
/// `SQL_ROWS_CAP` rows) lands in a temporary table of the cache, paged by the grid.
fn run_sql_on_warehouse(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    text: &str,
    limit: u64,
) -> Result<Payload> {
    // `gold.fct_sales` names the workspace's gold, as in the models.
    let qualified = qualify_layers(ch.database(), text);
    let (text, first) = statement(&qualified)?;
    if !matches!(first.as_str(), "SELECT" | "WITH") {
        // SHOW, DESCRIBE, EXISTS answer small; anything that writes is refused by the server.
        let (page, _) = ch.query_readonly(text)?;
        return Ok(Payload::SqlRows {
            total: page.height() as i64,
            page,
        });
    }
    let table = format!("{SQL_RESULT}_rows");
    remote_browse::query_into_cache(ch, conn, &table, text, SQL_ROWS_CAP)?;
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP VIEW {SQL_RESULT} AS SELECT * FROM {}",
        crate::sql::ident(&table)
    ))?;
    let view = View::default();
    let total = browse::count(conn, SQL_RESULT, &view)?;
    let page = browse::page(conn, SQL_RESULT, &view, 0, limit)?;
    Ok(Payload::SqlRows { total, page })
}

/// The console's text without a trailing `;`, and its first word in capitals.
fn statement(text: &str) -> Result<(&str, String)> {
    let text = text.trim().trim_end_matches(';').trim();
    if text.is_empty() {
        return Err(Error::Usage("nothing to run".into()));
    }
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    Ok((text, first))
}

/// A query becomes a temporary view paged by the grid; other statements just run.
fn run_sql(conn: &duckdb::Connection, text: &str, limit: u64) -> Result<Payload> {
    let (text, first) = statement(text)?;
    if matches!(
        first.as_str(),
        "SELECT" | "WITH" | "FROM" | "VALUES" | "TABLE"
    ) {
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP VIEW {SQL_RESULT} AS {text}"
        ))?;
        let view = View::default();
        let total = browse::count(conn, SQL_RESULT, &view)?;
        let page = browse::page(conn, SQL_RESULT, &view, 0, limit)?;
        return Ok(Payload::SqlRows { total, page });
    }
    if matches!(
        first.as_str(),
        "DESCRIBE" | "SUMMARIZE" | "SHOW" | "EXPLAIN" | "PRAGMA"
    ) {
        let page = crate::frame::query(conn, text, [])?;
        return Ok(Payload::SqlRows {
            total: page.height() as i64,
            page,
        });
    }
    let changed = conn.execute(text, [])?;
    Ok(Payload::SqlDone {
        message: format!("done ({changed} rows changed)"),
    })
}
