//! `assay bench tui`: time to first frame, keypress → frame latency for scrolling and
//! sorting on a 6M-row and a 60M-row table, and drill steps on a 6M-row comparison, through
//! the real update loop rendering into a TestBackend. The tables are made by a child
//! process first, so this process's peak memory is the workbench's alone.

use std::path::Path;
use std::process::Command as Process;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::recon::report::Spec;
use crate::recon::workbench::DrillBase;
use crate::recon::{Relation, Rules};
use assay_workbench::app::Command;
use assay_workbench::harness::Harness;
use assay_workbench::theme::Theme;

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

fn latency(mut ms: Vec<f64>) -> Latency {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    Latency {
        samples: ms.len(),
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        max_ms: *ms.last().unwrap_or(&0.0),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TableBench {
    pub rows: i64,
    pub open_ms: f64,
    /// Key → frame drawn (pages arrive later, as in the real loop).
    pub scroll_frame: Latency,
    /// Key → frame with the rows in it (a page fetched inline when one was needed).
    pub scroll_rows: Latency,
    pub page_down_rows: Latency,
    pub jump_to_end_ms: f64,
    pub sort_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TuiBench {
    pub first_frame_ms: f64,
    pub tables: Vec<TableBench>,
    pub drill_rows: i64,
    /// Classifying the 6M-row join once, when a comparison opens.
    pub drill_prepare_ms: f64,
    pub drill_step: Latency,
    /// The rules lab's toggle on the same comparison: the waterfall of a new what-if (the
    /// numbers the Rules screen shows first).
    pub rules_toggle: Latency,
    /// The toggle with the Rules screen's causes of what is left: the waterfall, then the
    /// rules applied and explain over them (no report).
    pub rules_toggle_causes: Latency,
    /// The toggle as Compare and Drill follow it: the waterfall, then the comparison made
    /// again through the rules (report, classified drill table) and the causes of what is left.
    pub rules_toggle_compared: Latency,
    pub peak_rss_mib: f64,
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Create the workspace and its tables with a child `assay sql` (its memory is not ours).
fn prepare(dir: &Path, sizes: &[i64], drill_rows: i64, log: &dyn Fn(&str)) -> Result<()> {
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).io_context(|| format!("cannot create {}", ws.display()))?;
    std::fs::write(ws.join("assay.toml"), "[workspace]\nname = \"bench\"\n")
        .io_context(|| "cannot write the bench workspace".into())?;
    let exe = crate::measure::assay_binary()?;
    let mut statements = Vec::new();
    for n in sizes {
        statements.push(format!(
            "CREATE OR REPLACE TABLE gold.rows_{n} AS SELECT i AS id, 'C' || (i % 8) AS company, \
             'B' || (i % 13) AS branch, ['SALE','RETURN','CANCELLED','INTERCOMPANY'][i % 4 + 1] AS invoice_type, \
             DATE '2023-01-01' + CAST(i % 730 AS INTEGER) AS invoice_date, round((i * 7919) % 100000 / 100.0, 2) AS amount, \
             'customer ' || (i % 50000) AS customer FROM range({n}) r(i)"
        ));
    }
    let sales = format!(
        "SELECT i AS invoice_id, 'C' || (i % 8) AS company, 'B' || (i % 13) AS branch, \
         ['SALE','RETURN','CANCELLED','INTERCOMPANY'][i % 4 + 1] AS invoice_type, \
         strftime(DATE '2023-01-01' + CAST(i % 730 AS INTEGER), '%Y-%m') AS month, round((i * 7919) % 100000 / 100.0, 2) AS amount \
         FROM range({drill_rows}) r(i)"
    );
    // Legacy left out cancelled invoices and a few hundred amounts differ.
    statements.push(format!(
        "CREATE OR REPLACE TABLE legacy.bench_sales AS SELECT * REPLACE (CASE WHEN invoice_id % 20011 = 0 THEN amount + 1 ELSE amount END AS amount) \
         FROM ({sales}) WHERE invoice_type <> 'CANCELLED'"
    ));
    statements.push(format!(
        "CREATE OR REPLACE TABLE gold.bench_sales AS {sales}"
    ));
    for s in statements {
        log(&format!(
            "preparing: {}",
            s.chars().take(60).collect::<String>()
        ));
        let out = Process::new(&exe)
            .current_dir(&ws)
            .args(["sql", &s, "--format", "csv"])
            .output()
            .io_context(|| "cannot run assay sql".into())?;
        if !out.status.success() {
            return Err(Error::Runtime(format!(
                "preparing the bench tables: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
    }
    Ok(())
}

pub fn tui_bench(
    dir: &Path,
    sizes: &[i64],
    drill_rows: i64,
    log: &dyn Fn(&str),
) -> Result<TuiBench> {
    prepare(dir, sizes, drill_rows, log)?;
    let ws = dir.join("ws");
    log("first frame");
    let start = Instant::now();
    let mut h = Harness::open_deferred(&ws, 80, 24, Theme::built_in("dark"))?;
    h.render();
    let first_frame_ms = ms(start);
    h.memory_limit(assay_workbench::DEFAULT_MEMORY_LIMIT)?;
    let pending = h.take_pending();
    h.run(pending);

    let mut tables = Vec::new();
    for n in sizes {
        log(&format!("grid on {n} rows"));
        tables.push(table_bench(&mut h, *n)?);
    }

    log(&format!("drill on {drill_rows} rows"));
    // On the workbench's own database (one buffer pool, the 256MB cap).
    let lease = h.lane_lease(assay_workbench::jobs::Lane::Compare)?;
    let conn = lease.conn();
    let spec = Spec {
        legacy: Relation::describe(conn, "legacy.bench_sales")?,
        new: Relation::describe(conn, "gold.bench_sales")?,
        keys: vec!["invoice_id".into()],
        map: Vec::new(),
        measures: vec!["amount".into()],
        dimensions: vec![
            "company".into(),
            "branch".into(),
            "invoice_type".into(),
            "month".into(),
        ],
        skip: Vec::new(),
        dimension_candidates: None,
        personal: Vec::new(),
        rules: Rules::default(),
    };
    let start = Instant::now();
    let base = DrillBase::build(conn, spec, "amount", "bench_drill")?;
    let drill_prepare_ms = ms(start);
    let mut steps = Vec::new();
    for round in 0..5 {
        let mut path = Vec::new();
        for by in 0..base.dimensions.len() {
            let start = Instant::now();
            let rows = base.drill(conn, &path, by)?;
            steps.push(ms(start));
            let pick = rows
                .get(round % rows.len().max(1))
                .and_then(|r| r.value.clone());
            path.push((by, pick));
        }
    }
    log("rules toggles on the same comparison");
    let (rules_toggle, rules_toggle_causes, rules_toggle_compared) =
        toggles(conn, &base.spec, &ws)?;
    Ok(TuiBench {
        first_frame_ms,
        tables,
        drill_rows: base.rows,
        drill_prepare_ms,
        drill_step: latency(steps),
        rules_toggle,
        rules_toggle_causes,
        rules_toggle_compared,
        peak_rss_mib: crate::measure::peak_rss_mib(),
    })
}

/// Two rules (legacy's exclusion of cancelled invoices, and the re-keyed amounts), toggled
/// through every what-if: the waterfall alone, then with the comparison made again through
/// the rules and the causes of what they leave (as the workbench's Compare and Drill do).
fn toggles(
    conn: &duckdb::Connection,
    spec: &Spec,
    ws: &Path,
) -> Result<(Latency, Latency, Latency)> {
    use crate::recon::explain::{explain, Options};
    use crate::recon::report::compare;
    use crate::recon::reshape::Reshape;
    use crate::rules::{path_of, waterfall_of, AsLegacy, RulesFile, Which};
    let path = path_of(ws, "bench");
    std::fs::create_dir_all(path.parent().expect("rules/"))
        .io_context(|| "cannot create rules/".into())?;
    std::fs::write(
        &path,
        "[[rule]]\nname = \"no-cancelled\"\nkind = \"exclude\"\nwhere = \"invoice_type = 'CANCELLED'\"\n\n\
         [[rule]]\nname = \"re-keyed\"\nkind = \"adjust\"\nwhere = \"invoice_id % 20011 = 0\"\nset = { amount = \"amount + 1\" }\n",
    )
    .io_context(|| format!("cannot write {}", path.display()))?;
    let file = RulesFile::load(&path)?;
    let m = spec.measure_pairs()?.remove(0);
    let sets: [&[&str]; 4] = [
        &["no-cancelled"],
        &["no-cancelled", "re-keyed"],
        &["re-keyed"],
        &[],
    ];
    let which = |s: &[&str]| Which::Named(s.iter().map(|x| x.to_string()).collect());
    let (mut plain, mut full) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for s in sets {
            let start = Instant::now();
            waterfall_of(conn, spec, ("bench", &m), &file, &which(s))?;
            plain.push(ms(start));
        }
    }
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let opts = Options {
        top: 12,
        ..Options::default()
    };
    // What every toggle does first: the waterfall, and the rules applied to the new side.
    let numbers_and_rules = |s: &[&str]| -> Result<Spec> {
        waterfall_of(conn, spec, ("bench", &m), &file, &which(s))?;
        let as_legacy = AsLegacy::new(&file, &which(s), "bench", "gold.bench");
        Ok(Spec {
            new: as_legacy.in_cache(conn, &spec.new, &keys)?,
            ..spec.clone()
        })
    };
    let mut causes = Vec::new();
    for s in sets {
        let start = Instant::now();
        let through = numbers_and_rules(s)?;
        explain(conn, &through, &m.name, &opts)?;
        causes.push(ms(start));
    }
    for s in sets {
        let start = Instant::now();
        let through = numbers_and_rules(s)?;
        compare(conn, &through)?;
        let base = DrillBase::build(conn, through, &m.name, "bench_what_if")?;
        explain(conn, &base.spec, &base.measure, &opts)?;
        full.push(ms(start));
    }
    Ok((latency(plain), latency(causes), latency(full)))
}

fn table_bench(h: &mut Harness, n: i64) -> Result<TableBench> {
    let label = format!("gold.rows_{n}");
    h.press("2");
    let at = h
        .app
        .get::<assay_workbench::screens::layers::LayersScreen>()
        .tables
        .iter()
        .position(|t| t.label() == label)
        .ok_or_else(|| Error::Runtime(format!("{label} is not in the catalog")))?;
    let layers = h
        .app
        .get_mut::<assay_workbench::screens::layers::LayersScreen>();
    layers.cursor = at;
    layers.grid = None;
    let start = Instant::now();
    h.press("enter");
    h.render();
    let open_ms = ms(start);
    let (mut frame, mut rows, mut page_down) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..2000 {
        let code = if i % 500 < 480 {
            KeyCode::Down
        } else {
            KeyCode::Up
        };
        // Key → frame, as the real loop does it: handle, draw; jobs go to the worker.
        let start = Instant::now();
        let commands = h.key_deferred(key(code));
        h.render();
        frame.push(ms(start));
        // And until the rows are on screen: any page it asked for, fetched now.
        let start = Instant::now();
        run_jobs(h, commands);
        h.render();
        rows.push(frame.last().copied().unwrap_or(0.0) + ms(start));
    }
    for _ in 0..200 {
        let start = Instant::now();
        let commands = h.key_deferred(key(KeyCode::PageDown));
        run_jobs(h, commands);
        h.render();
        page_down.push(ms(start));
    }
    let start = Instant::now();
    h.press("G");
    h.render();
    let jump_to_end_ms = ms(start);
    let start = Instant::now();
    h.press("g l l l l l s");
    h.render();
    let sort_ms = ms(start);
    h.press("backspace");
    Ok(TableBench {
        rows: n,
        open_ms,
        scroll_frame: latency(frame),
        scroll_rows: latency(rows),
        page_down_rows: latency(page_down),
        jump_to_end_ms,
        sort_ms,
    })
}

fn run_jobs(h: &mut Harness, commands: Vec<Command>) {
    if commands.iter().any(|c| matches!(c, Command::Run(_))) {
        h.run(commands);
    }
}
