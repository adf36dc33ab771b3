//! Errors of the engine and the exit codes they map to.
//!
//! Exit codes are part of the CLI contract (see README): 0 ok, 1 a check failed or a
//! measure is out of tolerance, 2 usage or config error, 3 runtime error (source, server, I/O).

use std::path::PathBuf;

/// One problem found in `assay.toml`, located by key path and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub file: PathBuf,
    /// Dotted key path, e.g. `comparisons.revenue.table`.
    pub key: String,
    /// 1-based line and column; 0 when the key does not appear in the file.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        } else {
            write!(f, "{}: ", self.file.display())?;
        }
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.key, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is invalid; every issue found is listed.
    #[error("{} configuration problem(s):\n{}", .0.len(), render_issues(.0))]
    Config(Vec<ConfigIssue>),
    /// The user asked for something that cannot be done as asked.
    #[error("{0}")]
    Usage(String),
    /// A source, server, file or the cache failed while working.
    #[error("{0}")]
    Runtime(String),
    /// The cache was made by an assay this version cannot read safely.
    #[error("{0}")]
    CacheVersion(String),
    /// Another process (or task) held the cache longer than the configured wait.
    #[error("{0}")]
    CacheBusy(String),
    /// The work was cancelled by the user.
    #[error("cancelled")]
    Cancelled,
    /// The cache's engine (DuckDB) refused or failed a statement.
    #[error("database: {0}")]
    Database(duckdb::Error),
    /// A server answered with an error of its own, with its error code when it gave one.
    #[error("{message}")]
    Server { code: Option<u32>, message: String },
    /// What was being done when `source` went wrong.
    #[error("{context}: {source}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
}

fn render_issues(issues: &[ConfigIssue]) -> String {
    issues
        .iter()
        .map(|i| format!("  {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub fn runtime(context: impl std::fmt::Display, err: impl std::fmt::Display) -> Self {
        Error::Runtime(format!("{context}: {err}"))
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage(_) | Error::CacheVersion(_) => 2,
            Error::Runtime(_)
            | Error::CacheBusy(_)
            | Error::Cancelled
            | Error::Database(_)
            | Error::Server { .. } => 3,
            Error::Context { source, .. } => source.exit_code(),
        }
    }

    /// This error, saying what was being done. Failures of work (runtime, database,
    /// server) take the context; a usage or config problem already says what to fix, and a
    /// cancellation is not a failure, so they stay as they are.
    pub fn context(self, context: impl Into<String>) -> Error {
        match self {
            Error::Runtime(_)
            | Error::CacheBusy(_)
            | Error::Database(_)
            | Error::Server { .. }
            | Error::Context { .. } => Error::Context {
                context: context.into(),
                source: Box::new(self),
            },
            other => other,
        }
    }
}

impl From<duckdb::Error> for Error {
    fn from(e: duckdb::Error) -> Self {
        // duckdb-rs reports every failure with one error code; an interrupt (our cancel
        // handle firing) is told apart only by DuckDB's own error-type prefix.
        let interrupted = match &e {
            duckdb::Error::DuckDBFailure(_, Some(message)) => {
                message.starts_with("INTERRUPT Error") || message.contains("Interrupted")
            }
            other => other.to_string().contains("INTERRUPT Error"),
        };
        if interrupted {
            return Error::Cancelled;
        }
        Error::Database(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attach a description of what was being done to an I/O error.
pub trait IoContext<T> {
    fn io_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::Runtime(format!("{}: {e}", what())))
    }
}
