//! A compare made into a history record: the report's per-company totals, each company's
//! waterfall under the accepted rules (only when there are some: otherwise what remains is
//! the gap, and nothing more is read), and what the numbers were read from.

use std::collections::BTreeMap;

use duckdb::params;

use super::record::{
    BuildRead, CompanyRun, LegacyRead, MeasureRecord, Outcome, RulesRead, Run, RUN_VERSION,
};
use crate::config::{Comparison, Gate, Tolerance, Workspace};
use crate::decimal::Exact;
use crate::error::{Error, Result};
use crate::recon::configured::Compared;
use crate::recon::equality::Rules;
use crate::recon::gate::company_rows_beyond;
use crate::recon::report::Report;
use crate::recon::scope::{members, COMPANY};
use crate::recon::summary::KeyedRows;
use crate::rules::{self, RulesFile, Which};
use crate::store::Store;
use crate::warehouse::ClickHouse;

/// Who made a compare: `cli`, `workbench`, `parity`.
#[derive(Debug, Clone, Copy)]
pub struct Via(pub &'static str);

/// The record of a compare of `name` over `only` (all its companies when empty) made as
/// `compared`, as read from the cache (and the warehouse, for a pushed-down waterfall).
pub fn of_report(
    ws: &Workspace,
    sides: (&Store, Option<&ClickHouse>),
    (name, only): (&str, &[String]),
    compared: &Compared,
    via: Via,
) -> Result<Run> {
    let report = &compared.report;
    let (cmp, companies) = members(ws, name, only)?;
    let file = RulesFile::load(&rules::path_of(&ws.root, name))?;
    let judge = Judge::of(cmp);
    let conn = sides.0.conn();
    // Each company's totals, rows and legacy files, with what remains the gap for now.
    let mut out = Vec::with_capacity(companies.len());
    for company in &companies {
        let measures = measures_of(report, company, companies.len());
        let rows = rows_of(report, company, companies.len());
        let mut run = company_run((company, measures, rows), None, &judge);
        run.legacy = legacy_read(conn, &cmp.legacy, company)?;
        out.push(run);
    }
    let build = build_read(conn, &cmp.table)?;
    let with_rules = !rules::taking_part(&file, false).is_empty() || !file.accepted.is_empty();
    if with_rules {
        let read = super::reuse::unchanged(ws, (name, cmp), &file, (&build, &out))?;
        let by = match read {
            Some(by) => by,
            None => after_rules(ws, sides, (name, compared), &companies, &file)?,
        };
        for c in &mut out {
            let measures = std::mem::take(&mut c.measures);
            let after = Some(by.get(&c.company).copied());
            let legacy = c.legacy.take();
            *c = company_run((&c.company, measures, c.rows), after, &judge);
            c.legacy = legacy;
        }
    }
    let mut run = started(name, companies, via, rules_read(&file));
    run.rows = Some(report.rows.clone());
    run.measures = report
        .measures
        .iter()
        .map(|m| MeasureRecord {
            name: m.name.clone(),
            legacy: m.legacy,
            new: m.new,
            gap: m.delta,
        })
        .collect();
    run.companies = out;
    run.build = build;
    run.settings = super::record::settings_of(cmp);
    Ok(run)
}

/// A run of `name` over `companies` made now by `via`, with no numbers yet.
fn started(name: &str, companies: Vec<String>, via: Via, rules: RulesRead) -> Run {
    Run {
        schema_version: RUN_VERSION,
        comparison: name.to_string(),
        at: now(),
        by: rules::user(),
        via: via.0.to_string(),
        scope: companies,
        outcome: Outcome::Ok,
        rows: None,
        measures: Vec::new(),
        companies: Vec::new(),
        rules,
        build: None,
        settings: String::new(),
    }
}

/// Per company, (remaining, unexplained) of the first measure under the accepted rules: in
/// the cache in one grouped pass over the sides the compare read (its legacy totals taken
/// from its report); in a ClickHouse warehouse a waterfall per company, where the rules run
/// on the server and only sums come back.
fn after_rules(
    ws: &Workspace,
    sides: (&Store, Option<&ClickHouse>),
    (name, compared): (&str, &Compared),
    companies: &[String],
    file: &RulesFile,
) -> Result<BTreeMap<String, (Exact, Exact)>> {
    if sides.1.is_none() {
        let spec = &compared.spec;
        let m = spec.measure(None)?;
        let legacy: Option<BTreeMap<String, Exact>> = companies
            .iter()
            .map(|c| {
                let first = measures_of(&compared.report, c, companies.len())
                    .into_iter()
                    .next()?;
                (first.name == m.name).then_some((c.clone(), first.legacy))
            })
            .collect();
        return rules::by_company::remaining(sides.0.conn(), spec, &m, file, legacy);
    }
    let mut out = BTreeMap::new();
    for company in companies {
        let one = [company.clone()];
        let fall = rules::waterfall_scoped(ws, sides, (name, None), &one, file, &Which::Accepted)?;
        out.insert(company.clone(), (fall.remaining, fall.unexplained));
    }
    Ok(out)
}

/// The record of a compare that could not be made: ops see the error on the board.
pub fn of_failure(
    ws: &Workspace,
    (name, only): (&str, &[String]),
    error: &Error,
    via: Via,
) -> Result<Run> {
    let (_, companies) = members(ws, name, only)?;
    // A rules file that does not read is the failure itself, perhaps: recorded without it.
    let read = RulesFile::load(&rules::path_of(&ws.root, name))
        .map(|f| rules_read(&f))
        .unwrap_or_default();
    let mut run = started(name, companies, via, read);
    run.outcome = Outcome::Failed {
        error: crate::redact::text(&error.to_string()),
    };
    Ok(run)
}

/// What makes a company within tolerance: its measures against the comparison's tolerance
/// and, when the comparison is gated on rows, its one-sided rows against the rows tolerance.
struct Judge {
    tolerance: Rules,
    rows: Option<Tolerance>,
}

impl Judge {
    fn of(cmp: &Comparison) -> Judge {
        Judge {
            tolerance: Rules {
                absolute: cmp.tolerance.absolute,
                relative: cmp.tolerance.relative,
                ..Rules::default()
            },
            rows: cmp
                .fail_on
                .contains(&Gate::Rows)
                .then(|| cmp.tolerance.clone()),
        }
    }
}

/// One company's numbers: its totals and rows, and what the rules leave of its gap
/// (`after`: None without rules, where what remains is the gap; Some(None) for a company
/// with no rows).
fn company_run(
    (company, measures, rows): (&str, Vec<MeasureRecord>, Option<KeyedRows>),
    after: Option<Option<(Exact, Exact)>>,
    judge: &Judge,
) -> CompanyRun {
    let tolerance = &judge.tolerance;
    let gap = measures.first().map_or_else(Exact::default, |m| m.gap);
    let zero = Exact::from_scaled(0, gap.scale());
    let (remaining, unexplained) = match after {
        Some(by) => by.unwrap_or((zero, zero)),
        None => (gap, gap),
    };
    let within = measures.iter().enumerate().all(|(i, m)| match i {
        0 => tolerance.within(m.legacy, unexplained),
        _ => tolerance.within(m.legacy, m.gap),
    }) && !matches!((&judge.rows, &rows), (Some(t), Some(r)) if company_rows_beyond(r, t));
    CompanyRun {
        company: company.to_string(),
        measures,
        remaining,
        unexplained,
        within_tolerance: within,
        legacy: None,
        rows,
    }
}

/// One company's keyed rows by class: the whole compare's with one company, else its row
/// of the company classes (none when the report has none: a compare without measures).
fn rows_of(report: &Report, company: &str, companies: usize) -> Option<KeyedRows> {
    if companies == 1 {
        return Some(KeyedRows::of(&report.rows));
    }
    let by = report
        .rows_by
        .iter()
        .filter(|b| b.dimension.eq_ignore_ascii_case(COMPANY));
    let mut by = by.peekable();
    by.peek()?;
    Some(
        by.find(|b| b.value.as_deref() == Some(company))
            .map_or_else(KeyedRows::default, |b| b.rows),
    )
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// One company's totals: the report's own with one company, else its rows of the company
/// breakdown (a company with no row on either side has zeros at the total's scale).
fn measures_of(report: &Report, company: &str, companies: usize) -> Vec<MeasureRecord> {
    report
        .measures
        .iter()
        .map(|m| {
            if companies == 1 {
                return MeasureRecord {
                    name: m.name.clone(),
                    legacy: m.legacy,
                    new: m.new,
                    gap: m.delta,
                };
            }
            let row = report.breakdown.iter().find(|b| {
                b.dimension.eq_ignore_ascii_case(COMPANY)
                    && b.measure == m.name
                    && b.value.as_deref() == Some(company)
            });
            let zero = Exact::from_scaled(0, m.delta.scale());
            MeasureRecord {
                name: m.name.clone(),
                legacy: row.map_or(zero, |r| r.legacy),
                new: row.map_or(zero, |r| r.new),
                gap: row.map_or(zero, |r| r.delta),
            }
        })
        .collect()
}

fn legacy_read(
    conn: &duckdb::Connection,
    export: &str,
    company: &str,
) -> Result<Option<LegacyRead>> {
    let row: Option<(String, i64, String)> = conn
        .query_row(
            "SELECT fingerprint, rows, strftime(imported, '%Y-%m-%dT%H:%M:%SZ') \
             FROM assay.legacy_imports WHERE export = ? AND company = ?",
            params![export, company],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok();
    Ok(row.map(|(print, rows, imported)| LegacyRead {
        fingerprint: format!("{:016x}", rules::signed::fnv1a(&print)),
        rows,
        imported,
    }))
}

/// The last successful build (or extraction, for a bronze table) of the compared table.
fn build_read(conn: &duckdb::Connection, table: &str) -> Result<Option<BuildRead>> {
    let entity = table.strip_prefix("bronze.").unwrap_or(table);
    Ok(conn
        .query_row(
            "SELECT id, strftime(finished, '%Y-%m-%dT%H:%M:%SZ') FROM assay.runs \
             WHERE status = 'ok' AND finished IS NOT NULL \
               AND ((kind = 'build' AND entity = ?) OR (kind = 'extract' AND entity = ?)) \
             ORDER BY id DESC LIMIT 1",
            params![table, entity],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok()
        .map(|(run_id, finished)| BuildRead { run_id, finished }))
}

fn rules_read(file: &RulesFile) -> RulesRead {
    RulesRead {
        digest: rules::signed::digest(file),
        accepted_rules: rules::taking_part(file, false)
            .iter()
            .map(|r| r.name.clone())
            .collect(),
        accepted_differences: file.accepted.iter().map(|a| a.name.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(rows: Option<u64>) -> Judge {
        Judge {
            tolerance: Rules {
                absolute: Exact::parse("1").unwrap(),
                ..Rules::default()
            },
            rows: rows.map(|n| Tolerance {
                rows: n,
                ..Tolerance::default()
            }),
        }
    }

    fn totals(gap: &str) -> Vec<MeasureRecord> {
        vec![MeasureRecord {
            name: "amount".into(),
            legacy: Exact::parse("100.00").unwrap(),
            new: Exact::parse("100.00").unwrap(),
            gap: Exact::parse(gap).unwrap(),
        }]
    }

    #[test]
    fn a_company_gated_on_rows_is_out_of_tolerance_when_invoices_are_missing() {
        let missing = Some(KeyedRows {
            matched: 10,
            only_legacy: 2,
            ..KeyedRows::default()
        });
        let run = |rows, j: &Judge| company_run(("acme", totals("0.50"), rows), None, j);
        assert!(run(missing, &judge(None)).within_tolerance, "measures only");
        assert!(!run(missing, &judge(Some(1))).within_tolerance, "2 > 1 row");
        assert!(run(missing, &judge(Some(2))).within_tolerance, "2 ≤ 2 rows");
        assert!(run(None, &judge(Some(0))).within_tolerance, "no rows known");
        let far = company_run(("acme", totals("5.00"), None), None, &judge(Some(9)));
        assert!(!far.within_tolerance, "the measure is beyond the tolerance");
        assert_eq!(run(missing, &judge(None)).rows, missing);
    }
}
