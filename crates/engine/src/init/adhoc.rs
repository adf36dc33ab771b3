//! `assay tui --legacy … --new …`: a workspace made for two sides given ad hoc, so the
//! workbench's whole loop (Compare, Drill, causes, Rules, accepted differences, sign-off,
//! report) works on them with no config of the user's. The legacy side is a legacy export
//! as a configured workspace has one (its files read where they are, imported when they
//! change); the new side is loaded into the workspace's gold layer when it is opened, unless
//! its files are those it was loaded from last time.
//! The workspace lives in a folder of the user's cache, one per pair of sides and keys, so
//! the rules written there are found again when the same two sides are opened again.

use std::path::{Path, PathBuf};

use crate::config::{Company, Comparison, Config, CsvHints, LegacyExport, Tolerance, Workspace};
use crate::decimal::Exact;
use crate::error::{Error, IoContext, Result};
use crate::recon::adhoc;
use crate::sql::{ident, literal};
use crate::store::Store;

/// The comparison's name in the ad hoc workspace (its rules file: `rules/adhoc.toml`).
pub const COMPARISON: &str = "adhoc";
/// The one company both sides are taken as.
pub const COMPANY: &str = "all";
const EXPORT: &str = "legacy";

/// Two sides given on the command line, with every ad hoc setting of `compare`.
#[derive(Debug, Clone, Default)]
pub struct Sides {
    pub legacy: String,
    pub new: String,
    /// The folder relative paths are read from.
    pub base: PathBuf,
    pub keys: Vec<String>,
    pub measures: Vec<String>,
    pub dimensions: Vec<String>,
    /// (legacy column, new column) where the names differ.
    pub map: Vec<(String, String)>,
    pub tolerance: Exact,
    pub timezone: Option<String>,
    pub legacy_format: CsvHints,
    pub new_format: CsvHints,
}

/// The workspace made for `sides` under `home` (the user's cache folder for ad hoc
/// workspaces), with the new side loaded; and the new side's table.
pub fn open(sides: &Sides, home: &Path) -> Result<(Workspace, String)> {
    let legacy = legacy_files(sides)?;
    if sides.keys.is_empty() {
        return Err(Error::Usage(
            "--key: the ad hoc sides need key columns".into(),
        ));
    }
    let root = home.join(folder_name(sides, &legacy));
    std::fs::create_dir_all(&root)
        .io_context(|| format!("cannot create the ad hoc workspace {}", root.display()))?;
    let table = format!("gold.{}", table_name(&sides.new));
    let text = toml::to_string(&config(sides, &legacy, &table))
        .map_err(|e| Error::Runtime(format!("the ad hoc workspace's config: {e}")))?;
    let path = root.join(crate::config::CONFIG_FILE);
    std::fs::write(&path, text).io_context(|| format!("cannot write {}", path.display()))?;
    let ws = Workspace::load(&root)?;
    let loaded = ws.cache_path().with_file_name(LOADED);
    let now = fingerprint(sides, &table);
    let before = std::fs::read_to_string(&loaded).ok();
    let store = Store::open(&ws.cache_path())?;
    let same = now.is_some() && before == now && has_table(store.conn(), &table)?;
    if !same {
        // Forgotten first: a load that fails half-way is not taken for the files'.
        let _ = std::fs::remove_file(&loaded);
        load_new(store.conn(), sides, &table)?;
        if let Some(now) = &now {
            crate::rules::save::write_whole(&loaded, now)?;
        }
    }
    Ok((ws, table))
}

/// Beside the cache: what the new side was loaded from (see `fingerprint`).
const LOADED: &str = "adhoc-new-side";

/// The new side's files as they are now (each path, size and time of change) and how they
/// are read: opening the same unchanged files again skips reloading them (seconds on a
/// million rows). None for a table, which is read afresh every time.
fn fingerprint(sides: &Sides, table: &str) -> Option<String> {
    if !adhoc::is_files(&sides.new) {
        return None;
    }
    let path = Path::new(&sides.new);
    let pattern = match path.is_absolute() {
        true => path.to_path_buf(),
        false => sides.base.join(path),
    };
    let mut lines = vec![table.to_string(), format!("{:?}", sides.new_format)];
    for file in glob::glob(&pattern.to_string_lossy()).ok()?.flatten() {
        let meta = std::fs::metadata(&file).ok()?;
        let changed = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        let (size, nanos) = (meta.len(), changed.as_nanos());
        lines.push(format!("{}\u{0}{size}\u{0}{nanos}", file.display()));
    }
    (lines.len() > 2).then(|| format!("{:016x}\n", crate::rules::signed::fnv1a(&lines.join("\n"))))
}

fn has_table(conn: &duckdb::Connection, table: &str) -> Result<bool> {
    let (schema, name) = table.split_once('.').unwrap_or(("gold", table));
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// The legacy side as a glob legacy imports read: files of a kind legacy exports are
/// (CSV and other delimited text, spreadsheets, QVD, fixed width), absolute.
fn legacy_files(sides: &Sides) -> Result<String> {
    let lower = sides.legacy.to_ascii_lowercase();
    if lower.ends_with(".parquet") || lower.ends_with(".json") {
        return Err(Error::Usage(format!(
            "--legacy {}: the workbench takes a legacy side as legacy exports are written \
             (CSV, spreadsheets, QVD, fixed width); `assay compare` reads Parquet and JSON \
             legacy sides",
            sides.legacy
        )));
    }
    if crate::recon::adhoc_delta::table_dir(&sides.legacy, &sides.base).is_some() {
        return Err(Error::Usage(format!(
            "--legacy {}: a Delta table is not opened as a legacy side in the workbench yet; \
             `assay compare --legacy {} [--legacy-version N]` compares it, and a workspace \
             reads it as a `delta` source or a legacy export with `source`",
            sides.legacy, sides.legacy
        )));
    }
    if !adhoc::is_files(&sides.legacy) {
        return Err(Error::Usage(format!(
            "--legacy {}: the workbench opens files ad hoc; a table is compared in a \
             workspace (`assay init` proposes one)",
            sides.legacy
        )));
    }
    let path = Path::new(&sides.legacy);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        sides.base.join(path)
    };
    let pattern = absolute.to_string_lossy().to_string();
    let any = glob::glob(&pattern)
        .map_err(|e| Error::Usage(format!("--legacy: bad glob `{}`: {e}", sides.legacy)))?
        .filter_map(|p| p.ok())
        .any(|p| p.is_file());
    if !any {
        return Err(Error::Usage(format!("--legacy: no file matches {pattern}")));
    }
    Ok(pattern)
}

/// One folder per pair of sides and keys: `invoices-3f2a91c0d4e5b6a7`.
fn folder_name(sides: &Sides, legacy: &str) -> String {
    let new = match Path::new(&sides.new).is_absolute() {
        true => sides.new.clone(),
        false => sides.base.join(&sides.new).to_string_lossy().to_string(),
    };
    let text = format!("{legacy}\u{0}{new}\u{0}{}", sides.keys.join(","));
    let h = crate::rules::signed::fnv1a(&text);
    format!("{}-{h:016x}", table_name(&sides.legacy))
}

/// A table name from a side's file name: `exports/New Invoices.csv` → `new_invoices`.
fn table_name(side: &str) -> String {
    let stem = Path::new(side)
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let name = name.trim_matches('_').to_string();
    match name.chars().next() {
        None => "side".into(),
        Some(c) if c.is_ascii_digit() => format!("t_{name}"),
        Some(_) => name,
    }
}

fn config(sides: &Sides, legacy: &str, table: &str) -> Config {
    let mut config = Config::default();
    config.workspace.name = format!("ad hoc: {} ⇄ {}", sides.legacy, sides.new);
    config.companies.insert(
        COMPANY.into(),
        Company {
            name: "both sides, whole".into(),
            branches: Vec::new(),
        },
    );
    config.legacy.insert(
        EXPORT.into(),
        LegacyExport {
            files: legacy.to_string(),
            format: sides.legacy_format.clone(),
            ..LegacyExport::default()
        },
    );
    config.comparisons.insert(
        COMPARISON.into(),
        Comparison {
            legacy: EXPORT.into(),
            table: table.to_string(),
            keys: sides.keys.clone(),
            columns: sides.map.iter().cloned().collect(),
            measures: sides.measures.clone(),
            dimensions: sides.dimensions.clone(),
            tolerance: Tolerance::absolute(sides.tolerance),
            timezone: sides.timezone.clone(),
            fail_on: vec![crate::config::Gate::Measures],
            ..Comparison::default()
        },
    );
    config
}

/// The new side read as `compare` reads it (sniffed, checked, typed) and written to
/// `table` with the one company, replacing what an earlier opening loaded.
fn load_new(conn: &duckdb::Connection, sides: &Sides, table: &str) -> Result<()> {
    let side = adhoc::side(conn, &sides.new, &sides.base, "new", &sides.new_format)?;
    if let Some(c) = crate::drift::company_column(&side.relation.columns) {
        return Err(Error::Usage(format!(
            "--new {}: it has a `{c}` column; the workbench opens two sides ad hoc as one \
             company, so a file of several companies is compared in a workspace \
             (`assay init` proposes one)",
            sides.new
        )));
    }
    let (schema, name) = table.split_once('.').unwrap_or(("gold", table));
    let sql = format!(
        "CREATE OR REPLACE TABLE {}.{} AS SELECT *, {} AS {} FROM {}",
        ident(schema),
        ident(name),
        literal(COMPANY),
        ident("_company"),
        side.relation.sql
    );
    conn.execute_batch(&sql)
        .map_err(|e| Error::Runtime(format!("--new {}: loading it: {e}", sides.new)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `l.csv` against `n.csv` in `dir`, keyed by `id`, measuring `amount`.
    fn two_files(dir: &Path) -> Sides {
        Sides {
            legacy: "l.csv".into(),
            new: "n.csv".into(),
            base: dir.to_path_buf(),
            keys: vec!["id".into()],
            measures: vec!["amount".into()],
            ..Sides::default()
        }
    }

    #[test]
    fn names_come_from_the_files_and_the_folder_from_sides_and_keys() {
        assert_eq!(table_name("exports/New Invoices.csv"), "new_invoices");
        assert_eq!(table_name("2024.csv"), "t_2024");
        assert_eq!(table_name("***.csv"), "side");
        let a = Sides {
            legacy: "/d/legacy.csv".into(),
            new: "/d/new.parquet".into(),
            keys: vec!["id".into()],
            ..Sides::default()
        };
        let b = Sides {
            keys: vec!["id".into(), "line".into()],
            ..a.clone()
        };
        let (fa, fb) = (folder_name(&a, &a.legacy), folder_name(&b, &b.legacy));
        assert!(fa.starts_with("legacy-"), "{fa}");
        assert_ne!(fa, fb, "other keys, another workspace");
        assert_eq!(
            fa,
            folder_name(&a, &a.legacy),
            "the same sides find it again"
        );
    }

    /// Opening the same unchanged file again keeps the table it loaded; a changed file, or
    /// a cache that lost the table, loads it again.
    #[test]
    fn an_unchanged_new_side_is_not_loaded_again() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("l.csv"), "id,amount\n1,2.50\n").unwrap();
        std::fs::write(dir.path().join("n.csv"), "id,amount\n1,2.50\n").unwrap();
        let sides = two_files(dir.path());
        let home = dir.path().join("home");
        let rows = |ws: &Workspace, sql: &str| -> i64 {
            let store = Store::open(&ws.cache_path()).unwrap();
            store.conn().execute_batch(sql).unwrap();
            store
                .conn()
                .query_row("SELECT count(*) FROM gold.n", [], |r| r.get(0))
                .unwrap()
        };
        let (ws, table) = open(&sides, &home).unwrap();
        assert_eq!(table, "gold.n");
        // A row only the cache has: it stays while the file is the one loaded.
        let marked = "INSERT INTO gold.n VALUES (9, 1.00, 'all')";
        assert_eq!(rows(&ws, marked), 2);
        let (ws, _) = open(&sides, &home).unwrap();
        assert_eq!(rows(&ws, ""), 2, "the unchanged file was loaded again");
        // The file changes: loaded again.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.path().join("n.csv"), "id,amount\n1,2.50\n2,3.00\n").unwrap();
        let (ws, _) = open(&sides, &home).unwrap();
        assert_eq!(rows(&ws, ""), 2);
        assert_eq!(rows(&ws, "DELETE FROM gold.n WHERE id = 2"), 1);
        // The table is gone from the cache: loaded again though the file is the same.
        let store = Store::open(&ws.cache_path()).unwrap();
        store.conn().execute_batch("DROP TABLE gold.n").unwrap();
        drop(store);
        let (ws, _) = open(&sides, &home).unwrap();
        assert_eq!(rows(&ws, ""), 2);
    }

    #[test]
    fn the_config_written_loads_as_a_workspace() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("l.csv"), "id,amount\n1,2.50\n").unwrap();
        let sides = Sides {
            map: vec![("amount".into(), "total".into())],
            tolerance: Exact::parse("0.01").unwrap(),
            ..two_files(dir.path())
        };
        let legacy = legacy_files(&sides).unwrap();
        let text = toml::to_string(&config(&sides, &legacy, "gold.n")).unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join(crate::config::CONFIG_FILE), text).unwrap();
        let ws = Workspace::load(&root).unwrap();
        let cmp = &ws.config.comparisons[COMPARISON];
        assert_eq!(cmp.table, "gold.n");
        assert_eq!(cmp.columns["amount"], "total");
        assert_eq!(cmp.tolerance.absolute.to_string(), "0.01");
        assert_eq!(ws.config.legacy[EXPORT].files, legacy);
    }

    #[test]
    fn a_legacy_side_the_workbench_cannot_import_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let sides = |legacy: &str| Sides {
            legacy: legacy.into(),
            base: dir.path().to_path_buf(),
            ..Sides::default()
        };
        let err = legacy_files(&sides("old.parquet")).unwrap_err().to_string();
        assert!(err.contains("--legacy old.parquet"), "{err}");
        let err = legacy_files(&sides("gold.sales")).unwrap_err().to_string();
        assert!(err.contains("--legacy gold.sales"), "{err}");
        let err = legacy_files(&sides("missing.csv")).unwrap_err().to_string();
        assert!(err.contains("no file matches"), "{err}");
        // A Delta table's folder was named as a glob that matched no file.
        std::fs::create_dir_all(dir.path().join("lake/_delta_log")).unwrap();
        let err = legacy_files(&sides("lake")).unwrap_err().to_string();
        assert!(err.contains("--legacy lake: a Delta table"), "{err}");
        assert!(err.contains("assay compare --legacy lake"), "{err}");
    }
}
