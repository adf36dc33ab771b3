//! The layer waterfall of a comparison: per company, the rows, the distinct keys and the
//! measure at every step from extraction through bronze, silver and gold, with legacy
//! beside them — so the layer where rows are lost, duplicated or re-valued shows at a
//! glance. The steps are the compared table and every model it is built from (the models'
//! own references), wherever the tables live (the cache or the ClickHouse warehouse).

use std::collections::BTreeMap;

use duckdb::Connection;
use serde::Serialize;

use super::relation::Relation;
use super::scope::members;
use crate::build::models::{of_workspace, upstream};
use crate::config::Workspace;
use crate::decimal::Exact;
use crate::error::{Error, Result};
use crate::frame::to_cells;
use crate::warehouse::browse::{tables, Browser, TableInfo};
use crate::warehouse::ClickHouse;

/// The steps in the order data flows through them.
pub const LAYERS: [&str; 5] = ["extract", "bronze", "silver", "gold", "legacy"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub company: String,
    /// One of `LAYERS`.
    pub layer: String,
    /// `layer.table`, or `runs:<entity>` for what the last extraction loaded.
    pub table: String,
    pub rows: i64,
    /// Distinct values of the comparison's keys, when the table has them all.
    pub keys: Option<i64>,
    /// The measure's sum as the engine prints it (exact for decimals), when the table has
    /// the measure.
    pub measure: Option<String>,
    /// measure − legacy's measure for the company, exactly.
    pub vs_legacy: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Waterfall {
    pub comparison: String,
    pub measure: String,
    pub keys: Vec<String>,
    pub steps: Vec<Step>,
}

/// The waterfall of comparison `name` for its companies (cut to `only`).
pub fn waterfall(
    ws: &Workspace,
    conn: &Connection,
    warehouse: Option<&ClickHouse>,
    name: &str,
    only: &[String],
) -> Result<Waterfall> {
    let (cmp, companies) = members(ws, name, only)?;
    let measure = cmp
        .measures
        .first()
        .cloned()
        .ok_or_else(|| Error::Usage(format!("comparisons.{name} has no measures")))?;
    let models = of_workspace(ws)?;
    let known: BTreeMap<String, TableInfo> = tables(conn, warehouse)?
        .into_iter()
        .map(|t| (t.label(), t))
        .collect();
    let ask = Ask {
        conn,
        warehouse,
        keys: &cmp.keys,
        measure: &measure,
        companies: &companies,
    };
    let mut steps = Vec::new();
    let chain = upstream(&models, &cmp.table);
    let entities: Vec<&str> = chain
        .iter()
        .filter_map(|t| t.strip_prefix("bronze."))
        .collect();
    steps.extend(extracted(conn, &entities, &companies)?);
    let legacy = format!("legacy.{}", cmp.legacy);
    for label in chain.iter().chain(std::iter::once(&legacy)) {
        if let Some(info) = known.get(label) {
            steps.extend(ask.step(info)?);
        }
    }
    against_legacy(&mut steps);
    let rank = |l: &str| LAYERS.iter().position(|x| *x == l).unwrap_or(LAYERS.len());
    steps.sort_by(|a, b| {
        (&a.company, rank(&a.layer), &a.table).cmp(&(&b.company, rank(&b.layer), &b.table))
    });
    Ok(Waterfall {
        comparison: name.to_string(),
        measure,
        keys: cmp.keys.clone(),
        steps,
    })
}

/// Rows the last successful extraction of each entity loaded, per company.
fn extracted(conn: &Connection, entities: &[&str], companies: &[String]) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT company, arg_max(rows, id) FROM assay.runs \
         WHERE kind = 'extract' AND status = 'ok' AND entity = ? AND rows IS NOT NULL \
         GROUP BY company",
    )?;
    for entity in entities {
        let rows = stmt.query_map([entity], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        for row in rows {
            let (company, rows): (String, i64) = row?;
            if companies.contains(&company) {
                steps.push(Step {
                    company,
                    layer: "extract".into(),
                    table: format!("runs:{entity}"),
                    rows,
                    keys: None,
                    measure: None,
                    vs_legacy: None,
                });
            }
        }
    }
    Ok(steps)
}

/// Each step's measure against legacy's for the same company.
fn against_legacy(steps: &mut [Step]) {
    let legacy: BTreeMap<String, Exact> = steps
        .iter()
        .filter(|s| s.layer == "legacy")
        .filter_map(|s| Some((s.company.clone(), Exact::parse(s.measure.as_deref()?)?)))
        .collect();
    for step in steps.iter_mut().filter(|s| s.layer != "legacy") {
        let (Some(base), Some(m)) = (
            legacy.get(&step.company),
            step.measure.as_deref().and_then(Exact::parse),
        ) else {
            continue;
        };
        step.vs_legacy = m.minus(*base).map(|d| d.to_string());
    }
}

/// What one table's step asks, wherever the table lives.
struct Ask<'a> {
    conn: &'a Connection,
    warehouse: Option<&'a ClickHouse>,
    keys: &'a [String],
    measure: &'a str,
    companies: &'a [String],
}

impl Ask<'_> {
    /// Rows, keys and the measure of `info` per company; nothing for a table without a
    /// company column (it cannot be cut by company).
    fn step(&self, info: &TableInfo) -> Result<Vec<Step>> {
        let table = info.table();
        let d = table.dialect;
        let browser = Browser::for_table(&table, self.conn, self.warehouse);
        let typed = self.columns(info)?;
        let columns: Vec<&String> = typed.iter().map(|(name, _)| name).collect();
        let find = |want: &str| {
            columns
                .iter()
                .copied()
                .find(|c| c.eq_ignore_ascii_case(want))
        };
        let Some(company) = find("company").or_else(|| find("_company")) else {
            return Ok(Vec::new());
        };
        let keys: Option<Vec<String>> = self
            .keys
            .iter()
            .map(|k| find(k).map(|c| d.ident(c)))
            .collect::<Option<Vec<String>>>()
            .filter(|k| !k.is_empty());
        let mut select = vec![
            format!("{} AS wf_company", d.text(&d.ident(company))),
            "count(*) AS wf_rows".to_string(),
        ];
        if let Some(keys) = &keys {
            select.push(format!("{} AS wf_keys", d.count_distinct(keys)));
        }
        let measure = find(self.measure);
        if let Some(m) = measure {
            // A float column (a legacy CSV read as DOUBLE) is summed as decimals of 6
            // places: its sum printed as a float says 1303260.5299999998.
            let float = typed.iter().any(|(n, t)| n == m && is_float(t));
            let value = if float {
                let float = crate::decimal::Numeric {
                    scale: crate::decimal::FLOAT_SCALE,
                    float: true,
                };
                d.exact(&d.ident(m), float, crate::decimal::FLOAT_SCALE)
            } else {
                d.ident(m)
            };
            select.push(format!("{} AS wf_measure", d.sum_as_text(&value)));
        }
        let list: Vec<String> = self.companies.iter().map(|c| d.literal(c)).collect();
        let sql = format!(
            "SELECT {} FROM {} WHERE {} IN ({}) GROUP BY {}",
            select.join(", "),
            table.sql,
            d.text(&d.ident(company)),
            list.join(", "),
            d.group_by_alias(1, "wf_company")
        );
        let frame = browser
            .frame(&sql)
            .map_err(|e| e.context(format!("waterfall step {}", info.label())))?;
        let layer = if info.schema == "legacy" {
            "legacy"
        } else {
            info.schema.as_str()
        };
        Ok(to_cells(&frame)
            .into_iter()
            .map(|row| {
                let cell = |i: usize| row.get(i).cloned().flatten();
                let number = |i: usize| cell(i).and_then(|t| t.parse::<i64>().ok());
                Step {
                    company: cell(0).unwrap_or_default(),
                    layer: layer.to_string(),
                    table: info.label(),
                    rows: number(1).unwrap_or(0),
                    keys: keys.as_ref().and_then(|_| number(2)),
                    measure: measure.and_then(|_| cell(if keys.is_some() { 3 } else { 2 })),
                    vs_legacy: None,
                }
            })
            .collect())
    }

    /// The table's columns (name, type), from the engine holding it.
    fn columns(&self, info: &TableInfo) -> Result<Vec<(String, String)>> {
        match (&info.warehouse, self.warehouse) {
            (Some(db), Some(ch)) => ch.describe(&format!("{db}.{}", info.name)),
            _ => Ok(Relation::describe(self.conn, &info.table().sql)?.columns),
        }
    }
}

/// A floating-point type name of either engine.
fn is_float(type_name: &str) -> bool {
    let t = type_name.to_ascii_uppercase();
    ["DOUBLE", "FLOAT", "REAL"].iter().any(|f| t.contains(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn steps_are_counted_per_company_and_set_against_legacy() {
        let store = Store::in_memory().unwrap();
        let conn = store.conn();
        conn.execute_batch(
            "CREATE TABLE gold.f AS SELECT * FROM (VALUES ('a', 1, 10.50::DECIMAL(10,2)), ('a', 1, 1.25), ('b', 2, 3.00)) t(company, id, amount);
             CREATE TABLE legacy.s AS SELECT * FROM (VALUES ('a', 1, 11.00::DECIMAL(10,2)), ('b', 2, 3.00)) t(_company, id, amount);",
        )
        .unwrap();
        let companies = vec!["a".to_string(), "b".to_string()];
        let keys = vec!["id".to_string()];
        let ask = Ask {
            conn,
            warehouse: None,
            keys: &keys,
            measure: "amount",
            companies: &companies,
        };
        let info = |schema: &str, name: &str| TableInfo {
            schema: schema.into(),
            name: name.into(),
            kind: "table".into(),
            columns: 3,
            estimated_rows: None,
            warehouse: None,
        };
        let mut steps = ask.step(&info("gold", "f")).unwrap();
        steps.extend(ask.step(&info("legacy", "s")).unwrap());
        against_legacy(&mut steps);
        let a = steps
            .iter()
            .find(|s| s.company == "a" && s.layer == "gold")
            .unwrap();
        assert_eq!((a.rows, a.keys), (2, Some(1)), "a duplicated key shows");
        assert_eq!(a.measure.as_deref(), Some("11.75"));
        assert_eq!(a.vs_legacy.as_deref(), Some("0.75"));
        let b = steps
            .iter()
            .find(|s| s.company == "b" && s.layer == "gold")
            .unwrap();
        assert_eq!(b.vs_legacy.as_deref(), Some("0.00"));
        // A float column sums as decimals: 0.1 + 0.2 is 0.3, not 0.30000000000000004.
        conn.execute_batch(
            "CREATE TABLE legacy.d AS SELECT * FROM (VALUES ('a', 1, 0.1::DOUBLE), ('a', 2, 0.2::DOUBLE)) t(_company, id, amount)",
        )
        .unwrap();
        let float = ask.step(&info("legacy", "d")).unwrap();
        assert_eq!(float[0].measure.as_deref(), Some("0.300000"));
    }
}
