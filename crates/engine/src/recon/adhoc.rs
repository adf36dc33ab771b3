//! Compares with no config: each side a file, a glob or a table of the workspace.

use std::path::Path;

use duckdb::Connection;

use super::relation::{is_numeric, Relation};
use super::report::Spec;
use crate::config::CsvHints;
use crate::error::{Error, Result};
use crate::legacy::check_watching;
use crate::legacy::figures;
use crate::sql::{ident, literal, qualified};

/// True when `side` names files rather than a `schema.table`.
pub fn is_files(side: &str) -> bool {
    let lower = side.to_ascii_lowercase();
    side.contains('/')
        || side.contains('*')
        || lower.ends_with(".csv")
        || lower.ends_with(".parquet")
        || lower.ends_with(".json")
        || [".qvd", ".txt", ".dat"].iter().any(|e| lower.ends_with(e))
        || crate::legacy::workbook::is_workbook(Path::new(&lower))
}

/// One side as read: its relation, and for CSV files the format they were read with
/// (`given`, completed by sniffing the first file), for the report to say.
pub struct Side {
    pub relation: Relation,
    pub format: Option<CsvHints>,
}

/// The relation for one side. Files are read relative to `base`; CSV files are read with
/// the `given` format hints (what is not given is sniffed from the first file) and checked
/// record by record first, so a malformed file is named with its line. CSV and JSON files
/// are read once (`materialise`: a Parquet scratch file, or the temporary table
/// `adhoc_<role>`), so later passes do not parse them again; Parquet files are read in place.
pub fn side(
    conn: &Connection,
    spec: &str,
    base: &Path,
    role: &str,
    given: &CsvHints,
) -> Result<Side> {
    if let Some(dir) = super::adhoc_delta::table_dir(spec, base) {
        let (relation, _) = super::adhoc_delta::side(conn, &dir, role, None)?;
        return Ok(Side {
            relation,
            format: None,
        });
    }
    if !is_files(spec) {
        let relation = Relation::describe(conn, &qualified(spec))
            .map_err(|e| Error::Usage(format!("{spec}: {e}")))?;
        return Ok(Side {
            relation,
            format: None,
        });
    }
    let pattern = if Path::new(spec).is_absolute() {
        spec.to_string()
    } else {
        base.join(spec).to_string_lossy().to_string()
    };
    let mut files: Vec<std::path::PathBuf> = glob::glob(&pattern)
        .map_err(|e| Error::Usage(format!("bad glob `{spec}`: {e}")))?
        .filter_map(|p| p.ok())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Usage(format!("no file matches {pattern}")));
    }
    // Workbooks, QVD and fixed-width files: written as CSV (kept until the side is read),
    // then read as any CSV export.
    let copies = crate::legacy::convert::as_csv(&files, given, "")?;
    let original = given;
    let (files, given) = match &copies {
        Some((c, read_as)) => (c.files.clone(), read_as),
        None => (files, given),
    };
    let list = literal_list(&files);
    let lower = spec.to_ascii_lowercase();
    let plain = |sql: String| -> Result<Side> {
        Ok(Side {
            relation: materialise(conn, spec, &sql, (role, Kept::Best))?,
            format: None,
        })
    };
    if lower.ends_with(".parquet") {
        // Read where it lies: a Parquet scan reads only the columns a pass needs, so a
        // copy would cost a whole read and the side's size in memory for nothing.
        let sql = format!("read_parquet([{list}], union_by_name = true)");
        return Ok(Side {
            relation: Relation::describe(conn, &sql)
                .map_err(|e| Error::Runtime(format!("reading {spec}: {e}")))?,
            format: None,
        });
    }
    if lower.ends_with(".json") {
        for f in &files {
            crate::legacy::json::check(f)?;
        }
        return plain(format!("read_json_auto([{list}])"));
    }
    // Windows-1252 (given or sniffed), which DuckDB does not read: UTF-8 copies are read.
    let first = crate::legacy::sniff::complete(&files[0], given)?;
    let utf8 = crate::legacy::transcode::to_utf8(&files, &first)?;
    // What the structure check names: a transcoded copy has its original's lines.
    let shown = files.clone();
    let utf8_hints;
    let (files, given) = match &utf8 {
        Some((copies, read_as)) => {
            utf8_hints = read_as.clone();
            (copies.files.clone(), &utf8_hints)
        }
        None => (files, given),
    };
    let list = literal_list(&files);
    let format = crate::legacy::sniff::complete(&files[0], given)?;
    let mut options = vec!["header = true".to_string(), "union_by_name = true".into()];
    options.extend(crate::legacy::csv_options(&format));
    let sniffed = format!("read_csv([{list}], {})", options.join(", "));
    let floats = match figures::describe(conn, &sniffed) {
        Ok(described) => figures::floats(&described),
        Err(e) => {
            // DuckDB's sniffer names no line; the structure check does, if the file is malformed.
            let utf8 = format
                .encoding
                .as_deref()
                .is_none_or(|e| e.eq_ignore_ascii_case("utf-8"));
            let delimiter = crate::legacy::delimiter_byte(&format)?;
            for (f, name) in files.iter().zip(&shown) {
                crate::legacy::check_structure(f, name, delimiter, utf8)?;
            }
            return Err(Error::Runtime(format!("reading {spec}: {e}")));
        }
    };
    let mark = format.decimal.as_deref().unwrap_or(".");
    let read_as = |types: Option<String>| {
        let mut options = options.clone();
        options.extend(types);
        renamed(
            format!("read_csv([{list}], {})", options.join(", ")),
            &format.rename,
        )
    };
    let text = read_as(figures::as_text_option(&floats));
    let figure_names = renamed_all(&floats, &format);
    // Figures read as text, and each column typed from all of its values: for what the
    // structure check cannot vouch for.
    let slow = || -> Result<Relation> {
        // In a table: the figures' types are changed in place.
        let relation = materialise(conn, spec, &text, (role, Kept::Table))?;
        crate::trace::stage(&format!("figures as decimals ({role} side)"), || {
            figures::type_figures(conn, &relation.sql, &figure_names, mark, spec)
        })?;
        // The ALTERs changed the figures' types.
        Relation::describe(conn, &relation.sql)
    };
    // UTF-16 and cp1252 were transcoded above: every side is checked record by record.
    let checker = structure_checker(files.into_iter().zip(shown).collect(), &format, &floats)?;
    let guessed = figures::guess(conn, &text, &figure_names, mark)
        .map_err(|e| Error::Runtime(format!("reading {spec}: {e}")))?;
    let typed = |types: &[Option<String>]| read_as(figures::types_option(&floats, types));
    let relation = read_checked(conn, (spec, role), (&typed, &slow), &guessed, checker)?;
    // The encoding the files are in, not the one of the copies read.
    let format = match utf8 {
        Some(_) => CsvHints {
            encoding: first.encoding,
            ..format
        },
        None => format,
    };
    Ok(Side {
        relation,
        format: Some(match copies {
            // What was read, as the user gave it: the sheet, cells or layout, not the copy's CSV.
            Some(_) => crate::legacy::convert::as_given(original, format),
            None => format,
        }),
    })
}

/// The CSV side read with its figures typed as the file's first rows suggest (`guessed`)
/// while the structure check measures every figure; when the check finds the guess too
/// narrow (a value with more places or digits further down), it is read again with the
/// types the whole file needs (`typed`), and when the check could not find a column, the
/// slow way (`slow`). Read once in the usual case, and never rounded: a guess the check
/// disproves is not kept.
fn read_checked(
    conn: &Connection,
    (spec, role): (&str, &str),
    (typed, slow): (&TypedRead<'_>, &dyn Fn() -> Result<Relation>),
    guessed: &[Option<String>],
    checker: Checker,
) -> Result<Relation> {
    let read = materialise(conn, spec, &typed(guessed), (role, Kept::Best));
    let shapes = checker.join().unwrap_or_else(|_| {
        Err(Error::Runtime(format!(
            "{spec}: the structure check crashed"
        )))
    });
    let shapes = match shapes {
        Ok(shapes) => shapes,
        Err(e) => {
            let _ = conn.execute_batch(&format!(
                "DROP TABLE IF EXISTS {}",
                ident(&format!("adhoc_{role}"))
            ));
            return Err(e);
        }
    };
    if shapes.iter().any(|s| !s.seen) {
        // A column the check did not find under the name DuckDB gives it (a header in
        // another encoding): its figures are typed from DuckDB's own reading of them.
        return slow();
    }
    let exact: Vec<Option<String>> = shapes.into_iter().map(|s| s.decimal()).collect();
    if exact == guessed {
        return read;
    }
    crate::trace::stage(
        &format!("read {role} side again, figures wider than guessed"),
        || materialise(conn, spec, &typed(&exact), (role, Kept::Best)),
    )
}

/// The side's read SQL with its figure columns read as the given types.
type TypedRead<'a> = dyn Fn(&[Option<String>]) -> String + 'a;

/// The float columns under the names the side's renames give them.
fn renamed_all(columns: &[String], format: &CsvHints) -> Vec<String> {
    columns
        .iter()
        .map(|c| format.rename.get(c).cloned().unwrap_or_else(|| c.clone()))
        .collect()
}

/// `sql` with the columns `rename` names renamed (old → new).
fn renamed(sql: String, rename: &std::collections::BTreeMap<String, String>) -> String {
    if rename.is_empty() {
        return sql;
    }
    let renames: Vec<String> = rename
        .iter()
        .map(|(old, new)| format!("{} AS {}", ident(old), ident(new)))
        .collect();
    format!("(SELECT * RENAME ({}) FROM {sql})", renames.join(", "))
}

/// The strict structure check, run beside DuckDB's read with the side's delimiter and
/// encoding; it also measures the figures of the columns `figures` (their shapes, merged
/// over the files). A malformed file fails the side with the checker's message (file and
/// line).
fn structure_checker(
    files: Vec<(std::path::PathBuf, std::path::PathBuf)>,
    format: &CsvHints,
    figures: &[String],
) -> Result<Checker> {
    let delimiter = crate::legacy::delimiter_byte(format)?;
    let encoding = format
        .encoding
        .as_deref()
        .unwrap_or("utf-8")
        .to_ascii_lowercase();
    let utf8 = encoding == "utf-8";
    let mark = format
        .decimal
        .as_deref()
        .and_then(|m| m.bytes().next())
        .unwrap_or(b'.');
    let figures = figures.to_vec();
    Ok(std::thread::spawn(move || {
        crate::trace::stage("CSV structure check", || {
            let mut shapes = vec![figures::Shape::default(); figures.len()];
            for (f, shown) in &files {
                let (_, found) = check_watching(f, shown, delimiter, utf8, &figures, mark)?;
                for (shape, more) in shapes.iter_mut().zip(found) {
                    *shape = shape.merge(more);
                }
            }
            Ok(shapes)
        })
    }))
}

type Checker = std::thread::JoinHandle<Result<Vec<figures::Shape>>>;

/// Read a side once, for the compare's several passes: into a Parquet scratch file beside
/// the cache (compact and typed, read from the page cache rather than held in this
/// process's memory), or, when Parquet would not keep a column's type exactly, into the
/// temporary table `adhoc_<role>`.
fn materialise(
    conn: &Connection,
    spec: &str,
    sql: &str,
    (role, kept): (&str, Kept),
) -> Result<Relation> {
    // A compare never depends on row order, so DuckDB may read and write in parallel.
    let unordered = |statement: String| {
        conn.execute_batch(&format!(
            "SET preserve_insertion_order = false; {statement}; RESET preserve_insertion_order;"
        ))
    };
    // A side DuckDB cannot even describe is read into the table, which names the error.
    let source = match kept {
        Kept::Best => Relation::describe(conn, &format!("(SELECT * FROM {sql})")).ok(),
        Kept::Table => None,
    };
    if let Some(copy) = source.and_then(|s| as_parquet(conn, &s, role, &unordered)) {
        return copy.map_err(|e| Error::Runtime(format!("reading {spec}: {e}")));
    }
    let table = ident(&format!("adhoc_{role}"));
    crate::trace::stage(&format!("read {role} side"), || {
        unordered(format!(
            "CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {sql}"
        ))
    })
    // A file that cannot be read is a runtime failure (exit 3), as in a configured compare;
    // only a wrong argument is a usage error.
    .map_err(|e| Error::Runtime(format!("reading {spec}: {e}")))?;
    Relation::describe(conn, &format!("temp.main.{table}"))
}

/// Where a side read once is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    /// As Parquet when its types allow, else in a temporary table.
    Best,
    /// In a temporary table (its columns are altered afterwards).
    Table,
}

/// `source` written to a Parquet scratch file and read back, when Parquet keeps every
/// column's type; None when it would not (or no scratch file can be made), for a
/// temporary table instead.
fn as_parquet(
    conn: &Connection,
    source: &Relation,
    role: &str,
    unordered: &dyn Fn(String) -> duckdb::Result<()>,
) -> Option<Result<Relation>> {
    // Types Parquet stores as something else (HUGEINT as DOUBLE, say) stay in memory.
    const KEPT: [&str; 10] = [
        "BOOLEAN",
        "INTEGER",
        "BIGINT",
        "DOUBLE",
        "FLOAT",
        "DATE",
        "TIME",
        "TIMESTAMP",
        "VARCHAR",
        "TIMESTAMP WITH TIME ZONE",
    ];
    let kept = |t: &str| KEPT.contains(&t) || t.starts_with("DECIMAL(");
    if !source.columns.iter().all(|(_, t)| kept(t)) {
        return None;
    }
    let scratch =
        crate::store::scratch::Scratch::new(&crate::store::scratch::dir(conn), role).ok()?;
    let path = literal(&scratch.path().to_string_lossy());
    let written = crate::trace::stage(&format!("read {role} side"), || {
        unordered(format!(
            "COPY (SELECT * FROM {}) TO {path} (FORMAT parquet, COMPRESSION uncompressed, PARQUET_VERSION v2)",
            source.sql
        ))
    });
    if let Err(e) = written {
        return Some(Err(e.into()));
    }
    let read = match Relation::describe(conn, &format!("read_parquet({path})")) {
        Ok(read) => read,
        Err(e) => return Some(Err(e)),
    };
    if read.columns != source.columns {
        return None;
    }
    Some(Ok(Relation {
        keep: Some(std::sync::Arc::new(scratch)),
        ..read
    }))
}

/// Every `--measure` is a number on both sides of `spec` (under its `--map`ped name on the
/// new side): a text measure is named with its side (`shown`: what the user typed for each)
/// here, not met as a cast error in generated SQL.
pub fn check_measures(conn: &Connection, spec: &Spec, shown: [&str; 2]) -> Result<()> {
    for measure in &spec.measures {
        let new_name = spec.new_name(measure);
        let sides = [
            (shown[0], &spec.legacy, measure.as_str()),
            (shown[1], &spec.new, new_name.as_str()),
        ];
        for (side, relation, name) in sides {
            let Some((_, type_)) = relation.find(name) else {
                return Err(Error::Usage(format!(
                    "--measure {measure}: {side} has no column `{name}`; it has: {}",
                    relation
                        .columns
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            if !is_numeric(type_) {
                return Err(Error::Usage(format!(
                    "--measure {measure}: `{name}` is {type_} in {side}, not a number (a measure \
                     is summed): {}",
                    crate::legacy::figures::why_not_a_number(
                        conn,
                        &relation.sql,
                        name,
                        "--legacy-decimal , or --new-decimal ,"
                    )
                )));
            }
        }
    }
    Ok(())
}

/// The files as a SQL list of string literals, for `read_csv([…])`.
fn literal_list(files: &[std::path::PathBuf]) -> String {
    files
        .iter()
        .map(|f| literal(&f.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_side_is_read_once_into_a_scratch_file_that_goes_with_its_relations() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("cache.duckdb")).unwrap();
        std::fs::write(
            dir.path().join("a.csv"),
            "id,amount,day\n1,2.50,2024-01-02\n2,,2024-01-03\n",
        )
        .unwrap();
        let side = side(&conn, "a.csv", dir.path(), "legacy", &CsvHints::default()).unwrap();
        let scratch: Vec<_> = std::fs::read_dir(dir.path().join("tmp"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(scratch.len(), 1, "{scratch:?}");
        assert!(
            side.relation.sql.starts_with("read_parquet("),
            "{}",
            side.relation.sql
        );
        let types: Vec<&str> = side
            .relation
            .columns
            .iter()
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(types, ["BIGINT", "DECIMAL(18,2)", "DATE"]);
        let total: String = conn
            .query_row(
                &format!(
                    "SELECT CAST(sum(amount) AS VARCHAR) FROM {}",
                    side.relation.sql
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(total, "2.50");
        // A relation made from it keeps the file; the last one dropped removes it.
        let kept = side.relation.clone();
        drop(side);
        assert!(scratch[0].exists());
        drop(kept);
        assert!(!scratch[0].exists());
    }
}
