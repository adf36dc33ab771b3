//! A ClickHouse cluster holding the layers: `[warehouse] cluster` names a `remote_servers`
//! entry and `shards` the HTTP URL of each of its shards. Assay queries through the server
//! of `warehouse.url` (Distributed tables there fan out to the shards) and creates each
//! shard's own tables on that shard's server. Without ZooKeeper, `ON CLUSTER` DDL does not
//! run (18.16: "DDL background thread is not initialized"), so each server is told itself.

use super::clickhouse::{ClickHouse, Cluster};
use crate::config::Warehouse;
use crate::dialect::Dialect;
use crate::error::{Error, Result};

const CH: Dialect = Dialect::ClickHouse;

/// `main` as the way into the cluster of `settings`, checked against the servers: the
/// cluster exists on the server of `warehouse.url`, `shards` lists as many servers as it
/// has shards, and each listed server is a different one of them. `main` as it is without
/// `cluster`.
pub(super) fn attach(main: ClickHouse, settings: &Warehouse) -> Result<ClickHouse> {
    let Some(name) = settings.cluster.clone() else {
        return Ok(main);
    };
    let urls = settings.shards.clone().unwrap_or_default();
    let shards = shard_count(&main, &name)?;
    if shards == 0 {
        return Err(Error::Usage(format!(
            "warehouse.cluster: ClickHouse at {} has no cluster `{name}` (system.clusters; \
             a remote_servers entry in its config)",
            crate::redact::url(main.url())
        )));
    }
    if urls.len() != shards {
        return Err(Error::Usage(format!(
            "warehouse.shards lists {} server(s), and cluster `{name}` has {shards} shard(s): \
             give the HTTP URL of each",
            urls.len()
        )));
    }
    let mut servers: Vec<(usize, ClickHouse)> = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let (number, shard) = connect_shard(settings, &name, (i, url))?;
        if let Some((_, other)) = servers.iter().find(|(n, _)| *n == number) {
            return Err(Error::Usage(format!(
                "warehouse.shards[{i}]: ClickHouse at {} is shard {number} of `{name}`, as {} is",
                crate::redact::url(url),
                crate::redact::url(other.url())
            )));
        }
        servers.push((number, shard));
    }
    servers.sort_by_key(|(n, _)| *n);
    let mut servers: Vec<ClickHouse> = servers.into_iter().map(|(_, s)| s).collect();
    if local_shard(&main, &name)?.is_none() {
        servers.push(main.session());
    }
    Ok(main.spread_over(Cluster {
        name,
        servers,
        shards,
    }))
}

/// The server of `shards[i]`, checked, and which shard of cluster `name` it is.
fn connect_shard(
    settings: &Warehouse,
    name: &str,
    (i, url): (usize, &String),
) -> Result<(usize, ClickHouse)> {
    let setting = format!("warehouse.shards[{i}]");
    let shard = ClickHouse::connect_at(
        &Warehouse {
            url: Some(url.clone()),
            url_env: None,
            cluster: None,
            shards: None,
            ..settings.clone()
        },
        "warehouse",
        &setting,
    )?;
    let number = local_shard(&shard, name)?.ok_or_else(|| {
        Error::Usage(format!(
            "{setting}: ClickHouse at {} is not a shard of `{name}` (none of the cluster's \
             entries is this server, or the cluster is not in its config)",
            crate::redact::url(url)
        ))
    })?;
    Ok((number, shard))
}

/// The shards of cluster `name` as the server knows it (0: it does not know the cluster).
fn shard_count(ch: &ClickHouse, name: &str) -> Result<usize> {
    let (n, _) = ch.query_number(&format!(
        "SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = {}",
        CH.literal(name)
    ))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Which shard of cluster `name` this server is, if it is one.
fn local_shard(ch: &ClickHouse, name: &str) -> Result<Option<usize>> {
    let (n, _) = ch.query_number(&format!(
        "SELECT max(if(is_local, shard_num, 0)) FROM system.clusters WHERE cluster = {}",
        CH.literal(name)
    ))?;
    Ok(usize::try_from(n).ok().filter(|n| *n > 0))
}
