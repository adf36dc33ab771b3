//! The choices of a proposal: each export's format (most companies' sniffed format, the rest
//! as overrides), header renames, and the comparison the imported rows suggest.

use std::collections::BTreeMap;

use super::analyze::{self, Col, Layers};
use super::columns::match_names;
use super::families::Family;
use super::{Choice, ComparisonPlan, ExportPlan, InitOptions};
use crate::config::CsvHints;
use crate::error::Result;
use crate::sql::ident;
use crate::store::Store;

/// Whether a file is text whose format must be sniffed.
fn is_text(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| {
        ["csv", "txt", "tsv"].contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
    })
}

/// A workbook with a sheet named after its company is read by `sheet = "{company}"`
/// (which is then the same for every company); otherwise its first sheet.
fn sheet_hints(file: &std::path::Path, company: &str) -> CsvHints {
    use calamine::Reader;
    let named = calamine::open_workbook_auto(file)
        .map(|book| book.sheet_names().iter().any(|s| s == company))
        .unwrap_or(false);
    CsvHints {
        sheet: named.then(|| crate::config::SheetRef::Name("{company}".into())),
        ..CsvHints::default()
    }
}

/// The export of a family, its format sniffed per company: the format most companies share
/// is the export's, the others are overrides.
pub fn formats(family: &Family) -> Result<ExportPlan> {
    let mut per_company: BTreeMap<String, CsvHints> = BTreeMap::new();
    for (company, files) in &family.files {
        let hints = match files.first() {
            Some(f) if is_text(f) => crate::legacy::sniff::complete(f, &CsvHints::default())?,
            Some(f) if crate::legacy::workbook::is_workbook(f) => sheet_hints(f, company),
            _ => CsvHints::default(),
        };
        per_company.insert(company.clone(), hints);
    }
    let mut counts: Vec<(CsvHints, usize)> = Vec::new();
    for h in per_company.values() {
        match counts.iter_mut().find(|(k, _)| k == h) {
            Some((_, n)) => *n += 1,
            None => counts.push((h.clone(), 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let common = counts.first().map(|c| c.0.clone()).unwrap_or_default();
    let total = per_company.len();
    let shared = counts.first().map_or(0, |c| c.1);
    let overrides = per_company
        .iter()
        .filter(|(_, h)| **h != common)
        .map(|(c, h)| {
            let why = format!(
                "{c} writes it differently: {}",
                crate::legacy::sniff::describe(h)
            );
            (
                c.clone(),
                Choice {
                    value: h.clone(),
                    why,
                },
            )
        })
        .collect();
    let files: usize = family.files.values().map(Vec::len).sum();
    Ok(ExportPlan {
        name: family.name.clone(),
        pattern: family.pattern.clone(),
        companies: family.files.keys().cloned().collect(),
        format: Choice {
            why: format!(
                "{files} files; sniffed from each company's first file, shared by {shared} of {total}: {}",
                crate::legacy::sniff::describe(&common)
            ),
            value: common,
        },
        overrides,
    })
}

fn company_columns(store: &Store, export: &str, company: &str) -> Result<Vec<String>> {
    let table = format!(
        "legacy.{}",
        ident(&crate::legacy::table_name(export, company))
    );
    Ok(analyze::columns(store.conn(), &table)?
        .into_iter()
        .map(|c| c.0)
        .filter(|n| n != "_company" && n != "_source")
        .collect())
}

/// Renames for the companies whose headers differ from most companies' (matched by name);
/// true when any was added.
pub fn rename_headers(store: &Store, export: &mut ExportPlan) -> Result<bool> {
    let mut sets: Vec<(String, Vec<String>)> = Vec::new();
    for c in &export.companies {
        sets.push((c.clone(), company_columns(store, &export.name, c)?));
    }
    let mut counts: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for (_, cols) in &sets {
        *counts.entry(cols.clone()).or_default() += 1;
    }
    let Some((reference, _)) = counts.iter().max_by_key(|(_, n)| **n) else {
        return Ok(false);
    };
    let mut added = false;
    for (company, cols) in &sets {
        let theirs: Vec<String> = cols
            .iter()
            .filter(|c| !reference.contains(c))
            .cloned()
            .collect();
        let missing: Vec<String> = reference
            .iter()
            .filter(|c| !cols.contains(c))
            .cloned()
            .collect();
        let pairs = match_names(&theirs, &missing);
        if pairs.is_empty() {
            continue;
        }
        let rename: BTreeMap<String, String> = pairs
            .iter()
            .map(|(a, b, _)| (a.clone(), b.clone()))
            .collect();
        let entry = export
            .overrides
            .entry(company.clone())
            .or_insert_with(|| Choice {
                value: export.format.value.clone(),
                why: String::new(),
            });
        entry.value.rename = rename;
        let said =
            format!(
            "{company}'s headers differ from the other companies': renamed to theirs by name ({})",
            pairs.iter().map(|(a, b, _)| format!("{a} → {b}")).collect::<Vec<_>>().join(", ")
        );
        entry.why = match entry.why.is_empty() {
            true => said,
            false => format!("{}; {said}", entry.why),
        };
        added = true;
    }
    Ok(added)
}

/// The comparison of an export with the table it matches best, or why there is none.
pub fn compare_plan(
    store: &Store,
    layers: Layers,
    export: &ExportPlan,
    opts: &InitOptions,
) -> Result<std::result::Result<ComparisonPlan, String>> {
    let conn = store.conn();
    let view = format!("legacy.{}", ident(&export.name));
    let legacy: Vec<Col> = analyze::columns(conn, &view)?
        .into_iter()
        .filter(|(n, _)| n != "_company" && n != "_source")
        .collect();
    let tables = match &opts.table {
        Some(t) => vec![t.clone()],
        None => layers.tables(conn)?,
    };
    let Some((table, matched)) = analyze::best_table(conn, layers, &legacy, &tables)? else {
        return Ok(Err(format!(
            "{}: no silver or gold table shares its columns; no comparison proposed",
            export.name
        )));
    };
    let typed: Vec<Col> = legacy
        .iter()
        .filter(|(n, _)| matched.iter().any(|(l, _)| l == n))
        .cloned()
        .collect();
    let Some(keys) = analyze::keys(conn, &view, &typed)? else {
        return Ok(Err(format!(
            "{}: no column (or pair) is unique per company; give `keys` by hand",
            export.name
        )));
    };
    let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM {view}"), [], |r| r.get(0))?;
    let measures = analyze::measures(&typed, &keys);
    let dims = analyze::dimensions(conn, &view, &typed, &keys)?;
    let to_table = |l: &String| matched.iter().find(|(a, _)| a == l).map(|(_, b)| b.clone());
    let key_pairs: Vec<(String, String)> = keys
        .iter()
        .filter_map(|k| Some((k.clone(), to_table(k)?)))
        .collect();
    let text: Vec<(String, String)> = typed
        .iter()
        .filter(|(n, t)| t == "VARCHAR" && !keys.contains(n))
        .filter_map(|(n, _)| Some((n.clone(), to_table(n)?)))
        .collect();
    let table_cols = layers.columns(conn, &table)?;
    let company = crate::drift::company_column(&table_cols).map(str::to_string);
    let wanted: Vec<String> = key_pairs
        .iter()
        .chain(&text)
        .map(|(_, n)| n.clone())
        .chain(company.clone())
        .collect();
    let relation = layers.relation(conn, &table, &wanted)?;
    let (differing, where_) = analyze::text_only_in_form(
        conn,
        (&view, &relation),
        &key_pairs,
        &text,
        company.as_deref(),
    )?;
    let renamed: BTreeMap<String, String> =
        matched.iter().filter(|(a, b)| a != b).cloned().collect();
    Ok(Ok(ComparisonPlan {
        name: export.name.clone(),
        legacy: export.name.clone(),
        table: Choice {
            why: format!(
                "shares {} of the export's {} columns{}",
                matched.len(),
                legacy.len(),
                if opts.table.is_some() {
                    " (given)"
                } else {
                    ", more than any other silver or gold table"
                }
            ),
            value: table,
        },
        keys: Choice {
            why: format!("unique within each company on all {rows} rows (checked on every row)"),
            value: keys,
        },
        columns: Choice {
            why: "export columns named otherwise in the table, matched by name".into(),
            value: renamed,
        },
        measures: Choice {
            why: "decimal columns of the export that the table has too".into(),
            value: measures,
        },
        dimensions: Choice {
            why: format!(
                "text columns with few values ({})",
                dims.iter()
                    .map(|(n, d)| format!("{n}: {d}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            value: dims.into_iter().map(|(n, _)| n).collect(),
        },
        normalize_text: Choice {
            why: match differing {
                0 => "no value differs from the table's only in case or spacing".into(),
                n => format!(
                    "{n} rows found in both differ from the table only in case or spacing ({})",
                    where_.join(", ")
                ),
            },
            value: differing > 0,
        },
    }))
}
