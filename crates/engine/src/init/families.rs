//! Legacy files found in a folder, grouped into families by their path pattern: the folder
//! level whose names vary between otherwise alike paths is the company
//! (`legacy/acme/sales_2023.csv`, `legacy/lumen/sales_2024.csv` → `legacy/{company}/sales_*.csv`),
//! and digits in file names (years, months) are a wildcard.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

/// Extensions a legacy export may have.
const EXTENSIONS: [&str; 11] = [
    "csv", "txt", "tsv", "xlsx", "xlsm", "xls", "xlsb", "ods", "qvd", "parquet", "json",
];

/// Folders that are a workspace's own, never legacy exports.
const SKIPPED: [&str; 5] = ["models", "rules", "target", "node_modules", "dbt"];

/// One family of files: one export, per company.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// The export's name, from the file names (`sales`).
    pub name: String,
    /// The glob relative to the folder, with `{company}` where the company's name is.
    pub pattern: String,
    /// Each company's files, in order.
    pub files: BTreeMap<String, Vec<PathBuf>>,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).io_context(|| format!("cannot read {}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if !SKIPPED.contains(&name.as_str()) {
                walk(&p, out)?;
            }
        } else if p.extension().is_some_and(|e| {
            EXTENSIONS.contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
        }) {
            out.push(p);
        }
    }
    Ok(())
}

/// `sales_2023` → `sales_*`: runs of digits become a wildcard.
fn stem_pattern(stem: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in stem.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('*');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

/// `sales_*` → `sales`: an export name made of the pattern's letters and digits.
fn export_name(stem: &str) -> String {
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_matches('_').to_string();
    let mut squeezed = String::new();
    for c in name.chars() {
        if !(c == '_' && squeezed.ends_with('_')) {
            squeezed.push(c);
        }
    }
    match squeezed.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => squeezed,
        _ => format!("export_{squeezed}"),
    }
}

/// The families of legacy files under `root/folder`, with paths relative to `root`.
pub fn find(root: &Path, folder: &str) -> Result<Vec<Family>> {
    let mut files = Vec::new();
    walk(&root.join(folder), &mut files)?;
    // Grouped by what does not vary: depth, file name pattern and extension.
    let mut groups: BTreeMap<(usize, String), Vec<Vec<String>>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f);
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().to_string())
            .collect();
        let (dirs, file) = parts.split_at(parts.len() - 1);
        let path = Path::new(&file[0]);
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_string())
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let key = format!("{}.{ext}", stem_pattern(&stem));
        let mut row = dirs.to_vec();
        row.push(stem);
        groups.entry((dirs.len(), key)).or_default().push(row);
    }
    let mut out = Vec::new();
    for ((depth, file_pattern), rows) in groups {
        out.push(family(root, depth, &file_pattern, &rows));
    }
    Ok(out)
}

fn family(root: &Path, depth: usize, file_pattern: &str, rows: &[Vec<String>]) -> Family {
    // The deepest folder level whose names vary is the company.
    let varying = (0..depth)
        .rev()
        .find(|&i| rows.iter().map(|r| &r[i]).collect::<BTreeSet<_>>().len() > 1);
    let mut dirs: Vec<String> = rows[0][..depth].to_vec();
    if let Some(i) = varying {
        dirs[i] = "{company}".into();
    }
    let mut files: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let ext = file_pattern.rsplit('.').next().unwrap_or_default();
    for r in rows {
        let company = varying.map_or_else(|| "main".to_string(), |i| r[i].clone());
        let mut path = root.to_path_buf();
        path.extend(&r[..depth]);
        path.push(format!("{}.{ext}", r[depth]));
        files.entry(company).or_default().push(path);
    }
    let stem = file_pattern
        .rsplit_once('.')
        .map_or(file_pattern, |(s, _)| s);
    dirs.push(file_pattern.to_string());
    Family {
        name: export_name(&stem.replace('*', "")),
        pattern: dirs.join("/"),
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companies_come_from_the_folder_that_varies() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "legacy/acme/sales_2023.csv",
            "legacy/acme/sales_2024.csv",
            "legacy/lumen/sales_2024.csv",
            "legacy/lumen/budget.xlsx",
            "models/gold/x.csv",
        ] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "a\n1\n").unwrap();
        }
        let found = find(dir.path(), ".").unwrap();
        let sales = found.iter().find(|f| f.name == "sales").unwrap();
        assert_eq!(sales.pattern, "legacy/{company}/sales_*.csv");
        assert_eq!(sales.files.keys().collect::<Vec<_>>(), ["acme", "lumen"]);
        assert_eq!(sales.files["acme"].len(), 2);
        let budget = found.iter().find(|f| f.name == "budget").unwrap();
        assert_eq!(budget.pattern, "legacy/lumen/budget.xlsx");
        assert_eq!(budget.files.keys().collect::<Vec<_>>(), ["main"]);
        assert!(found.iter().all(|f| !f.pattern.starts_with("models")));
        assert_eq!(export_name("Sales Export (old)"), "sales_export_old");
    }
}
