//! A demo workspace beside its twin on the ClickHouse server of this machine: the tests
//! that check the warehouse gives the cache's numbers make both the same way.

use std::path::{Path, PathBuf};

use assay_engine::config::Warehouse;
use assay_engine::warehouse::ClickHouse;

use super::{assay, text};

pub const URL: &str = "http://127.0.0.1:8123";

/// The warehouse settings of the ClickHouse at `url`, database `database` (20 s timeout).
pub fn settings(url: &str, database: &str) -> Warehouse {
    Warehouse::clickhouse(url, database, 20)
}

/// Drops database `db` and its layer and lookup databases (and a cluster's shard
/// databases under them) on the server at `url` (left by an earlier failed run).
pub fn drop_layers(url: &str, db: &str) {
    let admin = ClickHouse::connect(&Warehouse::clickhouse(url, "default", 20)).unwrap();
    for layer in ["", "_bronze", "_silver", "_gold", "_lookups"] {
        for shard in ["", "_shard"] {
            admin
                .execute(&format!("DROP DATABASE IF EXISTS {db}{layer}{shard}"))
                .unwrap();
        }
    }
}

/// Demo workspace `name` in `dir` (`rows` invoices, `seed`), extracted and built; on the
/// ClickHouse at `url`, database `db`, when given.
pub fn built_demo_in(
    dir: &Path,
    name: &str,
    (rows, seed): (&str, &str),
    on: Option<(&str, &str)>,
) -> PathBuf {
    built_demo_with(dir, name, (rows, seed), on, &[])
}

/// The same, `more` added to `assay demo`'s arguments (a cluster's, say).
pub fn built_demo_with(
    dir: &Path,
    name: &str,
    (rows, seed): (&str, &str),
    on: Option<(&str, &str)>,
    more: &[&str],
) -> PathBuf {
    let mut args = vec!["demo", name, "--rows", rows, "--seed", seed];
    if let Some((url, db)) = on {
        args.extend(["--warehouse", "clickhouse", "--clickhouse-url", url]);
        args.extend(["--clickhouse-database", db]);
    }
    args.extend(more);
    let out = assay(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = dir.join(name);
    for step in [&["extract", "--all"][..], &["build"][..]] {
        let out = assay(&ws, step);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    ws
}

/// Current ClickHouse (chdb, in its own Python process) behind the HTTP interface
/// (`tests/chdb/server.py`), on a port of its own and a data folder of its own; stopped when
/// dropped. The Python is `ASSAY_CHDB_PYTHON` (scripts/test.sh sets it), else the venv the
/// script makes.
pub struct Current {
    child: std::process::Child,
    pub url: String,
    _data: tempfile::TempDir,
}

impl Current {
    pub fn start() -> Current {
        use std::io::BufRead;
        let python = super::installed("ASSAY_CHDB_PYTHON", ".cache/assay-chdb/bin/python");
        let data = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/chdb/server.py");
        let mut child = std::process::Command::new(&python)
            .arg(&script)
            .arg(data.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{}: {e} (scripts/test.sh installs chdb)", python.display())
            });
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("port ")
            .unwrap_or_else(|| panic!("the chdb server did not start: {line:?}"));
        let current = Current {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _data: data,
        };
        let version = current.version();
        assert!(
            version.split('.').next().unwrap().parse::<u32>().unwrap() >= 24,
            "chdb runs ClickHouse {version}"
        );
        current
    }

    /// The server's `version()`.
    pub fn version(&self) -> String {
        let ch = ClickHouse::connect(&Warehouse::clickhouse(&self.url, "default", 20)).unwrap();
        let (frame, _) = ch.query("SELECT version()").unwrap();
        assay_engine::frame::to_text_rows(&frame)[1][0].clone()
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
