//! What the accepted rules leave, per company, in one grouped pass over the new side after
//! the rules (and one per accepted difference): what a compare records for each company.
//!
//! Why not a waterfall per company: each would scan the new side once per rule, so eight
//! companies cost eight waterfalls; the history only needs the end of each (what remains,
//! what is unexplained), which is additive over companies and comes from one GROUP BY.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::apply::apply;
use super::file::RulesFile;
use super::waterfall::{disjoint, same_keys, taking_part};
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
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
    let duck = Dialect::DuckDb;
    let new_company = ident(&spec.new_name(COMPANY));
    let new = sums(
        conn,
        &format!(
            "SELECT {new_company}::VARCHAR, {} FROM {} GROUP BY 1",
            duck.exact_sum(&ident(&m.new_name), m.new, m.scale),
            last.sql
        ),
        m.scale,
    )?;
    let legacy = match legacy {
        Some(known) => known,
        None => sums(
            conn,
            &format!(
                "SELECT {c}::VARCHAR, {} FROM {} GROUP BY 1",
                duck.exact_sum(&ident(&m.name), m.legacy, m.scale),
                spec.legacy.sql,
                c = ident(COMPANY)
            ),
            m.scale,
        )?,
    };
    let zero = Exact::from_scaled(0, m.scale);
    let mut out: BTreeMap<String, (Exact, Exact)> = BTreeMap::new();
    for company in new.keys().chain(legacy.keys()) {
        let gap = Exact::delta(
            *new.get(company).unwrap_or(&zero),
            *legacy.get(company).unwrap_or(&zero),
            "a company's gap after the rules",
        )?;
        out.insert(company.clone(), (gap, gap));
    }
    let same = same_keys(spec);
    // Only the columns read below: `n` is read twice, so DuckDB keeps it, and a whole
    // row of every covered invoice kept is most of the cost.
    let mut kept: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    kept.extend([spec.new_name(COMPANY), m.new_name.clone()]);
    let mut seen = std::collections::HashSet::new();
    kept.retain(|c| seen.insert(c.to_ascii_lowercase()));
    let kept: Vec<String> = kept.iter().map(|c| ident(c)).collect();
    for (a, cond) in disjoint(file, duck)? {
        // The rows the difference covers on the new side, and legacy's rows of their keys.
        let sql = format!(
            "WITH n AS (SELECT {kept} FROM {last} WHERE {cond}) \
             SELECT c, sum(amount)::VARCHAR FROM ( \
               SELECT {new_company}::VARCHAR AS c, {n_amount} AS amount FROM n \
               UNION ALL \
               SELECT l.{company}::VARCHAR, -{l_amount} FROM {legacy} AS l \
                 WHERE EXISTS (SELECT 1 FROM n WHERE {same})) GROUP BY 1",
            last = last.sql,
            kept = kept.join(", "),
            n_amount = duck.exact(&ident(&m.new_name), m.new, m.scale),
            l_amount = duck.exact(&format!("l.{}", ident(&m.name)), m.legacy, m.scale),
            legacy = spec.legacy.sql,
            company = ident(COMPANY),
        );
        let deltas = sums(conn, &sql, m.scale)
            .map_err(|e| Error::Usage(format!("accepted `{}` does not apply: {e}", a.name)))?;
        for (company, delta) in deltas {
            let entry = out.entry(company).or_insert((zero, zero));
            entry.1 = entry
                .1
                .minus(delta)
                .ok_or_else(|| Error::Runtime("overflow".into()))?;
        }
    }
    Ok(out)
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
