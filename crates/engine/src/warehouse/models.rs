//! A model built in ClickHouse: its SELECT made into a new table that then replaces the
//! old one by RENAME, so readers never see a half-built table and a failed build leaves
//! the old one. On a cluster the new rows are written through a Distributed table onto
//! the shards (by company), and each server swaps its tables.

use super::clickhouse::ClickHouse;
use super::tables::{self, Engine, Name, Placement};
use crate::dialect::Dialect;
use crate::error::Result;

const CH: Dialect = Dialect::ClickHouse;

/// What a build made: rows, columns (name, type), rows per company when the table has a
/// company column.
pub struct Built {
    pub rows: i64,
    pub columns: Vec<(String, String)>,
    pub per_company: Option<Vec<(String, i64)>>,
}

/// Build `select` (ClickHouse SQL over the layer databases) into `db`.`name`.
pub fn build(ch: &ClickHouse, db: &str, name: &str, select: &str) -> Result<Built> {
    let building_name = format!("{name}__building");
    let building = Name {
        db,
        table: &building_name,
    };
    tables::create_database(ch, db)?;
    tables::drop(ch, building)?;
    let built = (|| -> Result<Built> {
        match ch.cluster() {
            None => ch.execute(&format!(
                "CREATE TABLE {} ENGINE = MergeTree ORDER BY tuple() AS\n{select}",
                building.sql()
            ))?,
            Some(_) => fill_on_shards(ch, building, select)?,
        }
        let built = inspect(ch, &building.sql())?;
        swap(ch, Name { db, table: name }, building)?;
        Ok(built)
    })();
    if built.is_err() {
        // A half-built table must not outlive the failure (nor be mistaken for a model).
        let _ = tables::drop(ch, building);
    }
    built
}

/// The shards' tables of `building` and a Distributed table over them, filled by the
/// SELECT; the company column (if any) decides each row's shard.
fn fill_on_shards(ch: &ClickHouse, building: Name, select: &str) -> Result<()> {
    let columns = ch.describe_select(select)?;
    let by = crate::drift::company_column(&columns);
    tables::create(
        ch,
        building,
        &columns,
        Engine::MergeTree { order_by: &[] },
        Placement::Sharded { by },
    )?;
    ch.execute(&format!("INSERT INTO {}\n{select}", building.sql()))
}

/// Rows, columns and rows per company of the built table.
fn inspect(ch: &ClickHouse, relation: &str) -> Result<Built> {
    let (rows, _) = ch.query_number(&format!("SELECT count() FROM {relation}"))?;
    let columns = ch.result_columns(&format!("SELECT * FROM {relation} LIMIT 0"))?;
    let per_company = match crate::drift::company_column(&columns) {
        Some(c) => Some(company_rows(ch, relation, c)?),
        None => None,
    };
    Ok(Built {
        rows,
        columns,
        per_company,
    })
}

fn company_rows(ch: &ClickHouse, relation: &str, column: &str) -> Result<Vec<(String, i64)>> {
    let (frame, _) = ch.query_readonly(&format!(
        "SELECT toString({c}) AS company, count() AS n FROM {relation} WHERE isNotNull({c}) \
         GROUP BY company",
        c = CH.ident(column)
    ))?;
    Ok(crate::frame::to_cells(&frame)
        .into_iter()
        .filter_map(|r| {
            let company = r.first()?.clone()?;
            let n = r.get(1)?.as_deref()?.parse().ok()?;
            Some((company, n))
        })
        .collect())
}

/// `building` becomes `target` on every server. On a cluster the shards' tables swap; the
/// Distributed table over them is left as it is when its columns are still the table's,
/// else made again. (Not made aside and renamed in: 18.16 leaves a renamed Distributed
/// table's folder under its first name, and the database can then never be dropped.)
fn swap(ch: &ClickHouse, target: Name, building: Name) -> Result<()> {
    if ch.cluster().is_none() {
        return replace(ch, target, building);
    }
    let db = tables::shard_database(target.db);
    let shard_target = Name {
        db: &db,
        table: target.table,
    };
    let shard_building = Name {
        db: &db,
        table: building.table,
    };
    let columns = ch.describe(&format!("{db}.{}", building.table))?;
    // Sharded as the rows were: by the company column the new table has.
    let engine = tables::distributed(ch, target, crate::drift::company_column(&columns));
    for server in ch.servers() {
        replace(&server, shard_target, shard_building)?;
        server.execute(&format!("DROP TABLE IF EXISTS {}", building.sql()))?;
        let current = server.describe(&format!("{}.{}", target.db, target.table));
        if current.ok().as_ref() != Some(&columns) {
            server.execute(&format!("DROP TABLE IF EXISTS {}", target.sql()))?;
            server.execute(&format!(
                "CREATE TABLE {} AS {} ENGINE = {engine}",
                target.sql(),
                shard_target.sql()
            ))?;
        }
    }
    Ok(())
}

/// On one server: `with` is renamed to `target`, the old `target` (if any) dropped.
fn replace(server: &ClickHouse, target: Name, with: Name) -> Result<()> {
    let (exists, _) = server.query_number(&format!(
        "SELECT count() FROM system.tables WHERE database = {} AND name = {}",
        CH.literal(target.db),
        CH.literal(target.table)
    ))?;
    if exists == 1 {
        let old_name = format!("{}__old", target.table);
        let old = Name {
            db: target.db,
            table: &old_name,
        };
        server.execute(&format!("DROP TABLE IF EXISTS {}", old.sql()))?;
        server.execute(&format!(
            "RENAME TABLE {} TO {}, {} TO {}",
            target.sql(),
            old.sql(),
            with.sql(),
            target.sql()
        ))?;
        server.execute(&format!("DROP TABLE {}", old.sql()))
    } else {
        server.execute(&format!("RENAME TABLE {} TO {}", with.sql(), target.sql()))
    }
}
