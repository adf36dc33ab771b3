//! Lookups: another table whose matches may be what legacy selected rows by (a blocklist,
//! a returns file). A table of the workspace is named as it is (`bronze.returns`). A file
//! is read into `lookups.NAME`, a catalog kept in memory beside the cache (no process
//! writes the cache for it, and it outlives no connection), and rules name it so. A rule
//! saved from a file lookup keeps the file in the workspace's `rules/lookups/`; every
//! connection to the workspace reads those files into `lookups.*` again, so the rule works
//! in later processes, in `export` and, uploaded, on ClickHouse.

use std::path::{Path, PathBuf};

use std::sync::Mutex;

use duckdb::Connection;

use super::adhoc;
use super::relation::Relation;
use crate::config::CsvHints;
use crate::error::{Error, IoContext, Result};
use crate::sql::{ident, literal};
use crate::store::scratch::{self, Scratch};

/// The catalog (DuckDB) or database (ClickHouse, after the warehouse's prefix) of lookups.
pub const CATALOG: &str = "lookups";

/// Where a workspace keeps the files its rules' lookups read: `rules/lookups/`.
pub fn folder(root: &Path) -> PathBuf {
    root.join("rules").join(CATALOG)
}

/// The name a file is known by in rules: its stem in lower case, every other character
/// `_`, never starting with a digit (`Block list 2024.csv` → `block_list_2024`), so rules
/// write it as plain words every engine reads.
pub fn name_of(file: &Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "l_");
    }
    name
}

/// `lookups.NAME`, as a rule writes it.
pub fn table_of(name: &str) -> String {
    format!("{CATALOG}.{name}")
}

/// Reads `file` (relative to `base`, read as an ad hoc side is: CSV of any dialect,
/// Parquet, a spreadsheet…) into `lookups.NAME` on `conn`, beside the lookups it has
/// already. Its name and its columns.
pub fn define_file(conn: &Connection, file: &str, base: &Path) -> Result<(String, Relation)> {
    let name = name_of(Path::new(file));
    define(conn, &[(file.to_string(), base.to_path_buf())])?;
    let rel = Relation::describe(conn, &format!("{}.{}", ident(CATALOG), ident(&name)))?;
    Ok((name, rel))
}

/// The lookups databases attached now, by path: each removed when replaced.
static ATTACHED: Mutex<Vec<Scratch>> = Mutex::new(Vec::new());

/// Makes `lookups.*` on `conn` the tables it had plus `files` (each (file, base)). The
/// lookups are a DuckDB file of their own, written by a connection of its own and attached
/// read-only: a read-only cache connection may attach that (not an in-memory database), and
/// the cache itself is never written for them.
fn define(conn: &Connection, files: &[(String, PathBuf)]) -> Result<()> {
    let old: Option<String> = conn
        .query_row(
            "SELECT path FROM duckdb_databases() WHERE database_name = ?",
            [CATALOG],
            |r| r.get(0),
        )
        .ok();
    let fresh = Scratch::with_extension(&scratch::dir(conn), CATALOG, "duckdb")
        .map_err(|e| Error::Runtime(format!("a scratch file for lookups: {e}")))?;
    {
        let writer = Connection::open(fresh.path())?;
        let names: Vec<String> = files.iter().map(|(f, _)| name_of(Path::new(f))).collect();
        if let Some(old) = &old {
            carry_over(&writer, old, &names)?;
        }
        for ((file, base), name) in files.iter().zip(&names) {
            let role = format!("lookup_{name}");
            let side = adhoc::side(&writer, file, base, &role, &CsvHints::default())
                .map_err(|e| Error::Usage(format!("lookup {file}: {e}")))?;
            // Copied, not viewed: the side's scratch file is gone when the side is dropped.
            writer.execute_batch(&format!(
                "CREATE OR REPLACE TABLE main.{} AS SELECT * FROM {}",
                ident(name),
                side.relation.sql
            ))?;
        }
    }
    if old.is_some() {
        conn.execute_batch(&format!("DETACH {}", ident(CATALOG)))?;
    }
    conn.execute_batch(&format!(
        "ATTACH {} AS {} (READ_ONLY)",
        literal(&fresh.path().to_string_lossy()),
        ident(CATALOG)
    ))?;
    let mut attached = ATTACHED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(old) = &old {
        attached.retain(|s| s.path() != Path::new(old));
    }
    attached.push(fresh);
    Ok(())
}

/// Copies the tables of the lookups database `old` into `writer`'s, but `replaced`.
fn carry_over(writer: &Connection, old: &str, replaced: &[String]) -> Result<()> {
    writer.execute_batch(&format!("ATTACH {} AS old (READ_ONLY)", literal(old)))?;
    let mut stmt = writer.prepare(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'old' AND schema_name = 'main'",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    for t in tables.iter().filter(|t| !replaced.contains(t)) {
        writer.execute_batch(&format!(
            "CREATE TABLE main.{t} AS SELECT * FROM old.main.{t}",
            t = ident(t)
        ))?;
    }
    writer.execute_batch("DETACH old")?;
    Ok(())
}

/// The files a workspace's rules keep (`rules/lookups/*`), in name order.
pub fn kept(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = folder(root);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).io_context(|| dir.display().to_string()),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Reads every file the workspace's rules keep into `lookups.*` on `conn`: what a rule
/// accepted from a file lookup reads in any later process. Their names.
pub fn define_kept(conn: &Connection, root: &Path) -> Result<Vec<String>> {
    let files = kept(root)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let given: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| (f.to_string_lossy().to_string(), root.to_path_buf()))
        .collect();
    define(conn, &given)?;
    Ok(files.iter().map(|f| name_of(f)).collect())
}

/// What a long-lived connection last read of `rules/lookups/`: read again only when a file
/// was added, changed or removed (a rule was saved from a file lookup meanwhile).
#[derive(Debug, Default)]
pub struct Kept {
    seen: Option<Vec<(PathBuf, u64, Option<std::time::SystemTime>)>>,
}

impl Kept {
    /// Defines the workspace's kept lookups on `conn` if they changed since last time.
    pub fn refresh(&mut self, conn: &Connection, root: &Path) -> Result<()> {
        let now: Vec<_> = kept(root)?
            .into_iter()
            .map(|f| {
                let meta = std::fs::metadata(&f).ok();
                let size = meta.as_ref().map_or(0, |m| m.len());
                let modified = meta.and_then(|m| m.modified().ok());
                (f, size, modified)
            })
            .collect();
        if self.seen.as_ref() == Some(&now) {
            return Ok(());
        }
        define_kept(conn, root)?;
        self.seen = Some(now);
        Ok(())
    }
}

/// Keeps `file` in the workspace's `rules/lookups/` (a rule naming it was saved), under
/// its own file name. The same content there already: nothing to do; another file of that
/// name: an error, rather than change what an accepted rule reads.
pub fn keep(root: &Path, file: &Path) -> Result<PathBuf> {
    let dir = folder(root);
    let name = file
        .file_name()
        .ok_or_else(|| Error::Usage(format!("lookup {}: not a file", file.display())))?;
    let target = dir.join(name);
    let content = std::fs::read(file).io_context(|| file.display().to_string())?;
    match std::fs::read(&target) {
        Ok(there) if there == content => return Ok(target),
        Ok(_) => {
            return Err(Error::Usage(format!(
                "lookup {}: {} already holds another file of that name; rename one of them",
                file.display(),
                target.display()
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).io_context(|| target.display().to_string()),
    }
    std::fs::create_dir_all(&dir).io_context(|| dir.display().to_string())?;
    // Written beside and renamed, so a reader never sees half a lookup.
    let part = dir.join(format!(".{}.part", name.to_string_lossy()));
    std::fs::write(&part, &content).io_context(|| part.display().to_string())?;
    std::fs::rename(&part, &target).io_context(|| target.display().to_string())?;
    Ok(target)
}

/// A rule's lookup condition: the new-side columns' values among the lookup's
/// (`"customer_id" IN (SELECT "client_no" FROM lookups.blocklist)`). `IN` over a subquery,
/// not a correlated `EXISTS`, so ClickHouse runs it too; the table as plain words where it
/// can be, so the warehouse's layer prefix finds it.
pub fn condition(table: &str, on: &[(String, String)]) -> String {
    let list =
        |f: &dyn Fn(&(String, String)) -> String| on.iter().map(f).collect::<Vec<_>>().join(", ");
    let (new, theirs) = (list(&|(n, _)| ident(n)), list(&|(_, x)| ident(x)));
    let new = match on.len() {
        1 => new,
        _ => format!("({new})"),
    };
    format!("{new} IN (SELECT {theirs} FROM {})", plain_table(table))
}

/// `bronze.returns` as it is when both parts are plain words; quoted otherwise.
fn plain_table(table: &str) -> String {
    let plain = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if table.split('.').all(plain) {
        table.to_string()
    } else {
        crate::sql::qualified(table)
    }
}

/// SQL reading whether a joined row's values (`values`, one per `on` pair) have a match in
/// the lookup, as text (`true`/`false`) for explain's cube. A NULL matches nothing, as in
/// the rule's `IN`, so the cube counts the rows the rule will select.
pub fn matched_sql(table: &str, on: &[(String, String)], values: &[String]) -> String {
    let on: Vec<String> = on
        .iter()
        .zip(values)
        .map(|((_, x), v)| format!("l.{} = {v}", ident(x)))
        .collect();
    format!(
        "CAST(coalesce(EXISTS (SELECT 1 FROM {} AS l WHERE {}), false) AS VARCHAR)",
        plain_table(table),
        on.join(" AND ")
    )
}

/// The path of a lookup as given, resolved against `base` (for copying it).
pub fn resolve(base: &Path, given: &str) -> PathBuf {
    let p = Path::new(given);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_plain_words() {
        assert_eq!(
            name_of(Path::new("/x/Block list 2024.csv")),
            "block_list_2024"
        );
        assert_eq!(name_of(Path::new("2024.csv")), "l_2024");
        assert_eq!(name_of(Path::new("returns.parquet")), "returns");
    }

    #[test]
    fn conditions_name_the_lookup_as_given() {
        let on = vec![("customer_id".to_string(), "client_no".to_string())];
        assert_eq!(
            condition("lookups.blocklist", &on),
            "\"customer_id\" IN (SELECT \"client_no\" FROM lookups.blocklist)"
        );
        let two = vec![
            ("ticket".to_string(), "t".to_string()),
            ("item".to_string(), "i".to_string()),
        ];
        assert_eq!(
            condition("bronze.returns", &two),
            "(\"ticket\", \"item\") IN (SELECT \"t\", \"i\" FROM bronze.returns)"
        );
        assert_eq!(
            condition("bronze.my returns", &on),
            "\"customer_id\" IN (SELECT \"client_no\" FROM \"bronze\".\"my returns\")"
        );
    }

    #[test]
    fn a_kept_file_is_copied_once_and_never_replaced_by_another() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("blocklist.csv");
        std::fs::write(&src, "client_no\n7\n").unwrap();
        let root = dir.path().join("ws");
        let kept_at = keep(&root, &src).unwrap();
        assert_eq!(kept_at, folder(&root).join("blocklist.csv"));
        assert_eq!(keep(&root, &src).unwrap(), kept_at);
        std::fs::write(&src, "client_no\n8\n").unwrap();
        let e = keep(&root, &src).unwrap_err().to_string();
        assert!(e.contains("already holds another file"), "{e}");
        assert_eq!(std::fs::read_to_string(&kept_at).unwrap(), "client_no\n7\n");
        assert_eq!(kept(&root).unwrap(), vec![kept_at]);
    }

    #[test]
    fn kept_files_are_tables_of_the_lookups_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(folder(root)).unwrap();
        std::fs::write(folder(root).join("blocklist.csv"), "client_no\n7\n9\n").unwrap();
        // A cache opened read-only, as a compare opens it: it may not attach an in-memory
        // database, and must not be written.
        let cache = root.join("cache.duckdb");
        drop(Connection::open(&cache).unwrap());
        let read_only = duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap();
        let conn = Connection::open_with_flags(&cache, read_only).unwrap();
        assert_eq!(
            define_kept(&conn, root).unwrap(),
            vec!["blocklist".to_string()]
        );
        // Another lookup joins the ones there.
        std::fs::write(root.join("vip.csv"), "id\n1\n").unwrap();
        let (name, rel) = define_file(&conn, "vip.csv", root).unwrap();
        assert_eq!((name.as_str(), rel.columns.len()), ("vip", 1));
        let both: i64 = conn
            .query_row(
                "SELECT (SELECT count(*) FROM lookups.blocklist) + (SELECT count(*) FROM lookups.vip)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(both, 3);
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM range(12) t(customer_id) WHERE customer_id IN (SELECT client_no FROM lookups.blocklist)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
        // Two columns at once, as a rule on a composite key writes it.
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM (SELECT 7 AS a, 7 AS b UNION ALL SELECT 7, 8) t WHERE (a, b) IN (SELECT client_no, client_no FROM lookups.blocklist)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }
}
