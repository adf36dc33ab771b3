//! The warehouse's tables, on one ClickHouse server or spread over a cluster. On a
//! cluster a sharded table is two: `<db>_shard.<name>` on every shard holds that shard's
//! rows, and `<db>.<name>` on every server is a Distributed table over them, so everything
//! that reads `<db>.<name>` (models, compare, explain, the workbench) reads all shards
//! without knowing. Small tables a query's subqueries read on the shard they run on (the
//! pointers to current runs, lookups) are kept whole on every server instead.

use super::clickhouse::ClickHouse;
use crate::dialect::Dialect;
use crate::error::Result;

const CH: Dialect = Dialect::ClickHouse;

/// A table engine assay creates.
#[derive(Debug, Clone, Copy)]
pub enum Engine<'a> {
    MergeTree {
        order_by: &'a [&'a str],
    },
    /// Keeps, per sorting key, the row with the greatest `version` (once merged; read with
    /// FINAL).
    ReplacingMergeTree {
        version: &'a str,
        order_by: &'a [&'a str],
    },
    /// For small tables written once.
    Log,
}

impl Engine<'_> {
    fn sql(&self) -> String {
        let order = |columns: &[&str]| match columns {
            [] => "tuple()".to_string(),
            cs => format!(
                "({})",
                cs.iter()
                    .map(|c| CH.ident(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        match self {
            Engine::MergeTree { order_by } => format!("MergeTree ORDER BY {}", order(order_by)),
            Engine::ReplacingMergeTree { version, order_by } => format!(
                "ReplacingMergeTree({}) ORDER BY {}",
                CH.ident(version),
                order(order_by)
            ),
            Engine::Log => "Log".into(),
        }
    }
}

/// Where a table's rows live on a cluster (on one server, there).
#[derive(Debug, Clone, Copy)]
pub enum Placement<'a> {
    /// Spread over the shards, every row of one company on one shard (by the hash of
    /// this column; evenly at random without one).
    Sharded { by: Option<&'a str> },
    /// Whole on every server.
    Everywhere,
}

/// A table: database and name, unquoted.
#[derive(Debug, Clone, Copy)]
pub struct Name<'a> {
    pub db: &'a str,
    pub table: &'a str,
}

impl Name<'_> {
    /// `db`.`table`, quoted.
    pub fn sql(&self) -> String {
        format!("{}.{}", CH.ident(self.db), CH.ident(self.table))
    }

    /// The table holding one shard's rows of this sharded one.
    fn on_shard(&self) -> String {
        format!(
            "{}.{}",
            CH.ident(&shard_database(self.db)),
            CH.ident(self.table)
        )
    }
}

/// The database of the shards' own tables under the Distributed tables of `db`.
pub fn shard_database(db: &str) -> String {
    format!("{db}_shard")
}

/// Run `sql` on every server holding the layers (one, without a cluster).
pub fn on_every_server(ch: &ClickHouse, sql: &str) -> Result<()> {
    for server in ch.servers() {
        server.execute(sql)?;
    }
    Ok(())
}

/// Create the database (on every server; on a cluster also its shard database).
pub fn create_database(ch: &ClickHouse, db: &str) -> Result<()> {
    let mut dbs = vec![db.to_string()];
    if ch.cluster().is_some() {
        dbs.push(shard_database(db));
    }
    for d in dbs {
        on_every_server(
            ch,
            &format!("CREATE DATABASE IF NOT EXISTS {}", CH.ident(&d)),
        )?;
    }
    Ok(())
}

/// The Distributed engine over the shards' `name`, sharded as `placement` says.
pub(super) fn distributed(ch: &ClickHouse, name: Name, by: Option<&str>) -> String {
    let cluster = ch.cluster().map(|c| c.name()).unwrap_or_default();
    let key = match by {
        Some(c) => format!("cityHash64(ifNull(toString({}), ''))", CH.ident(c)),
        None => "rand()".into(),
    };
    format!(
        "Distributed({}, {}, {}, {key})",
        CH.ident(cluster),
        CH.ident(&shard_database(name.db)),
        CH.ident(name.table)
    )
}

/// Create `name` with `columns` (name, ClickHouse type) unless it exists (its database made
/// by `create_database`).
pub fn create(
    ch: &ClickHouse,
    name: Name,
    columns: &[(String, String)],
    engine: Engine,
    placement: Placement,
) -> Result<()> {
    let defs: Vec<String> = columns
        .iter()
        .map(|(c, t)| format!("{} {t}", CH.ident(c)))
        .collect();
    let table = |relation: &str| {
        format!(
            "CREATE TABLE IF NOT EXISTS {relation} ({}) ENGINE = {}",
            defs.join(", "),
            engine.sql()
        )
    };
    match (ch.cluster(), placement) {
        (Some(_), Placement::Sharded { by }) => {
            on_every_server(ch, &table(&name.on_shard()))?;
            on_every_server(
                ch,
                &format!(
                    "CREATE TABLE IF NOT EXISTS {} AS {} ENGINE = {}",
                    name.sql(),
                    name.on_shard(),
                    distributed(ch, name, by)
                ),
            )
        }
        _ => on_every_server(ch, &table(&name.sql())),
    }
}

/// Add a column to `name` (and to the shards' tables under it).
pub fn add_column(ch: &ClickHouse, name: Name, column: &str, type_: &str) -> Result<()> {
    let alter = |relation: &str| {
        format!(
            "ALTER TABLE {relation} ADD COLUMN {} {type_}",
            CH.ident(column)
        )
    };
    if ch.cluster().is_some() {
        on_every_server(ch, &alter(&name.on_shard()))?;
    }
    on_every_server(ch, &alter(&name.sql()))
}

/// Delete the rows of sharded table `name` where `condition` holds: a mutation, which
/// ClickHouse applies in the background (on a cluster, on each shard's table: a
/// Distributed table takes no mutation).
pub fn delete_where(ch: &ClickHouse, name: Name, condition: &str) -> Result<()> {
    let relation = match ch.cluster() {
        Some(_) => name.on_shard(),
        None => name.sql(),
    };
    on_every_server(
        ch,
        &format!("ALTER TABLE {relation} DELETE WHERE {condition}"),
    )
}

/// Drop `name` if it exists (and the shards' table under it).
pub fn drop(ch: &ClickHouse, name: Name) -> Result<()> {
    on_every_server(ch, &format!("DROP TABLE IF EXISTS {}", name.sql()))?;
    if ch.cluster().is_some() {
        on_every_server(ch, &format!("DROP TABLE IF EXISTS {}", name.on_shard()))?;
    }
    Ok(())
}

/// Rows per table of the databases `dbs` from the servers' parts (a Distributed table
/// has none of its own: its shards' tables are counted for it): (database, table, rows).
pub fn part_rows(ch: &ClickHouse, dbs: &[String]) -> Result<Vec<(String, String, i64)>> {
    let on_shards = ch.cluster().is_some();
    let asked: Vec<String> = dbs
        .iter()
        .map(|d| match on_shards {
            true => shard_database(d),
            false => d.clone(),
        })
        .collect();
    let list: Vec<String> = asked.iter().map(|d| CH.literal(d)).collect();
    let sql = format!(
        "SELECT database, table, sum(rows) FROM system.parts WHERE active AND database IN ({}) \
         GROUP BY database, table",
        list.join(", ")
    );
    let mut out: Vec<(String, String, i64)> = Vec::new();
    for server in ch.servers() {
        let (frame, _) = server.query_readonly(&sql)?;
        for row in crate::frame::to_cells(&frame) {
            let (Some(db), Some(table), Some(n)) = (
                row.first().cloned().flatten(),
                row.get(1).cloned().flatten(),
                row.get(2).and_then(|n| n.as_deref()?.parse::<i64>().ok()),
            ) else {
                continue;
            };
            let db = match asked.iter().position(|a| *a == db) {
                Some(i) => dbs[i].clone(),
                None => continue,
            };
            match out.iter_mut().find(|(d, t, _)| *d == db && *t == table) {
                Some(found) => found.2 += n,
                None => out.push((db, table, n)),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_written_with_quoted_keys() {
        assert_eq!(
            Engine::MergeTree { order_by: &[] }.sql(),
            "MergeTree ORDER BY tuple()"
        );
        assert_eq!(
            Engine::ReplacingMergeTree {
                version: "switched",
                order_by: &["entity", "company"]
            }
            .sql(),
            "ReplacingMergeTree(`switched`) ORDER BY (`entity`, `company`)"
        );
        let name = Name {
            db: "acme_gold",
            table: "fct",
        };
        assert_eq!(name.on_shard(), "`acme_gold_shard`.`fct`");
    }
}
