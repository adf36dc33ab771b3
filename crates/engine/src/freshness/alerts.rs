//! Warnings that age alone cannot give: a source (or a built model) whose columns changed
//! since its previous successful extraction (build): added, removed, retyped, likely
//! renamed; and a row count far from the recent runs' (a robust z-score over the median
//! absolute deviation). Both are read
//! from the catalog, so they cost nothing to ask from cron.

use std::collections::BTreeMap;

use duckdb::Connection;
use serde::Serialize;

use crate::error::Result;

/// Earlier runs a row count is set against, unless configured.
pub const VOLUME_RUNS: u32 = 10;
/// Fewer earlier runs than this say nothing about what is normal: no alert.
pub const MIN_HISTORY: usize = 5;
/// Robust z-score past which a count is an anomaly, unless configured.
pub const VOLUME_THRESHOLD: f64 = 3.5;
/// A count within this fraction of the median is never an anomaly (a history of identical
/// counts has no deviation, and a 1 % growth is not news).
const MIN_RELATIVE: f64 = 0.05;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Empty for a model: a build makes the table of every company at once.
    pub company: String,
    /// The entity extracted, or the model built (`gold.fct_sales`).
    pub entity: String,
    /// `schema` or `volume`.
    pub kind: String,
    pub message: String,
    /// The extraction run it is about (the latest successful one).
    pub run_id: i64,
}

/// The schema and volume alerts of every company × entity's latest successful extraction
/// and every model's latest successful build, but those someone acknowledged
/// (`acknowledge`).
pub fn alerts(conn: &Connection, runs: u32, threshold: f64) -> Result<Vec<Alert>> {
    let mut out = schema_alerts(conn)?;
    out.extend(volume_alerts(conn, runs, threshold)?);
    let acknowledged = acknowledged(conn)?;
    out.retain(|a| !acknowledged.contains(&(a.company.clone(), a.entity.clone(), a.run_id)));
    out.sort_by(|a, b| (&a.company, &a.entity, &a.kind).cmp(&(&b.company, &b.entity, &b.kind)));
    Ok(out)
}

type Columns = Vec<(String, String)>;

fn schema_alerts(conn: &Connection) -> Result<Vec<Alert>> {
    // The columns of each company × entity's two latest successful extractions.
    let mut stmt = conn.prepare(
        "WITH ranked AS (SELECT id, coalesce(company, '') AS company, entity, \
         row_number() OVER (PARTITION BY coalesce(company, ''), entity ORDER BY id DESC) AS n \
         FROM assay.runs WHERE kind IN ('extract', 'build') AND status = 'ok' AND id IN (SELECT run_id FROM assay.run_columns)) \
         SELECT r.company, r.entity, r.n, c.name, c.type, r.id FROM ranked r JOIN assay.run_columns c ON c.run_id = r.id \
         WHERE r.n <= 2 ORDER BY r.company, r.entity, r.n, c.ordinal",
    )?;
    let mut by: BTreeMap<(String, String), [Columns; 2]> = BTreeMap::new();
    let mut latest_run: BTreeMap<(String, String), i64> = BTreeMap::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    for row in rows {
        let (company, entity, n, name, ty, id) = row?;
        if n == 1 {
            latest_run.insert((company.clone(), entity.clone()), id);
        }
        by.entry((company, entity)).or_default()[(n - 1) as usize].push((name, ty));
    }
    let mut out = Vec::new();
    for ((company, entity), [latest, previous]) in by {
        let run_id = latest_run
            .get(&(company.clone(), entity.clone()))
            .copied()
            .unwrap_or(0);
        if previous.is_empty() {
            continue;
        }
        for message in changes(&previous, &latest) {
            out.push(Alert {
                company: company.clone(),
                entity: entity.clone(),
                kind: "schema".into(),
                message,
                run_id,
            });
        }
    }
    Ok(out)
}

/// What changed from `before` to `after`, in words.
pub fn changes(before: &Columns, after: &Columns) -> Vec<String> {
    let find = |cols: &Columns, name: &str| cols.iter().find(|(n, _)| n == name).cloned();
    let removed: Vec<&(String, String)> = before
        .iter()
        .filter(|(n, _)| find(after, n).is_none())
        .collect();
    let added: Vec<&(String, String)> = after
        .iter()
        .filter(|(n, _)| find(before, n).is_none())
        .collect();
    let mut out = Vec::new();
    let mut renamed_to = Vec::new();
    for (name, ty) in &removed {
        // One added column of the same type where this one was: most likely a rename.
        let same_type: Vec<&&(String, String)> = added.iter().filter(|(_, t)| t == ty).collect();
        if let [only] = same_type.as_slice() {
            out.push(format!("column `{name}` likely renamed to `{}`", only.0));
            renamed_to.push(only.0.clone());
        } else {
            out.push(format!("column `{name}` ({ty}) removed"));
        }
    }
    for (name, ty) in added.iter().filter(|(n, _)| !renamed_to.contains(n)) {
        out.push(format!("column `{name}` ({ty}) added"));
    }
    for (name, ty) in after {
        if let Some((_, old)) = find(before, name).filter(|(_, t)| t != ty) {
            out.push(format!("column `{name}` changed type {old} → {ty}"));
        }
    }
    out
}

fn volume_alerts(conn: &Connection, runs: u32, threshold: f64) -> Result<Vec<Alert>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT coalesce(company, ''), entity, list(rows ORDER BY id DESC)[1:{}], max(id) FROM assay.runs \
         WHERE kind IN ('extract', 'build') AND status = 'ok' AND rows IS NOT NULL GROUP BY ALL ORDER BY ALL",
        runs as i64 + 1
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, duckdb::types::Value>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (company, entity, list, run_id) = row?;
        let counts: Vec<f64> = match list {
            duckdb::types::Value::List(items) => items
                .into_iter()
                .filter_map(|v| match v {
                    duckdb::types::Value::BigInt(n) => Some(n as f64),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let Some((latest, history)) = counts.split_first() else {
            continue;
        };
        if let Some(message) = anomaly(*latest, history, threshold) {
            out.push(Alert {
                company,
                entity,
                kind: "volume".into(),
                message,
                run_id,
            });
        }
    }
    Ok(out)
}

/// (company, entity, run) of every acknowledgement.
fn acknowledged(conn: &Connection) -> Result<std::collections::BTreeSet<(String, String, i64)>> {
    let mut stmt = conn.prepare("SELECT company, entity, run_id FROM assay.acknowledged")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Acknowledge the current alerts of the company × entity pairs `which` admits (None:
/// any); they stay quiet until a later load raises new ones. What was acknowledged.
pub fn acknowledge(
    conn: &Connection,
    alerts: &[Alert],
    company: Option<&str>,
    entity: Option<&str>,
    by: &str,
) -> Result<Vec<Alert>> {
    let chosen: Vec<Alert> = alerts
        .iter()
        .filter(|a| company.is_none_or(|c| c == a.company) && entity.is_none_or(|e| e == a.entity))
        .cloned()
        .collect();
    for a in &chosen {
        conn.execute(
            "INSERT OR IGNORE INTO assay.acknowledged VALUES (?, ?, ?, ?, ?)",
            duckdb::params![a.company, a.entity, a.run_id, by, crate::store::utc_now()],
        )?;
    }
    Ok(chosen)
}

pub(super) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Whether `latest` is far from `history` (newest first): a message naming the expected and
/// actual counts, or None (also when the history is too short to say).
pub fn anomaly(latest: f64, history: &[f64], threshold: f64) -> Option<String> {
    if history.len() < MIN_HISTORY {
        return None;
    }
    let mut h = history.to_vec();
    let m = median(&mut h);
    let mut deviations: Vec<f64> = history.iter().map(|x| (x - m).abs()).collect();
    let mad = median(&mut deviations);
    let off = (latest - m).abs();
    if off <= MIN_RELATIVE * m.abs() {
        return None;
    }
    // 0.6745 makes the MAD comparable to a standard deviation; a zero MAD (identical
    // counts) makes any change past MIN_RELATIVE unusual.
    let z = if mad > 0.0 {
        0.6745 * off / mad
    } else {
        f64::INFINITY
    };
    (z > threshold).then(|| {
        format!(
            "{} rows, expected about {} (median of the last {} runs)",
            latest as i64,
            m as i64,
            history.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_of_40_percent_is_an_anomaly_and_noise_is_not() {
        let history = [1000.0, 1010.0, 990.0, 1005.0, 995.0, 1002.0];
        assert!(anomaly(600.0, &history, VOLUME_THRESHOLD)
            .unwrap()
            .contains("600 rows, expected about 1001"));
        assert_eq!(anomaly(1008.0, &history, VOLUME_THRESHOLD), None);
        assert_eq!(
            anomaly(600.0, &history[..4], VOLUME_THRESHOLD),
            None,
            "too little history"
        );
        let flat = [500.0; 6];
        assert_eq!(anomaly(500.0, &flat, VOLUME_THRESHOLD), None);
        assert_eq!(
            anomaly(510.0, &flat, VOLUME_THRESHOLD),
            None,
            "2 % is not news"
        );
        assert!(anomaly(300.0, &flat, VOLUME_THRESHOLD).is_some());
    }

    #[test]
    fn column_changes_are_named() {
        let cols = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Columns>()
        };
        let before = cols(&[
            ("id", "BIGINT"),
            ("customerId", "VARCHAR"),
            ("amount", "DOUBLE"),
            ("note", "VARCHAR"),
            ("x", "DATE"),
        ]);
        let after = cols(&[
            ("id", "BIGINT"),
            ("customer_id", "VARCHAR"),
            ("amount", "DECIMAL(18,2)"),
            ("note", "VARCHAR"),
            ("y", "BIGINT"),
            ("z", "BIGINT"),
        ]);
        let c = changes(&before, &after);
        assert!(
            c.contains(&"column `customerId` likely renamed to `customer_id`".to_string()),
            "{c:?}"
        );
        assert!(
            c.contains(&"column `x` (DATE) removed".to_string()),
            "{c:?}"
        );
        assert!(
            c.contains(&"column `y` (BIGINT) added".to_string()),
            "{c:?}"
        );
        assert!(
            c.contains(&"column `amount` changed type DOUBLE → DECIMAL(18,2)".to_string()),
            "{c:?}"
        );
        assert_eq!(c.len(), 5, "{c:?}");
    }
}
