//! CSV → bronze and PostgreSQL → bronze throughput, against DuckDB's own
//! `INSERT INTO … SELECT * FROM read_csv(…)` and `COPY … TO STDOUT` loaded into DuckDB.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use duckdb::Connection;
use serde::Serialize;

use crate::config::Workspace;
use crate::demo::{self, DemoOptions};
use crate::error::{Error, IoContext, Result};
use crate::sql::literal;
use crate::store::Store;
use assay_engine::extract::{self, Cancel, Selection};

#[derive(Debug, Clone, Serialize)]
pub struct ExtractBench {
    pub rows: i64,
    pub csv_bytes: u64,
    pub csv_baseline_secs: f64,
    pub csv_assay_secs: f64,
    /// Throughput ratio assay / baseline (1.0 = as fast as DuckDB alone).
    pub csv_ratio: f64,
    pub postgres_baseline_secs: Option<f64>,
    pub postgres_assay_secs: Option<f64>,
    pub postgres_ratio: Option<f64>,
    pub peak_rss_mib: f64,
}

fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// Build a one-company workspace in `dir` whose invoice lines (about `rows`) sit in one
/// CSV file and, when `postgres` is given (a libpq connection string), in a PostgreSQL table.
pub fn extract_bench(
    dir: &Path,
    rows: u64,
    postgres: Option<&str>,
    log: &dyn Fn(&str),
) -> Result<ExtractBench> {
    std::fs::create_dir_all(dir).io_context(|| format!("cannot create {}", dir.display()))?;
    let demo_dir = dir.join("demo");
    log(&format!("generating {rows} invoice lines"));
    demo::generate(
        &demo_dir,
        &DemoOptions {
            seed: 1,
            rows,
            force: true,
            ..DemoOptions::default()
        },
        &mut |_, _| {},
    )?;
    let csv = dir.join("lines.csv");
    {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(&format!(
            "ATTACH {} AS src (READ_ONLY); COPY (SELECT * FROM src.invoice_lines) TO {} (HEADER, DELIMITER ',')",
            literal(&demo_dir.join("sources/erp.duckdb").to_string_lossy()),
            literal(&csv.to_string_lossy())
        ))?;
    }
    let csv_bytes = csv.metadata().map(|m| m.len()).unwrap_or(0);

    log("baseline: INSERT INTO … SELECT * FROM read_csv(…)");
    let (csv_baseline_secs, baseline_rows) = baseline_csv(dir, &csv)?;

    log("assay extract from the CSV");
    let ws_dir = write_workspace(dir, &csv, postgres)?;
    let ws = Workspace::load(&ws_dir)?;
    let csv_assay_secs = time_extract(&ws, "lines_csv")?;

    let (mut pg_base, mut pg_assay) = (None, None);
    if let Some(pg) = postgres {
        log("loading the rows into PostgreSQL");
        load_postgres(pg, &csv)?;
        log("baseline: COPY … TO STDOUT into DuckDB");
        pg_base = Some(baseline_postgres(dir, pg)?);
        log("assay extract from PostgreSQL");
        pg_assay = Some(time_extract(&ws, "lines_pg")?);
    }
    let ratio = |base: f64, ours: f64| if ours > 0.0 { base / ours } else { 0.0 };
    Ok(ExtractBench {
        rows: baseline_rows,
        csv_bytes,
        csv_baseline_secs,
        csv_assay_secs,
        csv_ratio: ratio(csv_baseline_secs, csv_assay_secs),
        postgres_baseline_secs: pg_base,
        postgres_assay_secs: pg_assay,
        postgres_ratio: pg_base.zip(pg_assay).map(|(b, a)| ratio(b, a)),
        peak_rss_mib: crate::measure::peak_rss_mib(),
    })
}

fn fresh_db(dir: &Path, name: &str) -> Result<(PathBuf, Connection)> {
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("duckdb.wal"));
    let conn = Connection::open(&path)?;
    Ok((path, conn))
}

fn baseline_csv(dir: &Path, csv: &Path) -> Result<(f64, i64)> {
    let (_, conn) = fresh_db(dir, "baseline_csv.duckdb")?;
    conn.execute_batch(&format!(
        "CREATE TABLE t AS SELECT * FROM read_csv({}, header = true) LIMIT 0",
        literal(&csv.to_string_lossy())
    ))?;
    let start = Instant::now();
    let n = conn.execute(
        &format!(
            "INSERT INTO t SELECT * FROM read_csv({}, header = true)",
            literal(&csv.to_string_lossy())
        ),
        [],
    )?;
    conn.execute_batch("CHECKPOINT")?;
    Ok((secs(start), n as i64))
}

fn write_workspace(dir: &Path, csv: &Path, postgres: Option<&str>) -> Result<PathBuf> {
    let ws = dir.join("ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).io_context(|| format!("cannot create {}", ws.display()))?;
    let mut cfg = format!(
        "[workspace]\nretention = 1\n\n[companies.bench]\nname = \"Bench\"\n\n\
         [sources.files]\nkind = \"files\"\nroot = {root:?}\n\n\
         [entities.lines_csv]\nsource = \"files\"\nfiles = {file:?}\nkeys = [\"invoice_id\", \"line_no\"]\n",
        root = csv.parent().unwrap_or(dir).display().to_string(),
        file = csv.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
    );
    if let Some(pg) = postgres {
        let cfg_pg = pg_settings(pg);
        cfg.push_str(&format!(
            "\n[sources.pg]\nkind = \"postgres\"\nhost = {:?}\nport = {}\ndatabase = {:?}\nuser = {:?}\n\n\
             [entities.lines_pg]\nsource = \"pg\"\nquery = \"SELECT * FROM assay_bench_lines\"\nkeys = [\"invoice_id\", \"line_no\"]\n",
            cfg_pg.0, cfg_pg.1, cfg_pg.2, cfg_pg.3
        ));
    }
    std::fs::write(ws.join("assay.toml"), cfg)
        .io_context(|| "cannot write the bench workspace".into())?;
    Ok(ws)
}

/// (host, port, dbname, user) from a `key=value` libpq string.
fn pg_settings(conn: &str) -> (String, u16, String, String) {
    let get = |key: &str, default: &str| {
        conn.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or(default)
            .to_string()
    };
    (
        get("host", "127.0.0.1"),
        get("port", "5432").parse().unwrap_or(5432),
        get("dbname", "postgres"),
        get("user", "postgres"),
    )
}

fn time_extract(ws: &Workspace, entity: &str) -> Result<f64> {
    let store = Store::open(&ws.cache_path())?;
    let start = Instant::now();
    let outcomes = extract::run(
        ws,
        &store,
        &Selection {
            companies: vec!["bench".into()],
            entities: vec![entity.into()],
            // The load is what is timed: read the files even when they have not changed.
            full_refresh: true,
        },
        &Cancel::default(),
        &|_| {},
    )?;
    store.conn().execute_batch("CHECKPOINT")?;
    let elapsed = secs(start);
    if let Some(e) = outcomes.iter().find_map(|o| o.error.clone()) {
        return Err(Error::Runtime(format!(
            "bench extract of {entity} failed: {e}"
        )));
    }
    Ok(elapsed)
}

fn load_postgres(pg: &str, csv: &Path) -> Result<()> {
    let mut client = postgres::Client::connect(pg, postgres::NoTls)
        .map_err(|e| Error::runtime("postgres", e))?;
    client
        .batch_execute(
            "DROP TABLE IF EXISTS assay_bench_lines; CREATE TABLE assay_bench_lines (company_id text, invoice_id text, \
             line_no int, product_id text, quantity int, unit_price numeric(12,2), net_amount numeric(14,2), tax_amount numeric(14,2))",
        )
        .map_err(|e| Error::runtime("postgres", e))?;
    let mut writer = client
        .copy_in("COPY assay_bench_lines FROM STDIN (FORMAT csv, HEADER true)")
        .map_err(|e| Error::runtime("postgres", e))?;
    let mut file =
        std::fs::File::open(csv).io_context(|| format!("cannot read {}", csv.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .io_context(|| format!("cannot read {}", csv.display()))?;
        if n == 0 {
            break;
        }
        writer
            .write_all(&buf[..n])
            .map_err(|e| Error::runtime("postgres copy", e))?;
    }
    writer
        .finish()
        .map_err(|e| Error::runtime("postgres copy", e))?;
    client
        .batch_execute("ANALYZE assay_bench_lines")
        .map_err(|e| Error::runtime("postgres", e))?;
    Ok(())
}

/// `COPY (SELECT …) TO STDOUT` into a file, then DuckDB's INSERT … read_csv: the way a
/// person would move the table by hand.
fn baseline_postgres(dir: &Path, pg: &str) -> Result<f64> {
    let (_, conn) = fresh_db(dir, "baseline_pg.duckdb")?;
    let start = Instant::now();
    let staged = dir.join("baseline_pg.csv");
    {
        let mut client = postgres::Client::connect(pg, postgres::NoTls)
            .map_err(|e| Error::runtime("postgres", e))?;
        let mut reader = client
            .copy_out("COPY (SELECT * FROM assay_bench_lines) TO STDOUT (FORMAT csv, HEADER true)")
            .map_err(|e| Error::runtime("postgres", e))?;
        let mut out = BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(&staged).io_context(|| "staging".into())?,
        );
        std::io::copy(&mut reader, &mut out).io_context(|| "copying from postgres".into())?;
        out.flush().io_context(|| "staging".into())?;
    }
    conn.execute_batch(&format!(
        "CREATE TABLE t AS SELECT * FROM read_csv({}, header = true); CHECKPOINT;",
        literal(&staged.to_string_lossy())
    ))?;
    let elapsed = secs(start);
    let _ = std::fs::remove_file(&staged);
    Ok(elapsed)
}
