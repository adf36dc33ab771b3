//! Bronze in ClickHouse. Each layer is a database on the server: `bronze` when the warehouse's
//! `database` is `default`, `<database>_bronze` otherwise (several workspaces can share a
//! server). A run's rows, staged in the DuckDB cache, are streamed into the MergeTree table
//! `<bronze>.<entity>__data` (ordered by company and run); the view `<bronze>.<entity>` shows
//! each company's current run, read from the pointer table `<database>.assay_current`, so
//! switching versions is one small INSERT, and retention is a DELETE mutation of the runs
//! the cache no longer keeps.

use duckdb::Connection;

use super::clickhouse::ClickHouse;
use super::layer_database;
use super::tables::{self, Engine, Name, Placement};
use crate::dialect::Dialect;
use crate::drift::ColumnDef;
use crate::error::{Error, Result};
use crate::sql::{ident, literal};

/// Written for ClickHouse.
const CH: Dialect = Dialect::ClickHouse;

/// The ClickHouse type holding a DuckDB column (Nullable unless it orders the table).
pub fn clickhouse_type(duck: &str) -> String {
    let t = duck.to_ascii_uppercase();
    let base = match t.as_str() {
        "BOOLEAN" => "UInt8".to_string(),
        "TINYINT" => "Int8".into(),
        "SMALLINT" => "Int16".into(),
        "INTEGER" => "Int32".into(),
        "BIGINT" | "HUGEINT" => "Int64".into(),
        "UTINYINT" => "UInt8".into(),
        "USMALLINT" => "UInt16".into(),
        "UINTEGER" => "UInt32".into(),
        "UBIGINT" => "UInt64".into(),
        "FLOAT" | "REAL" => "Float32".into(),
        "DOUBLE" => "Float64".into(),
        "DATE" => "Date".into(),
        d if d.starts_with("TIMESTAMP") => "DateTime".into(),
        d if d.starts_with("DECIMAL") => d.replace("DECIMAL", "Decimal"),
        _ => "String".into(),
    };
    format!("Nullable({base})")
}

/// A DuckDB column as written to a CSV ClickHouse loads: the text forms 18.16 parses
/// (whole-second times, 0/1 booleans), under the column's own name. The name matters:
/// 18.16 skips a CSV header, but current ClickHouse matches it to the columns by name, and
/// a column it cannot name is loaded as NULL (or 1970, where not Nullable).
pub(super) fn export(name: &str, duck_type: &str) -> String {
    let t = duck_type.to_ascii_uppercase();
    let column = ident(name);
    if t.starts_with("TIMESTAMP") {
        format!("strftime({column}, '%Y-%m-%d %H:%M:%S') AS {column}")
    } else if t == "BOOLEAN" {
        format!("CAST({column} AS INTEGER) AS {column}")
    } else {
        column
    }
}

/// `<bronze>.<name>`, quoted.
fn bronze_table(ch: &ClickHouse, name: &str) -> String {
    format!(
        "{}.{}",
        CH.ident(&layer_database(ch, "bronze")),
        CH.ident(name)
    )
}

/// The pointer table of current runs, in the warehouse's own database. Kept whole on every
/// server of a cluster: the view's subquery reads it on the shard it runs on.
fn current_table(ch: &ClickHouse) -> String {
    format!("{}.assay_current", CH.ident(ch.database()))
}

/// Make sure the bronze database, the entity's table (with every column of this run) and
/// the pointer table exist. On a cluster the entity's rows are sharded by company.
fn ensure_tables(ch: &ClickHouse, entity: &str, columns: &[ColumnDef]) -> Result<()> {
    let db = layer_database(ch, "bronze");
    tables::create_database(ch, &db)?;
    tables::create(
        ch,
        Name {
            db: ch.database(),
            table: "assay_current",
        },
        &[
            ("entity".into(), "String".into()),
            ("company".into(), "String".into()),
            ("run_id".into(), "Int64".into()),
            ("switched".into(), "DateTime".into()),
        ],
        Engine::ReplacingMergeTree {
            version: "switched",
            order_by: &["entity", "company"],
        },
        Placement::Everywhere,
    )?;
    let data_name = format!("{entity}__data");
    let data = Name {
        db: &db,
        table: &data_name,
    };
    let mut defs: Vec<(String, String)> = columns
        .iter()
        .map(|c| (c.name.clone(), clickhouse_type(&c.type_)))
        .collect();
    for (name, ty) in [
        ("_company", "String"),
        ("_run_id", "Int64"),
        ("_loaded_at", "DateTime"),
        ("_source", "String"),
    ] {
        defs.push((name.into(), ty.into()));
    }
    tables::create(
        ch,
        data,
        &defs,
        Engine::MergeTree {
            order_by: &["_company", "_run_id"],
        },
        Placement::Sharded {
            by: Some("_company"),
        },
    )?;
    // Columns a source added since the table was made (drift merges them).
    let (existing, _) = ch.query(&format!(
        "SELECT name FROM system.columns WHERE database = {} AND table = {}",
        CH.literal(&db),
        CH.literal(&data_name)
    ))?;
    let have: Vec<String> = crate::frame::to_text_rows(&existing)
        .into_iter()
        .skip(1)
        .filter_map(|r| r.into_iter().next())
        .collect();
    let mut added = false;
    for c in columns.iter().filter(|c| !have.contains(&c.name)) {
        tables::add_column(ch, data, &c.name, &clickhouse_type(&c.type_))?;
        added = true;
    }
    // A view's `*` is expanded when it is created: after new columns, make it again.
    if added && !have.is_empty() {
        tables::on_every_server(
            ch,
            &format!("DROP TABLE IF EXISTS {}", bronze_table(ch, entity)),
        )?;
    }
    tables::on_every_server(
        ch,
        &format!(
            "CREATE VIEW IF NOT EXISTS {} AS SELECT * FROM {} WHERE (`_company`, `_run_id`) IN \
             (SELECT company, run_id FROM {} FINAL WHERE entity = {})",
            bronze_table(ch, entity),
            data.sql(),
            current_table(ch),
            CH.literal(entity)
        ),
    )
}

/// Stream run `run_id`'s rows from the cache's `bronze.<entity>__data` into ClickHouse.
/// Returns the rows ClickHouse holds for the run afterwards.
pub fn publish_run(
    ch: &ClickHouse,
    conn: &Connection,
    entity: &str,
    columns: &[ColumnDef],
    run_id: i64,
    staging: &std::path::Path,
) -> Result<i64> {
    ensure_tables(ch, entity, columns)?;
    let data = bronze_table(ch, &format!("{entity}__data"));
    let count = |ch: &ClickHouse| -> Result<i64> {
        let (n, _) = ch.query_number(&format!(
            "SELECT count() FROM {data} WHERE `_run_id` = {run_id}"
        ))?;
        Ok(n)
    };
    // A retry of the same run must not double its rows: remove what an earlier attempt left
    // (a mutation, which ClickHouse applies in the background: wait for it).
    if count(ch)? > 0 {
        delete_runs(ch, entity, &format!("`_run_id` = {run_id}"))?;
        let start = std::time::Instant::now();
        while count(ch)? > 0 {
            if start.elapsed() > std::time::Duration::from_secs(60) {
                return Err(Error::Runtime(format!(
                    "ClickHouse still holds rows of an earlier attempt at run {run_id} in {data}"
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let mut names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let mut list: Vec<String> = columns.iter().map(|c| export(&c.name, &c.type_)).collect();
    for (name, ty) in [
        ("_company", "VARCHAR"),
        ("_run_id", "BIGINT"),
        ("_loaded_at", "TIMESTAMP"),
        ("_source", "VARCHAR"),
    ] {
        names.push(name.to_string());
        list.push(export(name, ty));
    }
    let file = staging.join(format!("clickhouse-{entity}-{run_id}.csv"));
    conn.execute_batch(&format!(
        "COPY (SELECT {} FROM bronze.{} WHERE _run_id = {run_id}) TO {} (HEADER, DELIMITER ',', NULLSTR '\\N')",
        list.join(", "),
        ident(&format!("{entity}__data")),
        literal(&file.to_string_lossy())
    ))?;
    let target = format!("{}.{entity}__data", layer_database(ch, "bronze"));
    let loaded = ch.load_csv_into(&target, &names, &file);
    let _ = std::fs::remove_file(&file);
    loaded?;
    count(ch)
}

/// Point `bronze.<entity>` at `run_id` for `company`.
pub fn switch(ch: &ClickHouse, entity: &str, company: &str, run_id: i64) -> Result<()> {
    tables::on_every_server(
        ch,
        &format!(
            "INSERT INTO {} VALUES ({}, {}, {run_id}, now())",
            current_table(ch),
            CH.literal(entity),
            CH.literal(company)
        ),
    )
}

/// Remove the company's runs the cache no longer keeps (`kept`: its retained run ids).
pub fn prune(ch: &ClickHouse, entity: &str, company: &str, kept: &[i64]) -> Result<()> {
    let list = if kept.is_empty() {
        "-1".to_string()
    } else {
        kept.iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    delete_runs(
        ch,
        entity,
        &format!(
            "`_company` = {} AND `_run_id` NOT IN ({list})",
            CH.literal(company)
        ),
    )
}

/// Delete the rows of `<bronze>.<entity>__data` where `condition` holds (a mutation).
fn delete_runs(ch: &ClickHouse, entity: &str, condition: &str) -> Result<()> {
    let bronze = layer_database(ch, "bronze");
    let table = format!("{entity}__data");
    tables::delete_where(
        ch,
        Name {
            db: &bronze,
            table: &table,
        },
        condition,
    )
}
