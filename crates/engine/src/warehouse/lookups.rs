//! Lookups on ClickHouse: the tables a rule's `lookups.NAME` reads, uploaded from the cache
//! connection's `lookups` catalog (the workspace's `rules/lookups/` files, read there as
//! every connection reads them) into the warehouse's lookups database before the rules run
//! in the warehouse; `qualify_layers` points the rules' `lookups.` at that database.

use std::path::Path;

use duckdb::Connection;

use super::bronze::{clickhouse_type, export};
use super::clickhouse::ClickHouse;
use super::layer_database;
use super::tables::on_every_server;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::sql::{ident, literal};

const CH: Dialect = Dialect::ClickHouse;

/// The catalog (cache) and layer (warehouse) lookups live in; the same word rules write.
const LOOKUPS: &str = "lookups";

/// The lookups a rule's SQL names (`lookups.blocklist` → `blocklist`), outside quoted text.
pub fn named_in(sql: &str) -> Vec<String> {
    let prefix = format!("{LOOKUPS}.");
    let mut out: Vec<String> = Vec::new();
    let mut quoted = false;
    let mut previous: Option<char> = None;
    for (i, c) in sql.char_indices() {
        let after_word = previous.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '.');
        previous = Some(c);
        if c == '\'' {
            quoted = !quoted;
            continue;
        }
        let named = sql
            .get(i..i + prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(&prefix));
        if quoted || after_word || !named {
            continue;
        }
        let name: String = sql[i + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Uploads lookups `names` from the cache connection's `lookups` catalog into the
/// warehouse (replacing what an earlier upload left); `staging` holds the CSV meanwhile.
pub fn publish(ch: &ClickHouse, conn: &Connection, names: &[String], staging: &Path) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let db = layer_database(ch, LOOKUPS);
    on_every_server(
        ch,
        &format!("CREATE DATABASE IF NOT EXISTS {}", CH.ident(&db)),
    )?;
    for name in names {
        publish_one(ch, conn, (&db, name), staging)?;
    }
    Ok(())
}

fn publish_one(
    ch: &ClickHouse,
    conn: &Connection,
    (db, name): (&str, &str),
    staging: &Path,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? \
         AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
    )?;
    let columns: Vec<(String, String)> = stmt
        .query_map([LOOKUPS, name], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    if columns.is_empty() {
        return Err(Error::Usage(format!(
            "a rule reads lookups.{name}, which is not among the workspace's kept lookups \
             (rules/lookups/)"
        )));
    }
    let table = format!("{}.{}", CH.ident(db), CH.ident(name));
    let defs: Vec<String> = columns
        .iter()
        .map(|(c, t)| format!("{} {}", CH.ident(c), clickhouse_type(t)))
        .collect();
    // Whole on every server of a cluster: a rule's subquery reads it where it runs.
    on_every_server(ch, &format!("DROP TABLE IF EXISTS {table}"))?;
    on_every_server(
        ch,
        &format!("CREATE TABLE {table} ({}) ENGINE = Log", defs.join(", ")),
    )?;
    let list: Vec<String> = columns.iter().map(|(c, t)| export(c, t)).collect();
    std::fs::create_dir_all(staging)
        .map_err(|e| Error::Runtime(format!("{}: {e}", staging.display())))?;
    let file = staging.join(format!("lookup-{name}-{}.csv", std::process::id()));
    conn.execute_batch(&format!(
        "COPY (SELECT {} FROM {}.main.{}) TO {} (HEADER, DELIMITER ',', NULLSTR '\\N')",
        list.join(", "),
        ident(LOOKUPS),
        ident(name),
        literal(&file.to_string_lossy())
    ))?;
    let names: Vec<String> = columns.into_iter().map(|(c, _)| c).collect();
    let loaded = ch.servers().iter().try_for_each(|server| {
        server
            .load_csv_into(&format!("{db}.{name}"), &names, &file)
            .map(drop)
    });
    let _ = std::fs::remove_file(&file);
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookups_a_rule_names_are_found_outside_quotes() {
        assert_eq!(
            named_in("\"c\" IN (SELECT \"x\" FROM lookups.blocklist) AND note <> 'lookups.fake' OR y IN (SELECT a FROM LOOKUPS.vip) OR my_lookups.z = 1"),
            vec!["blocklist".to_string(), "vip".to_string()]
        );
        assert!(named_in("\"kind\" = 'VOID'").is_empty());
        assert!(named_in("llookups.x = 1").is_empty());
    }
}
