//! Versioned bronze tables. Every run appends its rows to `<entity>__data` tagged with its
//! run id; the view `<entity>` shows, per company, only the run marked current in
//! `assay.table_versions`. The switch to a new version is one small transaction, so a
//! failed or killed run never changes what readers see.

use chrono::NaiveDateTime;
use duckdb::{params, Connection};

use crate::error::Result;
use crate::sql::{ident, literal};

pub const LAYER: &str = "bronze";

pub fn data_table(entity: &str) -> String {
    format!("{}.{}", ident(LAYER), ident(&format!("{entity}__data")))
}

pub fn view(entity: &str) -> String {
    format!("{}.{}", ident(LAYER), ident(entity))
}

/// (Re)create the view of `entity` over the versions picked by `which`: a condition on
/// `assay.table_versions` rows, grouped per company to the newest run that meets it.
fn point_view(conn: &Connection, entity: &str, which: &str) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE OR REPLACE VIEW {view} AS SELECT d.* FROM {data} AS d SEMI JOIN \
           (SELECT company, max(run_id) AS run_id FROM assay.table_versions \
            WHERE layer = {layer} AND table_name = {name} AND {which} GROUP BY company) AS v \
         ON d._company = v.company AND d._run_id = v.run_id",
        view = view(entity),
        data = data_table(entity),
        layer = literal(LAYER),
        name = literal(entity),
    ))?;
    Ok(())
}

/// (Re)create the view of current versions.
pub fn create_view(conn: &Connection, entity: &str) -> Result<()> {
    point_view(conn, entity, "is_current")
}

/// Point every bronze view at the versions that were current when run `run_id` finished
/// (the newest retained version per company at or before it). Meant for a transaction that
/// is rolled back: `assay sql --as-of RUN` reads the past without changing the cache.
pub fn point_views_as_of(conn: &Connection, run_id: i64) -> Result<usize> {
    // A run that never was would read as "everything up to now": the current rows, under
    // a flag that promised the past.
    let (known, newest): (i64, Option<i64>) = conn.query_row(
        "SELECT count(*) FILTER (WHERE id = ?), max(id) FROM assay.runs",
        params![run_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if known == 0 {
        return Err(crate::error::Error::Usage(format!(
            "--as-of {run_id}: the cache has no run {run_id} ({}; `assay runs` lists them)",
            newest.map_or("it has no runs yet".to_string(), |n| format!(
                "runs go up to {n}"
            ))
        )));
    }
    let entities: Vec<String> = {
        let mut stmt = conn.prepare(
            "SELECT DISTINCT table_name FROM assay.table_versions WHERE layer = ? ORDER BY 1",
        )?;
        let rows = stmt.query_map(params![LAYER], |r| r.get::<_, String>(0))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    for entity in &entities {
        point_view(conn, entity, &format!("run_id <= {run_id}"))?;
    }
    Ok(entities.len())
}

/// Make `run_id` the current version of (entity, company) and close the run, atomically.
pub fn switch(
    conn: &Connection,
    entity: &str,
    company: &str,
    run_id: i64,
    rows: i64,
    at: NaiveDateTime,
) -> Result<()> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    let work = || -> Result<()> {
        conn.execute(
            "UPDATE assay.table_versions SET is_current = false \
             WHERE layer = ? AND table_name = ? AND company = ? AND is_current",
            params![LAYER, entity, company],
        )?;
        conn.execute(
            "INSERT INTO assay.table_versions VALUES (?, ?, ?, ?, ?, ?, true)",
            params![LAYER, entity, company, run_id, at, rows],
        )?;
        conn.execute(
            "UPDATE assay.runs SET status = 'ok', rows = ?, finished = ? WHERE id = ?",
            params![rows, at, run_id],
        )?;
        Ok(())
    };
    match work() {
        Ok(()) => {
            conn.execute_batch("COMMIT")?;
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Drop versions beyond the newest `keep` for (entity, company), rows and catalog alike.
pub fn prune(conn: &Connection, entity: &str, company: &str, keep: u32) -> Result<usize> {
    let old: Vec<i64> = {
        let mut stmt = conn.prepare(
            "SELECT run_id FROM assay.table_versions WHERE layer = ? AND table_name = ? AND company = ? \
             ORDER BY run_id DESC OFFSET ?",
        )?;
        let ids = stmt.query_map(params![LAYER, entity, company, keep as i64], |r| r.get(0))?;
        ids.collect::<Result<Vec<i64>, _>>()?
    };
    for id in &old {
        delete_run_rows(conn, entity, *id)?;
        conn.execute(
            "DELETE FROM assay.table_versions WHERE layer = ? AND table_name = ? AND company = ? AND run_id = ?",
            params![LAYER, entity, company, id],
        )?;
    }
    Ok(old.len())
}

/// The current version of (entity, company): (its run, its rows); None before a first load.
pub fn current(conn: &Connection, entity: &str, company: &str) -> Result<Option<(i64, i64)>> {
    Ok(conn
        .query_row(
            "SELECT run_id, rows FROM assay.table_versions \
             WHERE layer = ? AND table_name = ? AND company = ? AND is_current",
            params![LAYER, entity, company],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok())
}

/// The run ids the catalog keeps for (entity, company), and the current one.
pub fn kept_runs(
    conn: &Connection,
    entity: &str,
    company: &str,
) -> Result<(Vec<i64>, Option<i64>)> {
    let mut stmt = conn.prepare(
        "SELECT run_id, is_current FROM assay.table_versions WHERE layer = ? AND table_name = ? AND company = ?",
    )?;
    let rows = stmt.query_map(params![LAYER, entity, company], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?))
    })?;
    let all = rows.collect::<Result<Vec<_>, _>>()?;
    let current = all.iter().find(|(_, c)| *c).map(|(id, _)| *id);
    Ok((all.into_iter().map(|(id, _)| id).collect(), current))
}

pub fn delete_run_rows(conn: &Connection, entity: &str, run_id: i64) -> Result<()> {
    conn.execute(
        &format!("DELETE FROM {} WHERE _run_id = ?", data_table(entity)),
        params![run_id],
    )?;
    Ok(())
}

pub use crate::store::table_exists;

/// Runs left `running` by a process that died (kill -9, power loss): mark them failed and
/// remove whatever rows they had committed. Only one process can hold the cache open for
/// writing, so any run still `running` when we start is stale.
pub fn recover_stale_runs(conn: &Connection) -> Result<Vec<i64>> {
    let stale: Vec<(i64, Option<String>)> = {
        let mut stmt = conn.prepare(
            "SELECT id, entity FROM assay.runs WHERE status = 'running' AND kind = 'extract'",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    for (id, entity) in &stale {
        if let Some(entity) = entity {
            if table_exists(conn, LAYER, &format!("{entity}__data"))? {
                delete_run_rows(conn, entity, *id)?;
            }
        }
        conn.execute(
            "UPDATE assay.runs SET status = 'failed', finished = ?, \
             error = 'interrupted: the process ended before the run finished' WHERE id = ?",
            params![crate::store::utc_now(), id],
        )?;
    }
    Ok(stale.into_iter().map(|(id, _)| id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Before: `--as-of 999999` pointed every view at "run_id <= 999999", the current rows,
    /// and the command exited 0.
    #[test]
    fn a_run_that_never_was_is_refused() {
        let store = crate::store::Store::in_memory().unwrap();
        let conn = store.conn();
        let e = point_views_as_of(conn, 999_999).unwrap_err().to_string();
        assert!(
            e.contains("no run 999999") && e.contains("no runs yet"),
            "{e}"
        );
        let id = store
            .begin_run("extract", Some("acme"), Some("invoices"))
            .unwrap();
        assert_eq!(point_views_as_of(conn, id).unwrap(), 0);
        let e = point_views_as_of(conn, id + 5).unwrap_err().to_string();
        assert!(e.contains(&format!("runs go up to {id}")), "{e}");
    }
}
