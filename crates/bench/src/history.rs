//! What recording a compare in the history costs (#30: under 2 % of the compare). A
//! configured comparison over TPC-H lineitem (SF1: 6M rows, one company) with the planted
//! differences of `compare`, compared end to end by the binary with `ASSAY_TRACE=1`, which
//! times the recording stage inside the same process: the cost and the compare it is part
//! of come from the same run. Measured without rules (the record is the report's numbers)
//! and with an accepted rule and an accepted difference (one grouped pass more over the new
//! side after the rules, and a join for the difference, on the first run after the rules
//! changed; the later runs take the rules' effect from the record).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::compare::{build_sides, write_lineitem, Sides};
use crate::error::{Error, IoContext, Result};
use crate::measure::{assay_binary, run_measured};

#[derive(Debug, Clone, Serialize)]
pub struct HistoryBench {
    pub scale: f64,
    pub rows: i64,
    pub cases: Vec<HistoryCase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryCase {
    pub rules: bool,
    /// Each run: (the whole compare, the recording inside it), seconds.
    pub runs: Vec<(f64, f64)>,
    /// Of the fastest compare.
    pub compare_secs: f64,
    pub record_secs: f64,
    /// record / compare, percent (target < 2).
    pub record_pct: f64,
    /// The first run's record / compare, percent: with rules, the only run whose inputs
    /// (rules, table, files) changed since the record before, so the rules were applied;
    /// the later runs took their effect from the record.
    pub first_record_pct: f64,
}

const CONFIG: &str = "[workspace]\nname = \"bench\"\n\n[companies.tpch]\nname = \"TPC-H\"\n\n\
[legacy.exported]\nfiles = FILES\n\n\
[comparisons.lineitem]\nlegacy = \"exported\"\ntable = \"gold.lineitem_c\"\n\
keys = [\"l_orderkey\", \"l_linenumber\"]\nmeasures = [\"l_extendedprice\", \"l_quantity\"]\n";

const RULES: &str = "[[rule]]\nname = \"returns\"\nkind = \"exclude\"\n\
where = \"\\\"l_returnflag\\\" = 'R'\"\nstatus = \"accepted\"\nnote = \"bench\"\n\n\
[[accepted]]\nname = \"air\"\nwhere = \"\\\"l_shipmode\\\" = 'AIR'\"\nnote = \"bench\"\n";

pub fn history_bench(
    dir: &Path,
    scale: f64,
    runs: usize,
    log: &dyn Fn(&str),
) -> Result<HistoryBench> {
    std::fs::create_dir_all(dir).io_context(|| format!("cannot create {}", dir.display()))?;
    let dir = &std::path::absolute(dir).io_context(|| format!("{}", dir.display()))?;
    let csv = dir.join(format!("lineitem-sf{scale}.csv"));
    if !csv.exists() {
        log(&format!("generating TPC-H lineitem at SF {scale}"));
        write_lineitem(&csv, scale)?;
    }
    let ws = dir.join("ws-history");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(ws.join("rules")).io_context(|| format!("{}", ws.display()))?;
    let config = CONFIG.replace("FILES", &toml_string(&csv.to_string_lossy()));
    std::fs::write(ws.join("assay.toml"), config).io_context(|| "assay.toml".into())?;
    let sides = Sides {
        parquet: dir.join(format!("lineitem-sf{scale}-history.parquet")),
        csv,
        ws: ws.clone(),
    };
    let exe = assay_binary()?;
    log("building the sides; the comparison's table gets its company column");
    let (rows, _) = build_sides(&exe, &sides, 300)?;
    // A model, so the table has a build: the record rests on it.
    let model = format!(
        "SELECT *, 'tpch' AS company FROM read_parquet({})\n",
        crate::sql::literal(&sides.parquet.to_string_lossy())
    );
    std::fs::create_dir_all(ws.join("models/gold")).io_context(|| "models".into())?;
    std::fs::write(ws.join("models/gold/lineitem_c.sql"), model)
        .io_context(|| "models/gold/lineitem_c.sql".into())?;
    let built = Command::new(&exe)
        .current_dir(&ws)
        .arg("build")
        .output()
        .io_context(|| format!("cannot run {}", exe.display()))?;
    if !built.status.success() {
        return Err(Error::Runtime(
            String::from_utf8_lossy(&built.stderr).into(),
        ));
    }
    log("importing the legacy export (not timed)");
    compare(&exe, &ws)?;
    let mut cases = Vec::new();
    for rules in [false, true] {
        if rules {
            std::fs::write(ws.join("rules/lineitem.toml"), RULES)
                .io_context(|| "rules/lineitem.toml".into())?;
        }
        let mut timed = Vec::new();
        for run in 1..=runs.max(1) {
            log(&format!("rules {rules}, run {run}"));
            timed.push(compare(&exe, &ws)?);
        }
        let best = timed
            .iter()
            .copied()
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("a run");
        let first = timed[0];
        cases.push(HistoryCase {
            rules,
            runs: timed,
            compare_secs: best.0,
            record_secs: best.1,
            record_pct: 100.0 * best.1 / best.0,
            first_record_pct: 100.0 * first.1 / first.0,
        });
    }
    Ok(HistoryBench { scale, rows, cases })
}

fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One configured compare: (its wall time, the recording stage's), seconds.
fn compare(exe: &Path, ws: &Path) -> Result<(f64, f64)> {
    let mut command = Command::new(exe);
    command
        .current_dir(ws)
        .env("ASSAY_TRACE", "1")
        .args(["compare", "lineitem", "--format", "json"]);
    let start = Instant::now();
    let out = run_measured(&mut command)?;
    let secs = start.elapsed().as_secs_f64();
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(Error::Runtime(format!(
            "`assay compare` failed: {}",
            out.stderr
        )));
    }
    let record = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("trace: history: "))
        .and_then(|t| t.trim_end_matches('s').parse::<f64>().ok())
        .ok_or_else(|| Error::Runtime(format!("no history stage traced: {}", out.stderr)))?;
    Ok((secs, record))
}
