//! Compares with no config: each side a file, a glob or a table of the workspace.

use std::path::Path;

use duckdb::Connection;

use super::relation::{is_numeric, Relation};
use super::report::Spec;
use crate::config::CsvHints;
use crate::error::{Error, Result};
use crate::legacy::figures;
use crate::sql::{ident, literal, qualified};

/// True when `side` names files rather than a `schema.table`.
fn is_files(side: &str) -> bool {
    let lower = side.to_ascii_lowercase();
    side.contains('/')
        || side.contains('*')
        || lower.ends_with(".csv")
        || lower.ends_with(".parquet")
        || lower.ends_with(".json")
}

/// One side as read: its relation, and for CSV files the format they were read with
/// (`given`, completed by sniffing the first file), for the report to say.
pub struct Side {
    pub relation: Relation,
    pub format: Option<CsvHints>,
}

/// The relation for one side. Files are read relative to `base`; CSV files are read with
/// the `given` format hints (what is not given is sniffed from the first file) and checked
/// record by record first, so a malformed file is named with its line. Files are read once
/// into the temporary table `adhoc_<role>`, so later passes do not parse them again.
pub fn side(
    conn: &Connection,
    spec: &str,
    base: &Path,
    role: &str,
    given: &CsvHints,
) -> Result<Side> {
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
    let list = files
        .iter()
        .map(|f| literal(&f.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(", ");
    let lower = spec.to_ascii_lowercase();
    let plain = |sql: String| -> Result<Side> {
        Ok(Side {
            relation: materialise(conn, spec, &sql, role, None)?,
            format: None,
        })
    };
    if lower.ends_with(".parquet") {
        return plain(format!("read_parquet([{list}], union_by_name = true)"));
    }
    if lower.ends_with(".json") {
        return plain(format!("read_json_auto([{list}])"));
    }
    let format = crate::legacy::sniff::complete(&files[0], given)?;
    let checker = structure_checker(files, &format)?;
    let mut options = vec!["header = true".to_string(), "union_by_name = true".into()];
    options.extend(crate::legacy::csv_options(&format));
    let sniffed = format!("read_csv([{list}], {})", options.join(", "));
    let floats = figures::describe(conn, &sniffed)
        .map(|described| figures::floats(&described))
        .map_err(|e| Error::Runtime(format!("reading {spec}: {e}")))?;
    options.extend(figures::as_text_option(&floats));
    let mut sql = format!("read_csv([{list}], {})", options.join(", "));
    if !format.rename.is_empty() {
        let renames: Vec<String> = format
            .rename
            .iter()
            .map(|(old, new)| format!("{} AS {}", ident(old), ident(new)))
            .collect();
        sql = format!("(SELECT * RENAME ({}) FROM {sql})", renames.join(", "));
    }
    let relation = materialise(conn, spec, &sql, role, checker)?;
    let floats: Vec<String> = floats
        .iter()
        .map(|c| format.rename.get(c).cloned().unwrap_or_else(|| c.clone()))
        .collect();
    let mark = format.decimal.as_deref().unwrap_or(".");
    crate::trace::stage(&format!("figures as decimals ({role} side)"), || {
        figures::type_figures(conn, &relation.sql, &floats, mark, spec)
    })?;
    Ok(Side {
        relation: Relation::describe(conn, &relation.sql)?,
        format: Some(format),
    })
}

/// The strict structure check, run beside DuckDB's read with the side's delimiter and
/// encoding; a malformed file fails the side with the checker's message (file and line).
fn structure_checker(files: Vec<std::path::PathBuf>, format: &CsvHints) -> Result<Option<Checker>> {
    let delimiter = match format.delimiter.as_deref() {
        None => b',',
        Some("\\t") => b'\t',
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some(d) => {
            return Err(Error::Usage(format!(
                "delimiter `{d}`: one ASCII character, or \\t for a tab"
            )))
        }
    };
    let encoding = format
        .encoding
        .as_deref()
        .unwrap_or("utf-8")
        .to_ascii_lowercase();
    if encoding == "utf-16" {
        // The structure check reads bytes: a UTF-16 file is left to DuckDB's reader.
        return Ok(None);
    }
    let utf8 = encoding == "utf-8";
    Ok(Some(std::thread::spawn(move || {
        crate::trace::stage("CSV structure check", || {
            files
                .iter()
                .try_for_each(|f| crate::legacy::check_structure(f, delimiter, utf8).map(|_| ()))
        })
    })))
}

type Checker = std::thread::JoinHandle<Result<()>>;

/// Read a side into the temporary table `adhoc_<role>`; a checker's verdict comes first.
fn materialise(
    conn: &Connection,
    spec: &str,
    sql: &str,
    role: &str,
    checker: Option<Checker>,
) -> Result<Relation> {
    let table = ident(&format!("adhoc_{role}"));
    // A compare never depends on row order, so DuckDB may read in parallel without keeping it.
    let read = crate::trace::stage(&format!("read {role} side"), || {
        conn.execute_batch(&format!(
            "SET preserve_insertion_order = false; \
             CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {sql}; \
             RESET preserve_insertion_order;"
        ))
    });
    if let Some(checker) = checker {
        let verdict = checker.join().unwrap_or_else(|_| {
            Err(Error::Runtime(format!(
                "{spec}: the structure check crashed"
            )))
        });
        if let Err(e) = verdict {
            let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS {table}"));
            return Err(e);
        }
    }
    // A file that cannot be read is a runtime failure (exit 3), as in a configured compare;
    // only a wrong argument is a usage error.
    read.map_err(|e| Error::Runtime(format!("reading {spec}: {e}")))?;
    Relation::describe(conn, &format!("temp.main.{table}"))
}

/// Every `--measure` is a number on both sides of `spec` (under its `--map`ped name on the
/// new side): a text measure is named with its side (`shown`: what the user typed for each)
/// here, not met as a cast error in generated SQL.
pub fn check_measures(spec: &Spec, shown: [&str; 2]) -> Result<()> {
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
                     is summed; a file writing decimal commas reads as text)"
                )));
            }
        }
    }
    Ok(())
}
