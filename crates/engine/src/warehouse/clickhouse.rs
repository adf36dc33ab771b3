//! The ClickHouse warehouse client, on the `clickhouse` crate over HTTP. Written for
//! ClickHouse 18.16 and current servers alike: schema validation is off (18.16 does not know
//! `describe_include_subcolumns`), results come untyped as TSVWithNamesAndTypes (18.16 has
//! no Parquet/Arrow output), and loads are `INSERT … FORMAT CSV` streamed in chunks.
//! The engine API is synchronous; each call blocks on the connection's small runtime. Every
//! query carries its own `query_id`, so that work being cancelled (Esc in the workbench, or a
//! newer request) abandons the answer at once and asks the server to KILL the query.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use polars::prelude::DataFrame;

use super::credentials::split_credentials;
use super::tsv::{parse_tsv, tsv_header};
use crate::cancel::Cancel;
use crate::config::Warehouse;
use crate::dialect::Dialect;
use crate::error::{Error, Result};

/// Written for ClickHouse.
const CH: Dialect = Dialect::ClickHouse;

/// What crossed the wire for one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Wire {
    pub rows: u64,
    pub bytes: u64,
}

pub struct ClickHouse {
    client: clickhouse::Client,
    url: String,
    database: String,
    user: String,
    timeout: Duration,
    /// The setting `timeout` comes from: `timeout_secs`, or `connect_timeout_secs` while
    /// the connection is checked.
    timeout_setting: &'static str,
    /// The settings messages point at: `warehouse`, or `sources.NAME` when a ClickHouse
    /// server is read as an extraction source.
    setting: String,
    /// The setting its URL comes from (`warehouse.url`, `warehouse.shards[1]`).
    url_setting: String,
    /// The cluster's servers, when the layers are spread over shards.
    cluster: Option<Arc<Cluster>>,
    /// Shared by every session of one connection (see `session`).
    runtime: Arc<tokio::runtime::Runtime>,
    /// The work this client's queries belong to, if it can be cancelled.
    cancel: Mutex<Option<Arc<Cancel>>>,
}

/// The servers of a cluster the layers are spread over (`cluster.rs` checks them).
pub struct Cluster {
    /// The `remote_servers` entry.
    pub(super) name: String,
    /// Every server holding the layers' tables: the shards in shard order, then the server
    /// of `warehouse.url` when it is not a shard (its Distributed tables and the small
    /// tables every server keeps whole live there too).
    pub(super) servers: Vec<ClickHouse>,
    pub(super) shards: usize,
}

impl Cluster {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many shards the layers are spread over.
    pub fn shards(&self) -> usize {
        self.shards
    }
}

/// The longest query the server parses (`max_query_size`).
const MAX_QUERY_SIZE: &str = "16777216";

/// Bytes per send of a streamed load.
const CHUNK: usize = 1 << 20;
/// How often a query in flight looks whether its work was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// The error code of a ClickHouse exception (`Code: 81, e.displayText() = …` on 18.16,
/// `Code: 81. DB::Exception: …` on current servers).
fn server_code(text: &str) -> Option<u32> {
    let at = text.find("Code: ")? + "Code: ".len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A whole number as ClickHouse writes one (a count, or an existence test).
fn number_of(cell: Option<&str>) -> Option<i64> {
    cell?.trim().parse().ok()
}

/// A query id unique to this process and call, to KILL it by.
fn next_query_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "assay-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl ClickHouse {
    /// Connect with the `[warehouse]` settings and check the server answers, the login works
    /// and the database exists; each failure names the setting to look at.
    pub fn connect(settings: &Warehouse) -> Result<ClickHouse> {
        Self::connect_as(settings, "warehouse")
    }

    /// The same, for settings found under `setting` (`sources.NAME`), which messages name.
    pub fn connect_as(settings: &Warehouse, setting: &str) -> Result<ClickHouse> {
        Self::connect_at(settings, setting, &format!("{setting}.url"))
    }

    /// This server, as the way into `cluster` (which `cluster::attach` checked).
    pub(super) fn spread_over(self, cluster: Cluster) -> ClickHouse {
        ClickHouse {
            // Loads through a Distributed table land on the shards before the INSERT
            // returns (a count right after must see them), and a subquery over a
            // Distributed table runs once and is sent to the shards (GLOBAL), which is
            // right however the two sides are sharded.
            client: self
                .client
                .clone()
                .with_setting("insert_distributed_sync", "1")
                .with_setting("distributed_product_mode", "global"),
            cluster: Some(Arc::new(cluster)),
            ..self
        }
    }

    /// The server of `settings`' URL (or `url_setting`'s, for a shard), checked.
    pub(super) fn connect_at(
        settings: &Warehouse,
        setting: &str,
        url_setting: &str,
    ) -> Result<ClickHouse> {
        let url = match (&settings.url_env, &settings.url) {
            (Some(var), _) => std::env::var(var).map_err(|_| {
                Error::Usage(format!(
                    "{setting}.url_env names `{var}`, which is not set in the environment"
                ))
            })?,
            (None, Some(url)) => url.clone(),
            (None, None) => return Err(Error::Usage(format!("{setting}.url is not set"))),
        };
        let (url, url_user, url_password) = split_credentials(&url);
        let database = settings
            .database
            .clone()
            .unwrap_or_else(|| "default".into());
        let user = settings
            .user
            .clone()
            .or(url_user)
            .unwrap_or_else(|| "default".into());
        let password = match &settings.password_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                Error::Usage(format!(
                    "{setting}.password_env names `{var}`, which is not set in the environment"
                ))
            })?),
            None => url_password,
        };
        let timeout = Duration::from_secs(
            settings
                .timeout_secs
                .unwrap_or(crate::config::Warehouse::DEFAULT_TIMEOUT_SECS),
        );
        // A server that takes the connection and never answers (or an address that drops
        // it) is given up on after the connect timeout, not after a query's.
        let connect_timeout = Duration::from_secs(
            settings
                .connect_timeout_secs
                .unwrap_or(crate::config::Warehouse::DEFAULT_CONNECT_TIMEOUT_SECS),
        );
        // Queries may name many slices (a pushed-down compare's kept ones): 16 MiB, where
        // the server's default stops parsing at 256 KiB.
        let mut client = clickhouse::Client::default()
            .with_url(&url)
            .with_user(&user)
            .with_validation(false)
            .with_setting("max_query_size", MAX_QUERY_SIZE);
        if let Some(p) = password {
            client = client.with_password(p);
        }
        // One worker drives the HTTP connections of every session; each caller blocks on its
        // own query (a current-thread runtime would serialise sessions on several threads).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("assay-clickhouse")
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(format!("ClickHouse client runtime: {e}")))?;
        let ch = ClickHouse {
            client,
            url,
            database,
            user,
            timeout: connect_timeout.min(timeout),
            timeout_setting: "connect_timeout_secs",
            setting: setting.to_string(),
            url_setting: url_setting.to_string(),
            cluster: None,
            runtime: Arc::new(runtime),
            cancel: Mutex::new(Some(crate::cancel::process())),
        };
        ch.check()?;
        let client = ch.client.clone().with_database(&ch.database);
        Ok(ClickHouse {
            client,
            timeout,
            timeout_setting: "timeout_secs",
            ..ch
        })
    }

    fn check(&self) -> Result<()> {
        let (frame, _) = self.query(&format!(
            "SELECT count() AS n FROM system.databases WHERE name = {}",
            CH.literal(&self.database)
        ))?;
        let found = crate::frame::to_text_rows(&frame)
            .get(1)
            .and_then(|r| r.first().cloned())
            .unwrap_or_default();
        if found != "1" {
            return Err(Error::Usage(format!(
                "{}.database: ClickHouse at {} has no database `{}`",
                self.setting,
                crate::redact::url(&self.url),
                self.database
            )));
        }
        Ok(())
    }

    /// Turn a client error into one that says which setting or statement to look at.
    fn explain(&self, e: clickhouse::error::Error, sql: &str) -> Error {
        let text = e.to_string();
        let short: String = sql.chars().take(120).collect();
        match e {
            clickhouse::error::Error::Network(_) => Error::Runtime(format!(
                "cannot reach ClickHouse at {} ({}): {}",
                crate::redact::url(&self.url),
                self.url_setting,
                crate::redact::text(&text)
            )),
            clickhouse::error::Error::TimedOut => Error::Runtime(format!(
                "ClickHouse at {} did not answer within {}s ({}.{}): {short}",
                crate::redact::url(&self.url),
                self.timeout.as_secs(),
                self.setting,
                self.timeout_setting
            )),
            _ => match server_code(&text) {
                Some(192 | 193 | 516) => Error::Usage(format!(
                    "ClickHouse refused the login of `{}` ({s}.user, {s}.password_env): {text}",
                    self.user,
                    s = self.setting
                )),
                Some(81) => Error::Usage(format!("{}.database: {text}", self.setting)),
                code => Error::Server {
                    code,
                    message: format!("ClickHouse: {text} (in: {short})"),
                },
            },
        }
    }

    /// Another handle on this connection (its HTTP client and runtime), with work of its
    /// own to watch: the connection is made and checked once, sessions are free.
    pub fn session(&self) -> ClickHouse {
        ClickHouse {
            client: self.client.clone(),
            url: self.url.clone(),
            database: self.database.clone(),
            user: self.user.clone(),
            timeout: self.timeout,
            timeout_setting: self.timeout_setting,
            setting: self.setting.clone(),
            url_setting: self.url_setting.clone(),
            cluster: self.cluster.clone(),
            runtime: Arc::clone(&self.runtime),
            cancel: Mutex::new(Some(crate::cancel::process())),
        }
    }

    /// The cluster the layers are spread over, if any.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_deref()
    }

    /// Sessions on every server that holds the layers' tables (each shard of a cluster and
    /// the server of `warehouse.url`; that server alone otherwise), watching this
    /// session's work.
    pub fn servers(&self) -> Vec<ClickHouse> {
        let cancel = self.cancel.lock().expect("cancel lock").clone();
        let servers = match &self.cluster {
            Some(c) => c.servers.iter().map(ClickHouse::session).collect(),
            None => vec![self.session()],
        };
        for s in &servers {
            s.watch(cancel.clone());
        }
        servers
    }

    /// From now on, queries give up (and are killed on the server) once `cancel` is set.
    pub fn watch(&self, cancel: Option<Arc<Cancel>>) {
        *self.cancel.lock().expect("cancel lock") = cancel;
    }

    /// The client for one call, tagged with `query_id`.
    /// The client, this query's id set. Queries go as `query_raw`: assay writes every value
    /// as a literal, and the crate's client-side binding would read a `?` in a literal, a
    /// name or a regular expression as a placeholder ("unbound query argument").
    fn tagged(&self, query_id: &str) -> clickhouse::Client {
        self.client.clone().with_setting("query_id", query_id)
    }

    fn run<T>(
        &self,
        sql: &str,
        query_id: &str,
        work: impl std::future::Future<Output = std::result::Result<T, clickhouse::error::Error>>,
    ) -> Result<T> {
        let cancel = self.cancel.lock().expect("cancel lock").clone();
        self.runtime.block_on(async {
            let cancelled = async {
                match &cancel {
                    Some(c) => {
                        while !c.is_cancelled() {
                            tokio::time::sleep(CANCEL_POLL).await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                done = tokio::time::timeout(self.timeout, work) => match done {
                    Ok(r) => r.map_err(|e| self.explain(e, sql)),
                    Err(_) => {
                        self.kill(query_id).await;
                        Err(self.explain(clickhouse::error::Error::TimedOut, sql))
                    }
                },
                _ = cancelled => {
                    self.kill(query_id).await;
                    Err(Error::Cancelled)
                }
            }
        })
    }

    /// Ask the server to stop a query this client abandoned (a user may kill their own).
    async fn kill(&self, query_id: &str) {
        let sql = format!("KILL QUERY WHERE query_id = {} ASYNC", CH.literal(query_id));
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            self.client.query_raw(&sql).execute(),
        )
        .await;
    }

    /// Run a statement that returns nothing (DDL, INSERT … SELECT).
    pub fn execute(&self, sql: &str) -> Result<()> {
        let id = next_query_id();
        self.run(sql, &id, self.tagged(&id).query_raw(sql).execute())
    }

    /// A query's result as a frame (numbers as numbers, the rest as text), and what crossed
    /// the wire. Browsing uses `readonly`.
    pub fn query(&self, sql: &str) -> Result<(DataFrame, Wire)> {
        self.fetch(sql, false)
    }

    /// The same under the server's read-only mode (browsing and the SQL console).
    pub fn query_readonly(&self, sql: &str) -> Result<(DataFrame, Wire)> {
        self.fetch(sql, true)
    }

    /// A read-only query answering one number (a count), and what crossed the wire.
    pub fn query_number(&self, sql: &str) -> Result<(i64, Wire)> {
        let (frame, wire) = self.query_readonly(sql)?;
        // An answer without a number is an error, never 0: a count read as 0 would make a
        // difference or a loaded run look absent.
        let cell = crate::frame::to_cells(&frame)
            .first()
            .and_then(|r| r.first().cloned().flatten());
        let n = number_of(cell.as_deref()).ok_or_else(|| {
            let short: String = sql.chars().take(120).collect();
            Error::Runtime(format!(
                "ClickHouse answered `{}` where a number was expected: {short}",
                cell.unwrap_or_default()
            ))
        })?;
        Ok((n, wire))
    }

    fn fetch(&self, sql: &str, readonly: bool) -> Result<(DataFrame, Wire)> {
        let (body, received) = self.fetch_raw(sql, "TSVWithNamesAndTypes", readonly)?;
        let frame = parse_tsv(&String::from_utf8_lossy(&body))?;
        let rows = frame.height() as u64;
        Ok((
            frame,
            Wire {
                rows,
                bytes: received,
            },
        ))
    }

    /// A query's whole answer in `format`, and the bytes received.
    fn fetch_raw(&self, sql: &str, format: &str, readonly: bool) -> Result<(bytes::Bytes, u64)> {
        let id = next_query_id();
        let mut query = self.tagged(&id).query_raw(sql);
        if readonly {
            query = query.with_setting("readonly", "2");
        }
        let format = format.to_string();
        self.run(sql, &id, async move {
            let mut cursor = query.fetch_bytes(format)?;
            let body = cursor.collect().await?;
            Ok((body, cursor.received_bytes()))
        })
    }

    /// The columns of `table` (`db.table`, unquoted) as (name, ClickHouse type), in order.
    pub fn describe(&self, table: &str) -> Result<Vec<(String, String)>> {
        self.described(&format!("DESCRIBE TABLE {}", CH.dotted_table(table)))
    }

    /// The columns a SELECT would return, without running it (DESCRIBE of a subquery, which
    /// 18.16 answers from the plan, where `LIMIT 0` would still aggregate everything).
    pub fn describe_select(&self, select: &str) -> Result<Vec<(String, String)>> {
        self.described(&format!("DESCRIBE TABLE ({select})"))
    }

    fn described(&self, sql: &str) -> Result<Vec<(String, String)>> {
        let (frame, _) = self.query_readonly(sql)?;
        Ok(crate::frame::to_cells(&frame)
            .into_iter()
            .filter_map(|row| Some((row.first()?.clone()?, row.get(1)?.clone()?)))
            .collect())
    }

    /// The (name, type) of each column a query returns, from its header (ask with LIMIT 0).
    pub fn result_columns(&self, sql: &str) -> Result<Vec<(String, String)>> {
        let (body, _) = self.fetch_raw(sql, "TSVWithNamesAndTypes", true)?;
        let text = String::from_utf8_lossy(&body);
        let (names, types) = tsv_header(&mut text.split('\n'));
        Ok(names.into_iter().zip(types).collect())
    }

    /// A read-only query's result in `format` (e.g. CSVWithNames) written to `file`, for
    /// DuckDB to read; the bytes received.
    pub fn fetch_to_file(&self, sql: &str, format: &str, file: &Path) -> Result<u64> {
        self.stream_to_file(sql, format, file, &mut |_| {})
    }

    /// The same, written as it arrives (an extraction may be larger than memory), each
    /// piece shown to `on_piece` (to count rows) once written.
    pub fn stream_to_file(
        &self,
        sql: &str,
        format: &str,
        file: &Path,
        on_piece: &mut dyn FnMut(&[u8]),
    ) -> Result<u64> {
        let cannot =
            |e: std::io::Error| Error::Runtime(format!("cannot write {}: {e}", file.display()));
        let mut out =
            std::io::BufWriter::with_capacity(CHUNK, std::fs::File::create(file).map_err(cannot)?);
        let id = next_query_id();
        let query = self
            .tagged(&id)
            .query_raw(sql)
            .with_setting("readonly", "2");
        let format = format.to_string();
        let mut failed: Option<std::io::Error> = None;
        let received = self.run(sql, &id, async {
            let mut cursor = query.fetch_bytes(format)?;
            while let Some(piece) = cursor.next().await? {
                if let Err(e) = out.write_all(&piece) {
                    failed = Some(e);
                    break;
                }
                on_piece(&piece);
            }
            Ok(cursor.received_bytes())
        })?;
        if let Some(e) = failed {
            return Err(cannot(e));
        }
        out.flush().map_err(cannot)?;
        Ok(received)
    }

    /// Stream a CSV file (with a header; NULL written as `\N`, which ClickHouse's CSV reads
    /// as NULL where an empty field would be '') into `table`, in 1 MB sends of one INSERT.
    pub fn load_csv(&self, table: &str, file: &Path) -> Result<Wire> {
        self.load_csv_into(table, &[], file)
    }

    /// The same into the named columns, in the file's order (18.16 skips a CSV header rather
    /// than matching it by name).
    pub fn load_csv_into(&self, table: &str, columns: &[String], file: &Path) -> Result<Wire> {
        let list = if columns.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                columns
                    .iter()
                    .map(|c| CH.ident(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let sql = format!(
            "INSERT INTO {}{list} FORMAT CSVWithNames",
            CH.dotted_table(table)
        );
        let mut reader = std::fs::File::open(file)
            .map_err(|e| Error::Runtime(format!("cannot read {}: {e}", file.display())))?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        let id = next_query_id();
        let mut insert = self.tagged(&id).insert_formatted_with(sql.clone());
        self.run(&sql, &id, async move {
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = reader
                    .read(&mut buf)
                    .map_err(|e| clickhouse::error::Error::Custom(e.to_string()))?;
                if n == 0 {
                    break;
                }
                insert
                    .send(bytes::Bytes::copy_from_slice(&buf[..n]))
                    .await?;
            }
            insert.end().await
        })?;
        Ok(Wire {
            rows: 0,
            bytes: total,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn database(&self) -> &str {
        &self.database
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_are_read_from_either_version() {
        assert_eq!(
            server_code("Code: 81, e.displayText() = DB::Exception: Database x doesn't exist"),
            Some(81)
        );
        assert_eq!(
            server_code("bad response: Code: 516. DB::Exception: default: Authentication failed"),
            Some(516)
        );
        assert_eq!(server_code("no code here"), None);
    }

    #[test]
    fn a_missing_or_unreadable_number_is_not_zero() {
        assert_eq!(number_of(Some("42")), Some(42));
        assert_eq!(number_of(Some("")), None);
        assert_eq!(number_of(Some("1.5e3")), None);
        assert_eq!(number_of(None), None);
    }
}
