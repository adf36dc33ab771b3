//! `assay-bench status`: `assay status` and the workbench's first frame (the health grid,
//! with the catalog read) on a group of many companies (`assay demo --companies 150`),
//! against the same binary answering one trivial query of the same cache (its start-up
//! and cache open: the floor any command pays), in the same run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::measure::assay_binary;
use assay_workbench::harness::Harness;
use assay_workbench::theme::Theme;

#[derive(Debug, Clone, Serialize)]
pub struct StatusBench {
    pub companies: usize,
    /// Runs in the catalog the status is read from.
    pub runs: i64,
    /// `assay sql "SELECT count(*) FROM assay.runs"`: start-up and cache open, best of the runs.
    pub baseline_ms: f64,
    /// `assay status` (text), best and median of the runs.
    pub status_ms: f64,
    pub status_median_ms: f64,
    pub status_json_ms: f64,
    /// The workbench opened, the catalog read and the health screen drawn at 80×24.
    pub first_frame_ms: f64,
    /// The first line `assay status` printed (what it found).
    pub summary: String,
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn assay(exe: &Path, dir: &Path, args: &[&str]) -> Result<(f64, String)> {
    let start = Instant::now();
    let out = Command::new(exe)
        .current_dir(dir)
        .args(args)
        .output()
        .io_context(|| format!("cannot run {}", exe.display()))?;
    let took = ms(start);
    // status exits 1 or 2 when something is stale or failed: an answer, not a failure.
    if !matches!(out.status.code(), Some(0..=2)) {
        return Err(Error::Runtime(format!(
            "`assay {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok((took, String::from_utf8_lossy(&out.stdout).to_string()))
}

/// Best and median of `runs` timings of `f`.
fn timed(runs: usize, mut f: impl FnMut() -> Result<f64>) -> Result<(f64, f64)> {
    let mut all = (0..runs.max(1))
        .map(|_| f())
        .collect::<Result<Vec<f64>>>()?;
    all.sort_by(f64::total_cmp);
    Ok((all[0], all[all.len() / 2]))
}

pub fn status_bench(
    dir: &Path,
    companies: usize,
    runs: usize,
    log: &dyn Fn(&str),
) -> Result<StatusBench> {
    let exe = assay_binary()?;
    std::fs::create_dir_all(dir).io_context(|| format!("cannot create {}", dir.display()))?;
    let ws = dir.join("ws");
    let n = companies.to_string();
    let rows = (companies * 1000).to_string();
    log(&format!("a demo group of {companies} companies"));
    assay(
        &exe,
        dir,
        &["demo", "ws", "--companies", &n, "--rows", &rows, "--force"],
    )?;
    log("extracting every company");
    assay(&exe, &ws, &["extract", "--all", "--format", "csv"])?;
    log("building the models");
    assay(&exe, &ws, &["build", "--format", "csv"])?;
    let count = "SELECT count(*) AS n FROM assay.runs";
    let (_, counted) = assay(&exe, &ws, &["sql", count, "--format", "csv"])?;
    let runs_in_catalog = counted
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(-1);
    log("timing");
    let (baseline_ms, _) = timed(runs, || {
        Ok(assay(&exe, &ws, &["sql", count, "--format", "csv"])?.0)
    })?;
    let mut summary = String::new();
    let (status_ms, status_median_ms) = timed(runs, || {
        let (took, out) = assay(&exe, &ws, &["status"])?;
        summary = out.lines().next().unwrap_or_default().to_string();
        Ok(took)
    })?;
    let (status_json_ms, _) = timed(runs, || {
        Ok(assay(&exe, &ws, &["status", "--format", "json"])?.0)
    })?;
    let (first_frame_ms, _) = timed(runs, || {
        let start = Instant::now();
        let mut h = Harness::open(&ws, 80, 24, Theme::built_in("dark"))?;
        h.render();
        Ok(ms(start))
    })?;
    Ok(StatusBench {
        companies,
        runs: runs_in_catalog,
        baseline_ms,
        status_ms,
        status_median_ms,
        status_json_ms,
        first_frame_ms,
        summary,
    })
}
