//! The shape of `assay.toml`. Every struct denies unknown keys so a typo is an error,
//! not a silently ignored setting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::comparison::Comparison;
use super::duration::Duration;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub workspace: WorkspaceSettings,
    #[serde(default)]
    pub warehouse: Warehouse,
    #[serde(default)]
    pub layers: Layers,
    #[serde(default)]
    pub freshness: Freshness,
    #[serde(default)]
    pub companies: BTreeMap<String, Company>,
    #[serde(default)]
    pub sources: BTreeMap<String, Source>,
    #[serde(default)]
    pub entities: BTreeMap<String, Entity>,
    #[serde(default)]
    pub legacy: BTreeMap<String, LegacyExport>,
    #[serde(default)]
    pub comparisons: BTreeMap<String, Comparison>,
    /// Data tests on layer tables, by name (`assay test`).
    #[serde(default)]
    pub tests: BTreeMap<String, DataTest>,
    #[serde(default)]
    pub checks: Checks,
    /// Settings of the silver and gold models, by `layer.name` (`silver.customers`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, ModelSettings>,
}

/// What the workspace says of one model beyond its SQL.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    /// Columns holding personal data (see `[workspace] pii_mask`).
    #[serde(default)]
    pub pii: Vec<String>,
}

/// How personal data is shown: a stable hash, the first letter of each part, or nothing.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PiiMask {
    Hash,
    #[default]
    Partial,
    Redact,
}

/// When data tests run on their own.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    /// Run every data test after a build that succeeded.
    #[serde(default)]
    pub after_build: bool,
}

/// What a data test asserts of every row (or of the row count) of a table, per company.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// `columns` are never NULL.
    NotNull,
    /// The `columns` together identify a row.
    Unique,
    /// Every value of `columns` is a key of `to` (its `to_columns`, or the same names).
    Relationships,
    /// `columns[0]` holds only `values` (or NULL).
    AcceptedValues,
    /// Every row meets `expression`, a SQL predicate.
    Expression,
    /// Each company has between `min` and `max` rows.
    RowCount,
    /// The personal-data `columns` are gone from the table, or hold only masked values.
    PiiAbsent,
}

impl TestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::NotNull => "not_null",
            TestKind::Unique => "unique",
            TestKind::Relationships => "relationships",
            TestKind::AcceptedValues => "accepted_values",
            TestKind::Expression => "expression",
            TestKind::RowCount => "row_count",
            TestKind::PiiAbsent => "pii_absent",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    #[default]
    Error,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataTest {
    /// The table tested, `layer.table` (bronze, silver, gold).
    pub table: String,
    pub kind: TestKind,
    #[serde(default)]
    pub columns: Vec<String>,
    /// accepted_values: the values allowed.
    #[serde(default)]
    pub values: Vec<String>,
    /// relationships: the table holding the keys, `layer.table`.
    pub to: Option<String>,
    /// relationships: its key columns (default: the same names as `columns`).
    #[serde(default)]
    pub to_columns: Vec<String>,
    /// expression: what every row must meet (a SQL predicate of the table's engine).
    pub expression: Option<String>,
    /// row_count: bounds per company, inclusive.
    pub min: Option<i64>,
    pub max: Option<i64>,
    #[serde(default)]
    pub severity: Severity,
    /// Only the rows meeting this SQL predicate are tested.
    #[serde(rename = "where")]
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSettings {
    #[serde(default)]
    pub name: String,
    /// Cache file, relative to the workspace folder.
    #[serde(default = "default_cache")]
    pub cache: String,
    /// How many companies extract at the same time.
    #[serde(default = "default_parallelism")]
    pub parallelism: u32,
    /// How many versions of each company slice are kept.
    #[serde(default = "default_retention")]
    pub retention: u32,
    /// Models built at once, as their dependencies allow (1: one after another).
    #[serde(default = "default_threads")]
    pub threads: u32,
    /// How long each compare's record is kept in the history (`assay history`, parity).
    #[serde(default = "default_history_retention")]
    pub history_retention: Duration,
    /// How long a command waits for another process's work on the cache (an extraction,
    /// a build) before giving up.
    #[serde(default = "default_cache_wait")]
    pub cache_wait: Duration,
    /// How columns marked `pii` are shown on screens, in outputs and reports.
    #[serde(default)]
    pub pii_mask: PiiMask,
}

impl Default for WorkspaceSettings {
    fn default() -> Self {
        WorkspaceSettings {
            name: String::new(),
            cache: default_cache(),
            parallelism: default_parallelism(),
            retention: default_retention(),
            threads: default_threads(),
            history_retention: default_history_retention(),
            cache_wait: default_cache_wait(),
            pii_mask: PiiMask::default(),
        }
    }
}

fn default_cache() -> String {
    ".assay/cache.duckdb".into()
}
fn default_parallelism() -> u32 {
    4
}
fn default_cache_wait() -> Duration {
    Duration { seconds: 120 }
}

fn default_threads() -> u32 {
    // One after another until a kill during concurrent builds is proven to leave a cache
    // that opens (the fault test's kill points failed once in four full runs at 4).
    1
}

fn default_history_retention() -> Duration {
    Duration {
        seconds: 365 * 86_400,
    }
}

fn default_retention() -> u32 {
    3
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WarehouseKind {
    /// The local cache file is the warehouse.
    #[default]
    Duckdb,
    Clickhouse,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Warehouse {
    #[serde(default)]
    pub kind: WarehouseKind,
    /// The server's HTTP URL. Credentials do not belong here (they are redacted wherever the
    /// URL is shown); put them in `password_env`, or the whole URL in `url_env`.
    pub url: Option<String>,
    /// Name of the environment variable holding the URL (when it carries credentials).
    pub url_env: Option<String>,
    pub database: Option<String>,
    pub user: Option<String>,
    /// Name of the environment variable holding the password.
    pub password_env: Option<String>,
    /// Seconds before a warehouse query is abandoned.
    pub timeout_secs: Option<u64>,
    /// Seconds the server has to answer the first query (connect and log in).
    pub connect_timeout_secs: Option<u64>,
    /// A ClickHouse cluster (a `remote_servers` entry): the layers become tables on every
    /// shard, sharded by company, under Distributed tables of the same names.
    pub cluster: Option<String>,
    /// The HTTP URL of each of the cluster's shards, where assay creates that shard's tables
    /// (ClickHouse's cluster entry names native ports, not HTTP ones).
    pub shards: Option<Vec<String>>,
}

impl Warehouse {
    /// A warehouse query's limit when `timeout_secs` is not set (as `config.example.toml`
    /// documents).
    pub const DEFAULT_TIMEOUT_SECS: u64 = 300;
    /// The connect-and-login limit when `connect_timeout_secs` is not set.
    pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;

    /// A ClickHouse server at `url`, database `database`, as the default user (for tools
    /// and tests that reach a server without a workspace).
    pub fn clickhouse(url: &str, database: &str, timeout_secs: u64) -> Warehouse {
        Warehouse {
            kind: WarehouseKind::Clickhouse,
            url: Some(url.to_string()),
            database: Some(database.to_string()),
            timeout_secs: Some(timeout_secs),
            ..Warehouse::default()
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layers {
    /// Folder holding `silver/` and `gold/` SQL models, relative to the workspace.
    #[serde(default = "default_models")]
    pub models: String,
    /// An external build command (e.g. `dbt build`) run instead of the SQL models.
    pub build_command: Option<String>,
    /// A dbt project folder, relative to the workspace: the build command (`dbt build` when
    /// not given) runs there, and its `target/manifest.json` and `run_results.json` say
    /// which models exist, what they read, and how each model and test did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbt_project: Option<String>,
}

impl Layers {
    /// Whether silver and gold are built by a command rather than assay's SQL models.
    pub fn external(&self) -> bool {
        self.build_command.is_some() || self.dbt_project.is_some()
    }
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            models: default_models(),
            build_command: None,
            dbt_project: None,
        }
    }
}

fn default_models() -> String {
    "models".into()
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    pub warn_after: Option<Duration>,
    pub error_after: Option<Duration>,
    /// Volume alerts: how many earlier successful runs a run's row count is set against.
    pub volume_runs: Option<u32>,
    /// How far from the earlier runs' median, in robust z-scores (median absolute
    /// deviations), a row count must be to raise an alert.
    pub volume_threshold: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Company {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub branches: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Files,
    Duckdb,
    Postgres,
    Mysql,
    Clickhouse,
    Firebird,
    Delta,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Files => "files",
            SourceKind::Duckdb => "duckdb",
            SourceKind::Postgres => "postgres",
            SourceKind::Mysql => "mysql",
            SourceKind::Clickhouse => "clickhouse",
            SourceKind::Firebird => "firebird",
            SourceKind::Delta => "delta",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub kind: SourceKind,
    /// Base folder for `files` and `delta` sources, relative to the workspace.
    pub root: Option<String>,
    /// Database file for `duckdb` sources, relative to the workspace.
    pub path: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub user: Option<String>,
    /// HTTP URL for `clickhouse` sources.
    pub url: Option<String>,
    /// Name of the environment variable holding the password.
    pub password_env: Option<String>,
    /// Name of the environment variable holding a whole connection URL.
    pub url_env: Option<String>,
    /// The connection's character set (`firebird`; default UTF8): for a database whose
    /// text is declared `NONE`, the set its bytes are really in.
    pub charset: Option<String>,
    /// Seconds a server may take to accept the login (default 10).
    pub connect_timeout_secs: Option<u64>,
    /// Seconds one source query may run (default 3600); past it the query is cancelled on
    /// the server and the run fails naming this setting.
    pub timeout_secs: Option<u64>,
}

impl Source {
    /// The connection character sets a `firebird` source may name (`charset`).
    pub const FIREBIRD_CHARSETS: [&'static str; 7] = [
        "UTF8",
        "WIN1252",
        "WIN1250",
        "WIN1251",
        "ISO8859_1",
        "ISO8859_2",
        "ASCII",
    ];
    pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
    pub const DEFAULT_TIMEOUT_SECS: u64 = 3600;

    pub fn connect_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(
            self.connect_timeout_secs
                .unwrap_or(Self::DEFAULT_CONNECT_TIMEOUT_SECS),
        )
    }

    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs.unwrap_or(Self::DEFAULT_TIMEOUT_SECS))
    }
}

/// The cache table holding one company's import of a legacy export; the view
/// `legacy."<export>"` unions them. Named here so `validate` can tell when two would clash.
pub fn legacy_table_name(export: &str, company: &str) -> String {
    format!("{export}__{company}")
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnDrift {
    #[default]
    Fail,
    Warn,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Parquet,
    Json,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub source: String,
    /// SQL run on the source; `{company}` becomes the quoted company id.
    pub query: Option<String>,
    /// File glob relative to the source root; `{company}` becomes the company id.
    pub files: Option<String>,
    /// File format; inferred from the glob's extension when absent.
    pub format: Option<FileFormat>,
    /// Columns that identify a row.
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub on_drift: OnDrift,
    /// Source column name → bronze column name, for every company.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    pub warn_after: Option<Duration>,
    pub error_after: Option<Duration>,
    /// Per-company differences.
    #[serde(default)]
    pub overrides: BTreeMap<String, EntityOverride>,
    /// Bronze columns holding personal data (named as in bronze, after `rename`).
    #[serde(default)]
    pub pii: Vec<String>,
    /// A database source read incrementally: only rows past the last run's cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<Incremental>,
    /// Delta: the table's folder under the source root (`{company}` allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Delta: in a table of every company, the column saying whose each row is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_column: Option<String>,
    /// Delta: this version of the table (time travel), not the latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Delta: the table as it was at this time (UTC): the last version committed by then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// `incremental = { cursor = "updated_at" }`: a column that grows with every insert and
/// update (a timestamp, an increasing id); a run reads the rows past the greatest value the
/// current version holds and keeps the others.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Incremental {
    pub cursor: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EntityOverride {
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    pub warn_after: Option<Duration>,
    pub error_after: Option<Duration>,
}

/// How a legacy export is written. Every field is optional so per-company overrides can
/// change just one of them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CsvHints {
    pub delimiter: Option<String>,
    /// "." or ",".
    pub decimal: Option<String>,
    /// strftime format of date columns, e.g. `%d/%m/%Y`.
    pub date_format: Option<String>,
    /// "utf-8", "utf-16" or "latin-1".
    pub encoding: Option<String>,
    /// Header in the file → column name used by assay.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// Spreadsheets: the sheet, by name (`{company}` becomes the company id) or by 1-based
    /// number; the first sheet when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<SheetRef>,
    /// Spreadsheets: the cells to read, like `A3:F200`; the sheet's used cells when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// Spreadsheets: how many rows at the top of the cells are the header (default 1). With
    /// 2, a group header merged over several columns is flattened: `Amount` over `net` and
    /// `tax` gives the columns `Amount net` and `Amount tax`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_rows: Option<u32>,
    /// Fixed-width text: the columns, left to right. `header_rows` lines above the data are
    /// skipped (none when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_width: Option<Vec<super::FixedColumn>>,
    /// Qlik QVD: a dual value read as its number (the default) or its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dual: Option<super::DualAs>,
    /// What the files are when their extension does not say (`csv`, `xlsx`, `qvd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<super::LegacyKind>,
}

/// A sheet of a workbook, by 1-based number or by name.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum SheetRef {
    Number(usize),
    Name(String),
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LegacyExport {
    /// Glob relative to the workspace; `{company}` becomes the company id. Empty when the
    /// export is read from a source.
    #[serde(default)]
    pub files: String,
    /// A `[sources.*]` name (not `files`): legacy read from a database, as extraction reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// With `source`: a table (`schema.table`); `{company}` in it names one per company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// With `source` and a `table` holding every company: the column naming the company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_column: Option<String>,
    /// With `source`: SQL run on it; `{company}` becomes the company id as a quoted literal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// An export older than this is a warning (freshness, status, compare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_after: Option<Duration>,
    /// An export older than this is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_after: Option<Duration>,
    /// How the files are written, for every company.
    #[serde(default)]
    pub format: CsvHints,
    /// Per-company differences in how the files are written.
    #[serde(default)]
    pub overrides: BTreeMap<String, CsvHints>,
    /// Columns holding personal data (named as assay reads them, after `rename`).
    #[serde(default)]
    pub pii: Vec<String>,
}

impl LegacyExport {
    /// The format hints in force for one company: the override's settings win key by key.
    pub fn hints_for(&self, company: &str) -> CsvHints {
        let mut hints = self.format.clone();
        if let Some(o) = self.overrides.get(company) {
            hints.delimiter = o.delimiter.clone().or(hints.delimiter);
            hints.decimal = o.decimal.clone().or(hints.decimal);
            hints.date_format = o.date_format.clone().or(hints.date_format);
            hints.encoding = o.encoding.clone().or(hints.encoding);
            hints.rename.extend(o.rename.clone());
            hints.sheet = o.sheet.clone().or(hints.sheet);
            hints.range = o.range.clone().or(hints.range);
            hints.header_rows = o.header_rows.or(hints.header_rows);
            hints.fixed_width = o.fixed_width.clone().or(hints.fixed_width);
            hints.dual = o.dual.or(hints.dual);
            hints.kind = o.kind.or(hints.kind);
        }
        hints
    }
}
