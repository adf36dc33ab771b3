//! Helpers shared by the integration tests that drive the real binary.
#![allow(dead_code)]

pub mod json_schema;

use std::path::Path;
use std::process::{Command, Output};

/// Run `assay ARGS` in `dir`.
pub fn assay(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run assay")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Everything the command printed, for assertion messages.
pub fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// The CSV output of `assay sql`, asserting it ran.
pub fn sql_csv(ws: &Path, sql: &str) -> String {
    let out = assay(ws, &["sql", sql, "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{sql}: {}", text(&out));
    stdout(&out)
}

/// A name of this test run's own (tables on the shared servers), so parallel runs never meet.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}
