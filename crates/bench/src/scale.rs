//! `assay-bench scale`: how the daily commands grow with the number of companies. For each
//! size, `assay demo --companies N` is made and timed through the binary: the first
//! extraction, a second one with nothing new, the build, `status`, one company's compare and
//! the whole comparison's. The floor every command pays (start-up and opening the cache, one
//! trivial query) is measured in the same run, so a figure near it is start-up, not work.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::measure::{assay_binary, run_measured};

#[derive(Debug, Clone, Serialize)]
pub struct ScaleRow {
    pub companies: usize,
    /// Company × entity runs of one extraction.
    pub runs: i64,
    pub first_extract_s: f64,
    pub nothing_new_s: f64,
    /// nothing_new / first, percent (target ≤ 20).
    pub nothing_new_pct: f64,
    pub build_s: f64,
    /// Best of the runs.
    pub status_ms: f64,
    /// One company's compare (`compare revenue --company acme`), best of the runs.
    pub compare_one_ms: f64,
    /// The whole comparison, every company, best of the runs.
    pub compare_all_s: f64,
    /// `assay sql "SELECT 1"` on the same cache: the floor, best of the runs.
    pub floor_ms: f64,
    /// The largest peak resident memory of any of these commands, MiB.
    pub peak_rss_mib: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleBench {
    pub rows: Vec<ScaleRow>,
}

/// One command's wall time (seconds) and peak memory; exit codes 0–2 are answers.
fn timed(exe: &Path, dir: &Path, args: &[&str]) -> Result<(f64, f64)> {
    let mut command = Command::new(exe);
    command.current_dir(dir).args(args);
    let start = Instant::now();
    let out = run_measured(&mut command)?;
    let secs = start.elapsed().as_secs_f64();
    if !matches!(out.status.code(), Some(0..=2)) {
        return Err(Error::Runtime(format!(
            "`assay {}` failed: {}",
            args.join(" "),
            out.stderr
        )));
    }
    Ok((secs, out.peak_rss_mib))
}

/// The fastest of `runs` and the largest peak memory.
fn best(exe: &Path, dir: &Path, args: &[&str], runs: usize) -> Result<(f64, f64)> {
    let mut fastest = f64::INFINITY;
    let mut peak: f64 = 0.0;
    for _ in 0..runs.max(1) {
        let (secs, rss) = timed(exe, dir, args)?;
        fastest = fastest.min(secs);
        peak = peak.max(rss);
    }
    Ok((fastest, peak))
}

fn row(exe: &Path, root: &Path, companies: usize, runs: usize) -> Result<ScaleRow> {
    let dir = root.join(format!("demo-{companies}"));
    let _ = std::fs::remove_dir_all(&dir);
    let made = Command::new(exe)
        .arg("demo")
        .arg(&dir)
        .args(["--companies", &companies.to_string()])
        .output()
        .io_context(|| format!("cannot run {}", exe.display()))?;
    if !made.status.success() {
        return Err(Error::Runtime(String::from_utf8_lossy(&made.stderr).into()));
    }
    let mut peak: f64 = 0.0;
    let mut step = |args: &[&str], runs: usize| -> Result<f64> {
        let (secs, rss) = best(exe, &dir, args, runs)?;
        peak = peak.max(rss);
        Ok(secs)
    };
    let first_extract_s = step(&["extract", "--all"], 1)?;
    let nothing_new_s = step(&["extract", "--all"], 1)?;
    let build_s = step(&["build"], 1)?;
    let status_ms = 1000.0 * step(&["status"], runs)?;
    let compare_one_ms = 1000.0 * step(&["compare", "revenue", "--company", "acme"], runs)?;
    let compare_all_s = step(&["compare", "revenue"], runs)?;
    let floor_ms = 1000.0 * step(&["sql", "SELECT 1"], runs)?;
    let runs_text = Command::new(exe)
        .current_dir(&dir)
        .args([
            "sql",
            "SELECT count(*) FROM assay.runs WHERE kind = 'extract'",
            "--format",
            "csv",
        ])
        .output()
        .io_context(|| format!("cannot run {}", exe.display()))?;
    let extractions: i64 = String::from_utf8_lossy(&runs_text.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    Ok(ScaleRow {
        companies,
        runs: extractions / 2,
        first_extract_s,
        nothing_new_s,
        nothing_new_pct: 100.0 * nothing_new_s / first_extract_s,
        build_s,
        status_ms,
        compare_one_ms,
        compare_all_s,
        floor_ms,
        peak_rss_mib: peak,
    })
}

pub fn scale_bench(
    dir: &Path,
    sizes: &[usize],
    runs: usize,
    log: &dyn Fn(&str),
) -> Result<ScaleBench> {
    std::fs::create_dir_all(dir).io_context(|| format!("cannot create {}", dir.display()))?;
    let exe = assay_binary()?;
    let mut rows = Vec::new();
    for &companies in sizes {
        log(&format!("{companies} companies"));
        rows.push(row(&exe, dir, companies, runs)?);
    }
    Ok(ScaleBench { rows })
}
