//! What the accepted rules leave, per company, in one grouped pass over the new side after
//! the rules (and one join of the rows the accepted differences cover against legacy): what
//! a compare records for each company.
//!
//! Why not a waterfall per company: each would scan the new side once per rule, so eight
//! companies cost eight waterfalls; the history only needs the end of each (what remains,
//! what is unexplained), which is additive over companies and comes from one GROUP BY.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::apply::apply;
use super::file::{Allowance, RulesFile};
use super::waterfall::{disjoint, same_keys, taking_part};
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::recon::relation::Relation;
use crate::recon::report::Spec;
use crate::recon::scope::COMPANY;
use crate::recon::spec::Measure;
use crate::sql::ident;

/// Per company: (the gap after the accepted rules, what the accepted differences leave of
/// it) for measure `m`. Companies with no row on either side are absent (zero). `legacy`:
/// every company's legacy total of `m` when the caller knows them (a compare just summed
/// them), so the rules cost one pass over the new side, not one over each side.
pub fn remaining(
    conn: &Connection,
    spec: &Spec,
    m: &Measure,
    file: &RulesFile,
    legacy: Option<BTreeMap<String, Exact>>,
) -> Result<BTreeMap<String, (Exact, Exact)>> {
    let rules = taking_part(file, false);
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let applied = apply(conn, &spec.new, &rules, &keys)?;
    let last = applied.steps.last().unwrap_or(&spec.new);
    let differences = disjoint(file, Dialect::DuckDb)?;
    // The differences are disjoint (each leaves out the rows of those before it), and only
    // their sum matters here, so all of them are one condition: one pass and one join.
    let covered = (!differences.is_empty()).then(|| {
        differences
            .iter()
            .map(|(_, cond)| format!("({cond})"))
            .collect::<Vec<_>>()
            .join(" OR ")
    });
    let new = new_sums(conn, spec, m, last, covered.as_deref())?;
    let legacy = match legacy {
        Some(known) => known,
        None => legacy_sums(conn, spec, m, None)?,
    };
    let covered_legacy = match &covered {
        Some(cond) => legacy_sums(conn, spec, m, Some((last, cond)))
            .map_err(|e| name_the_difference(conn, last, &differences, e))?,
        None => BTreeMap::new(),
    };
    let zero = Exact::from_scaled(0, m.scale);
    let mut out: BTreeMap<String, (Exact, Exact)> = BTreeMap::new();
    for company in new.keys().chain(legacy.keys()).chain(covered_legacy.keys()) {
        let (all, covered_new) = new.get(company).copied().unwrap_or((zero, zero));
        let gap = Exact::delta(
            all,
            *legacy.get(company).unwrap_or(&zero),
            "a company's gap after the rules",
        )?;
        let accepted = Exact::delta(
            covered_new,
            *covered_legacy.get(company).unwrap_or(&zero),
            "a company's accepted differences",
        )?;
        let left = gap
            .minus(accepted)
            .ok_or_else(|| Error::Runtime("overflow".into()))?;
        out.insert(company.clone(), (gap, left));
    }
    Ok(out)
}

/// Per company, over the new side after the rules: (the total, the part the accepted
/// differences cover), in one pass.
fn new_sums(
    conn: &Connection,
    spec: &Spec,
    m: &Measure,
    last: &Relation,
    covered: Option<&str>,
) -> Result<BTreeMap<String, (Exact, Exact)>> {
    let duck = Dialect::DuckDb;
    let amount = duck.summable(&ident(&m.new_name), m.new, m.scale);
    let part = covered.map_or("NULL".to_string(), |c| {
        duck.text(&format!("sum({amount}) FILTER (WHERE {c})"))
    });
    let sql = format!(
        "SELECT {}::VARCHAR, {}, {part} FROM {} GROUP BY 1",
        ident(&spec.new_name(COMPANY)),
        duck.sum_as_text(&amount),
        last.sql
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (company, all, part) = row?;
        let all = Numeric::read_sum(all.as_deref(), m.scale, "a company's total")?;
        let part = Numeric::read_sum(part.as_deref(), m.scale, "a company's total")?;
        out.insert(company.unwrap_or_default(), (all, part));
    }
    Ok(out)
}

/// Per company, legacy's total; with `covered`, only of the keys the new side's rows after
/// the rules (`last`) meeting the condition have. An explicit SEMI JOIN: DuckDB runs the
/// same EXISTS several times slower over the comparison's wrapped relations.
fn legacy_sums(
    conn: &Connection,
    spec: &Spec,
    m: &Measure,
    covered: Option<(&Relation, &str)>,
) -> Result<BTreeMap<String, Exact>> {
    let duck = Dialect::DuckDb;
    let join = match covered {
        None => String::new(),
        Some((last, cond)) => {
            // Only the key columns: the rows they come from need nothing else here.
            let keys: Vec<String> = spec.keys.iter().map(|k| ident(&spec.new_name(k))).collect();
            format!(
                " SEMI JOIN (SELECT {} FROM {} WHERE {cond}) AS n ON {}",
                keys.join(", "),
                last.sql,
                same_keys(spec)
            )
        }
    };
    sums(
        conn,
        &format!(
            "SELECT l.{c}::VARCHAR, {} FROM {} AS l{join} GROUP BY 1",
            duck.exact_sum(&format!("l.{}", ident(&m.name)), m.legacy, m.scale),
            spec.legacy.sql,
            c = ident(COMPANY)
        ),
        m.scale,
    )
}

/// The error of the accepted differences' join, naming the first difference that does not
/// apply on its own (one is only found by trying each).
fn name_the_difference(
    conn: &Connection,
    last: &Relation,
    differences: &[(&Allowance, String)],
    e: Error,
) -> Error {
    for (a, cond) in differences {
        let probe = format!("SELECT count(*) FROM {} WHERE {cond}", last.sql);
        if let Err(why) = conn.prepare(&probe) {
            return Error::Usage(format!("accepted `{}` does not apply: {why}", a.name));
        }
    }
    e
}

/// (company, exact sum) of a two-column query.
fn sums(conn: &Connection, sql: &str, scale: u32) -> Result<BTreeMap<String, Exact>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, Option<String>>(1)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (company, text) = row?;
        let sum = Numeric::read_sum(text.as_deref(), scale, "a company's total")?;
        out.insert(company.unwrap_or_default(), sum);
    }
    Ok(out)
}
