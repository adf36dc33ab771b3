//! The warehouse that holds bronze, silver and gold: the DuckDB cache itself (the embedded
//! default), or ClickHouse when the data outgrows one machine.

pub mod bronze;
pub mod browse;
pub mod clickhouse;
pub mod cluster;
mod credentials;
pub mod fetch;
pub mod lookups;
pub mod models;
pub mod tables;
mod tsv;

pub use self::clickhouse::{ClickHouse, Cluster, Wire};
pub use self::tsv::parse_tsv;

use std::sync::Mutex;

use crate::config::{Warehouse, WarehouseKind};
use crate::dialect::Dialect;
use crate::error::Result;

/// The dialect of the engine holding a workspace's layers.
pub fn dialect(settings: &Warehouse) -> Dialect {
    match settings.kind {
        WarehouseKind::Duckdb => Dialect::DuckDb,
        WarehouseKind::Clickhouse => Dialect::ClickHouse,
    }
}

/// The name of a warehouse apart from the cache (`ClickHouse`), for people; None when the
/// layers live in the cache.
pub fn remote_name(settings: &Warehouse) -> Option<&'static str> {
    match settings.kind {
        WarehouseKind::Duckdb => None,
        WarehouseKind::Clickhouse => Some("ClickHouse"),
    }
}

/// The ClickHouse warehouse of these settings, or None when the layers live in the cache.
/// Connected (and checked) once per process and settings; each caller gets a session of
/// its own to cancel.
pub fn connect(settings: &Warehouse) -> Result<Option<ClickHouse>> {
    static CONNECTED: Mutex<Vec<(String, ClickHouse)>> = Mutex::new(Vec::new());
    if dialect(settings) == Dialect::DuckDb {
        return Ok(None);
    }
    let key = format!("{settings:?}");
    let mut connected = CONNECTED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ch)) = connected.iter().find(|(k, _)| *k == key) {
        return Ok(Some(ch.session()));
    }
    let ch = cluster::attach(ClickHouse::connect(settings)?, settings)?;
    let session = ch.session();
    connected.push((key, ch));
    Ok(Some(session))
}

/// The ClickHouse database holding `layer` for this warehouse: the layer's own name when the
/// configured database is `default`, `<database>_<layer>` otherwise (workspaces can share a
/// server).
pub fn layer_database(ch: &ClickHouse, layer: &str) -> String {
    layer_database_of(ch.database(), layer)
}

fn layer_database_of(database: &str, layer: &str) -> String {
    match database {
        "default" => layer.to_string(),
        db => format!("{db}_{layer}"),
    }
}

/// Model SQL with its `bronze.`/`silver.`/`gold.` references (and rules' `lookups.`)
/// pointed at this warehouse's layer databases (outside quoted strings).
pub fn qualify_layers(database: &str, sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '\'' {
            quote = Some(c);
            out.push(c);
            i += 1;
            continue;
        }
        let boundary = i == 0
            || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == '.');
        let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
        let hit = ["bronze.", "silver.", "gold.", "lookups."]
            .into_iter()
            .find(|l| boundary && rest.to_ascii_lowercase().starts_with(l));
        match hit {
            Some(l) => {
                // Quoted: a configured database name is the user's, not an identifier
                // assay chose.
                let db = layer_database_of(database, &l[..l.len() - 1]);
                out.push_str(&crate::dialect::Dialect::ClickHouse.ident(&db));
                out.push('.');
                i += l.len();
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_references_point_at_the_warehouse_databases() {
        assert_eq!(
            qualify_layers("acme", "SELECT 'bronze.x' AS s FROM bronze.invoices JOIN Silver.t USING (id), my_gold.z"),
            "SELECT 'bronze.x' AS s FROM `acme_bronze`.invoices JOIN `acme_silver`.t USING (id), my_gold.z"
        );
        assert_eq!(qualify_layers("default", "FROM gold.x"), "FROM `gold`.x");
        assert_eq!(
            qualify_layers("acme", "c IN (SELECT x FROM lookups.blocklist)"),
            "c IN (SELECT x FROM `acme_lookups`.blocklist)"
        );
    }
}
