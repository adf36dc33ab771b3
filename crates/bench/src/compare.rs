//! `assay compare` on TPC-H lineitem (SF1: 6M rows) with a few hundred planted differences,
//! end to end as a user runs it, against two hand-written DuckDB statements computing the
//! same totals and row classes on the same sides, in the same run (`baseline_sql`, which
//! also counts duplicate keys and parses a CSV once; `lean_sql`, one pass over each side): files against files (the
//! legacy CSV against the new rows as Parquet) and table against table (both in the
//! workspace). Both run as child processes of the real binary so each reports its own peak
//! memory.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::Serialize;
use tpchgen::csv::LineItemCsv;
use tpchgen::generators::LineItemGenerator;

use crate::error::{Error, IoContext, Result};
use crate::measure::{assay_binary, run_measured};
use crate::sql::literal;

/// Which two sides a bench case compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pairing {
    /// The legacy CSV export against the new rows as a Parquet file.
    Files,
    /// `legacy.lineitem` against `gold.lineitem`, both tables of the workspace.
    Tables,
    /// The legacy CSV export against `gold.lineitem`.
    CsvTable,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompareBench {
    pub scale: f64,
    /// DuckDB's memory limit for both children (`ASSAY_MEMORY_LIMIT`); None: DuckDB's own
    /// default, 80 % of the machine's memory.
    pub memory_limit: Option<String>,
    pub rows: i64,
    pub csv_bytes: u64,
    pub planted: Planted,
    pub cases: Vec<Case>,
}

/// One pairing: assay end to end against the hand-written statement over the same sides.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub pairing: Pairing,
    /// Best of the runs, seconds.
    pub baseline_secs: f64,
    pub assay_secs: f64,
    /// assay / baseline.
    pub ratio: f64,
    pub baseline_peak_rss_mib: f64,
    /// The leanest honest statement (`lean_sql`): one pass over each side, best of the runs.
    pub lean_secs: f64,
    /// assay / lean: the harder ratio, the one the README reports (target ≤ 1.1).
    pub lean_ratio: f64,
    pub lean_peak_rss_mib: f64,
    pub assay_peak_rss_mib: f64,
    /// `assay explain` on the same sides (its first measure), best of the runs, seconds.
    pub explain_secs: f64,
    /// explain / compare (target ≤ 3).
    pub explain_ratio: f64,
    pub explain_peak_rss_mib: f64,
    /// What assay found, to show it found what was planted.
    pub found: Found,
}

#[derive(Debug, Clone, Serialize)]
pub struct Planted {
    pub changed: i64,
    pub only_legacy: i64,
    pub only_new: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Found {
    pub changed: i64,
    pub only_legacy: i64,
    pub only_new: i64,
    /// The measure's delta exactly as the report wrote it (a decimal, never a float).
    pub delta: String,
}

const KEYS: &str = "l_orderkey,l_linenumber";

/// The files and tables every pairing reads, made once per scale (kept for the next run).
pub(crate) struct Sides {
    pub(crate) csv: PathBuf,
    pub(crate) parquet: PathBuf,
    pub(crate) ws: PathBuf,
}

impl Sides {
    /// (legacy, new) as `assay compare` takes them, and as the hand-written SQL reads them.
    fn of(&self, pairing: Pairing) -> ([String; 2], [String; 2]) {
        let csv = self.csv.to_string_lossy().to_string();
        let parquet = self.parquet.to_string_lossy().to_string();
        let read_csv = format!("read_csv({})", literal(&csv));
        let gold = "gold.lineitem".to_string();
        match pairing {
            Pairing::Files => (
                [csv, parquet.clone()],
                [read_csv, format!("read_parquet({})", literal(&parquet))],
            ),
            Pairing::Tables => (
                ["legacy.lineitem".into(), gold.clone()],
                ["legacy.lineitem".into(), gold],
            ),
            Pairing::CsvTable => ([csv, gold.clone()], [read_csv, gold]),
        }
    }
}

pub fn compare_bench(
    dir: &Path,
    scale: f64,
    changes: i64,
    runs: usize,
    pairings: &[Pairing],
    memory_limit: Option<&str>,
    log: &dyn Fn(&str),
) -> Result<CompareBench> {
    std::fs::create_dir_all(dir).io_context(|| format!("cannot create {}", dir.display()))?;
    // Absolute: the sides' paths are read by children running in the workspace, where the
    // default `target/bench-compare/…` named nothing ("No files found that match").
    let dir = &std::path::absolute(dir).io_context(|| format!("{}", dir.display()))?;
    let csv = dir.join(format!("lineitem-sf{scale}.csv"));
    if !csv.exists() {
        log(&format!("generating TPC-H lineitem at SF {scale}"));
        write_lineitem(&csv, scale)?;
    }
    let csv_bytes = csv.metadata().map(|m| m.len()).unwrap_or(0);
    let ws = dir.join("ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).io_context(|| format!("cannot create {}", ws.display()))?;
    std::fs::write(ws.join("assay.toml"), "[workspace]\nname = \"bench\"\n")
        .io_context(|| "cannot write the bench workspace".into())?;
    let sides = Sides {
        parquet: dir.join(format!("lineitem-sf{scale}-new.parquet")),
        csv,
        ws,
    };
    let exe = assay_binary()?;
    log("building legacy.lineitem and gold.lineitem (with planted differences) and its Parquet file");
    let (rows, planted) = build_sides(&exe, &sides, changes)?;
    let mut cases = Vec::new();
    for &pairing in pairings {
        cases.push(run_case(&exe, &sides, pairing, runs, memory_limit, log)?);
    }
    Ok(CompareBench {
        scale,
        memory_limit: memory_limit.map(String::from),
        rows,
        csv_bytes,
        planted,
        cases,
    })
}

fn run_case(
    exe: &PathBuf,
    sides: &Sides,
    pairing: Pairing,
    runs: usize,
    memory_limit: Option<&str>,
    log: &dyn Fn(&str),
) -> Result<Case> {
    let ([legacy, new], [a, b]) = sides.of(pairing);
    let assay_args = [
        "compare",
        "--legacy",
        &legacy,
        "--new",
        &new,
        "--key",
        KEYS,
        "--measure",
        "l_extendedprice,l_quantity",
        "--format",
        "json",
    ];
    let statement = baseline_sql(&a, &b);
    let baseline_args = ["sql", statement.as_str(), "--format", "csv"];
    let lean = lean_sql(&a, &b);
    let lean_args = ["sql", lean.as_str(), "--format", "csv"];
    let mut best_lean = (f64::MAX, 0.0);
    let mut explain_args = assay_args;
    explain_args[0] = "explain";
    let (mut best_base, mut best_assay) = ((f64::MAX, 0.0), (f64::MAX, 0.0));
    let mut best_explain = (f64::MAX, 0.0);
    let mut found = None;
    for run in 1..=runs.max(1) {
        log(&format!("{pairing:?}, run {run}: baseline statement"));
        let (secs, rss, _) = timed(exe, &sides.ws, &baseline_args, memory_limit)?;
        if secs < best_base.0 {
            best_base = (secs, rss);
        }
        log(&format!("{pairing:?}, run {run}: lean statement"));
        let (secs, rss, _) = timed(exe, &sides.ws, &lean_args, memory_limit)?;
        if secs < best_lean.0 {
            best_lean = (secs, rss);
        }
        log(&format!("{pairing:?}, run {run}: assay compare"));
        let (secs, rss, out) = timed(exe, &sides.ws, &assay_args, memory_limit)?;
        if secs < best_assay.0 {
            best_assay = (secs, rss);
        }
        found = Some(read_found(&out)?);
        log(&format!("{pairing:?}, run {run}: assay explain"));
        let (secs, rss, _) = timed(exe, &sides.ws, &explain_args, memory_limit)?;
        if secs < best_explain.0 {
            best_explain = (secs, rss);
        }
    }
    Ok(Case {
        pairing,
        baseline_secs: best_base.0,
        assay_secs: best_assay.0,
        ratio: best_assay.0 / best_base.0,
        baseline_peak_rss_mib: best_base.1,
        lean_secs: best_lean.0,
        lean_ratio: best_assay.0 / best_lean.0,
        lean_peak_rss_mib: best_lean.1,
        assay_peak_rss_mib: best_assay.1,
        explain_secs: best_explain.0,
        explain_ratio: best_explain.0 / best_assay.0,
        explain_peak_rss_mib: best_explain.1,
        found: found.expect("at least one run"),
    })
}

pub(crate) fn write_lineitem(path: &Path, scale: f64) -> Result<()> {
    let partial = path.with_extension("csv.partial");
    let file = std::fs::File::create(&partial)
        .io_context(|| format!("cannot create {}", partial.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let write_err = |e: std::io::Error| Error::Runtime(format!("{}: {e}", partial.display()));
    writeln!(out, "{}", LineItemCsv::header()).map_err(write_err)?;
    for line in LineItemGenerator::new(scale, 1, 1).iter() {
        writeln!(out, "{}", LineItemCsv::new(line)).map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    drop(out);
    std::fs::rename(&partial, path).io_context(|| format!("cannot write {}", path.display()))
}

/// legacy.lineitem = the CSV with TPC-H's own types (money as DECIMAL(15,2)); gold.lineitem
/// = it with `changes` rows altered: a third get a new price, a third are deleted, a third
/// are added under keys the legacy side does not have. The Parquet file holds gold's rows.
pub(crate) fn build_sides(exe: &Path, sides: &Sides, changes: i64) -> Result<(i64, Planted)> {
    let each = (changes / 3).max(1);
    let pick = |n: i64, salt: i64| {
        format!(
            "(l_orderkey, l_linenumber) IN (SELECT (l_orderkey, l_linenumber) FROM gold.lineitem \
             ORDER BY hash(l_orderkey * 7 + l_linenumber + {salt}) LIMIT {n})"
        )
    };
    let money = ["l_quantity", "l_extendedprice", "l_discount", "l_tax"]
        .map(|c| format!("'{c}': 'DECIMAL(15,2)'"))
        .join(", ");
    let statements = [
        format!(
            "CREATE TABLE legacy.lineitem AS SELECT * FROM read_csv({}, types = {{{money}}})",
            literal(&sides.csv.to_string_lossy())
        ),
        "CREATE TABLE gold.lineitem AS SELECT * FROM legacy.lineitem".into(),
        format!(
            "UPDATE gold.lineitem SET l_extendedprice = l_extendedprice + 1 WHERE {}",
            pick(each, 1)
        ),
        format!("DELETE FROM gold.lineitem WHERE {}", pick(each, 2)),
        format!(
            "INSERT INTO gold.lineitem SELECT * REPLACE (-l_orderkey AS l_orderkey) FROM gold.lineitem WHERE {}",
            pick(each, 3)
        ),
        format!(
            "COPY gold.lineitem TO {} (FORMAT parquet)",
            literal(&sides.parquet.to_string_lossy())
        ),
        "SELECT count(*) AS n FROM gold.lineitem".into(),
    ];
    // Each in a child process: this process stays small, and a child measured later
    // inherits no peak memory from it (Linux counts a parent's peak at fork in the child's).
    let mut last = String::new();
    for statement in &statements {
        let out = Command::new(exe)
            .current_dir(&sides.ws)
            .args(["sql", statement, "--format", "csv"])
            .output()
            .io_context(|| format!("cannot run {}", exe.display()))?;
        if !out.status.success() {
            return Err(Error::Runtime(format!(
                "preparing the sides: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        last = String::from_utf8_lossy(&out.stdout).to_string();
    }
    let rows = last
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| Error::Runtime(format!("no row count in {last:?}")))?;
    Ok((
        rows,
        Planted {
            changed: each,
            only_legacy: each,
            only_new: each,
        },
    ))
}

/// The columns both sides have.
const COLUMNS: [&str; 16] = [
    "l_orderkey",
    "l_partkey",
    "l_suppkey",
    "l_linenumber",
    "l_quantity",
    "l_extendedprice",
    "l_discount",
    "l_tax",
    "l_returnflag",
    "l_linestatus",
    "l_shipdate",
    "l_commitdate",
    "l_receiptdate",
    "l_shipinstruct",
    "l_shipmode",
    "l_comment",
];

/// The fastest honest statement a competent analyst would write for the figures a user
/// reads: each side read once, straight into one full outer join on the key, which gives the
/// totals (every row is on one joined row when keys are unique, as they are here), the row
/// counts, the four row classes and each column's differing values. No materialised CTE and
/// no duplicate-key scans: the analyst who knows the keys are unique need not pay for them
/// (assay does not know it, and checks).
fn lean_sql(a: &str, b: &str) -> String {
    let differs = |c: &str| format!("NOT (a.{c} IS NOT DISTINCT FROM b.{c})");
    let same = COLUMNS
        .iter()
        .map(|c| format!("a.{c} IS NOT DISTINCT FROM b.{c}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let per_column = COLUMNS
        .iter()
        .map(|c| {
            format!(
                "count(*) FILTER (WHERE a.l_orderkey IS NOT NULL AND b.l_orderkey IS NOT NULL AND {}) AS differ_{c}",
                differs(c)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT sum(a.l_extendedprice) AS legacy_price, sum(b.l_extendedprice) AS new_price, \
                sum(a.l_quantity) AS legacy_qty, sum(b.l_quantity) AS new_qty, \
                count(a.l_orderkey) AS legacy_rows, count(b.l_orderkey) AS new_rows, \
                count(*) FILTER (WHERE a.l_orderkey IS NOT NULL AND b.l_orderkey IS NOT NULL AND {same}) AS matched, \
                count(*) FILTER (WHERE a.l_orderkey IS NOT NULL AND b.l_orderkey IS NOT NULL AND NOT ({same})) AS changed, \
                count(*) FILTER (WHERE b.l_orderkey IS NULL) AS only_legacy, \
                count(*) FILTER (WHERE a.l_orderkey IS NULL) AS only_new, {per_column} \
         FROM {a} AS a FULL OUTER JOIN {b} AS b \
           ON a.l_orderkey = b.l_orderkey AND a.l_linenumber = b.l_linenumber"
    )
}

/// What a competent analyst would write by hand for the same figures: totals, row counts,
/// duplicate keys and the four row classes over one full outer join.
fn baseline_sql(a: &str, b: &str) -> String {
    // A CSV is parsed once, as a user would have it; a table or Parquet file is read where
    // it is each time it is needed.
    let materialized = if a.starts_with("read_csv") {
        "MATERIALIZED"
    } else {
        "NOT MATERIALIZED"
    };
    let equal = COLUMNS
        .iter()
        .map(|c| format!("a.{c} IS NOT DISTINCT FROM b.{c}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    format!(
        "WITH a AS {materialized} (SELECT * FROM {a}), b AS (SELECT * FROM {b}), \
         j AS (SELECT a.l_orderkey IS NOT NULL AS in_a, b.l_orderkey IS NOT NULL AS in_b, {equal} AS same \
               FROM a FULL OUTER JOIN b ON a.l_orderkey = b.l_orderkey AND a.l_linenumber = b.l_linenumber) \
         SELECT (SELECT sum(l_extendedprice) FROM a) AS legacy_price, (SELECT sum(l_extendedprice) FROM b) AS new_price, \
                (SELECT sum(l_quantity) FROM a) AS legacy_qty, (SELECT sum(l_quantity) FROM b) AS new_qty, \
                (SELECT count(*) FROM a) AS legacy_rows, (SELECT count(*) FROM b) AS new_rows, \
                (SELECT count(*) FROM (SELECT l_orderkey, l_linenumber FROM a GROUP BY ALL HAVING count(*) > 1)) AS dup_a, \
                (SELECT count(*) FROM (SELECT l_orderkey, l_linenumber FROM b GROUP BY ALL HAVING count(*) > 1)) AS dup_b, \
                count(*) FILTER (WHERE in_a AND in_b AND same) AS matched, \
                count(*) FILTER (WHERE in_a AND in_b AND NOT same) AS changed, \
                count(*) FILTER (WHERE in_a AND NOT in_b) AS only_legacy, \
                count(*) FILTER (WHERE in_b AND NOT in_a) AS only_new FROM j"
    )
}

/// Run the binary in `ws`; (seconds, its peak RSS in MiB, its stdout).
fn timed(
    exe: &PathBuf,
    ws: &Path,
    args: &[&str],
    memory_limit: Option<&str>,
) -> Result<(f64, f64, String)> {
    let mut command = Command::new(exe);
    command.current_dir(ws).args(args);
    if let Some(limit) = memory_limit {
        command.env("ASSAY_MEMORY_LIMIT", limit);
    }
    let start = Instant::now();
    let out = run_measured(&mut command)?;
    let secs = start.elapsed().as_secs_f64();
    // Exit 1 is "out of tolerance", the expected outcome of a compare with planted changes.
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(Error::Runtime(format!(
            "`assay {}` failed: {}",
            args[0], out.stderr
        )));
    }
    Ok((secs, out.peak_rss_mib, out.stdout))
}

fn read_found(json: &str) -> Result<Found> {
    let v: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| Error::Runtime(format!("the compare printed no report: {e}")))?;
    let r = &v["adhoc"];
    let n = |k: &str| r["rows"][k].as_i64().unwrap_or(-1);
    Ok(Found {
        changed: n("changed"),
        only_legacy: n("only_legacy"),
        only_new: n("only_new"),
        delta: exact_delta(json).unwrap_or_default(),
    })
}

/// The first measure's delta as the report's own decimal text (a `Value` would make it a
/// float).
fn exact_delta(json: &str) -> Option<String> {
    use serde_json::value::RawValue;
    type Fields = std::collections::BTreeMap<String, Box<RawValue>>;
    let reports: std::collections::BTreeMap<String, Fields> = serde_json::from_str(json).ok()?;
    let measures: Vec<Fields> =
        serde_json::from_str(reports.get("adhoc")?.get("measures")?.get()).ok()?;
    Some(measures.first()?.get("delta")?.get().to_string())
}
