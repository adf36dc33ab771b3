//! How changed rows differ: for a cause of changed rows, how legacy's measure relates to the
//! new one (sign flipped, another column added or taken off, a constant ratio, rounding, a
//! constant offset, a NULL on one side), with the share of the rows the relation holds on.
//! Written as the expression that turns the new value into legacy's, so it is a rule.

use duckdb::Connection;
use serde::Serialize;

use crate::decimal::Exact;
use crate::error::Result;
use crate::sql::{ident, literal};

/// Below this share of a cause's rows no relation is named.
const COMMON: f64 = 0.5;
/// ...and on at least this many rows: a factor or an offset read off one row always fits
/// that row, so one row is no evidence of a rule (two re-keyed amounts made `where = true`,
/// `legacy is new × 0.8758 in 50 % of 2 rows` a proposed rule).
const MIN_HELD: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatternKind {
    SignFlip,
    ColumnOffset,
    Ratio,
    Rounding,
    Offset,
    LegacyNull,
    NewNull,
    /// A date moved (by days, to the month's end, to the next month).
    DateShift,
    /// Text in another form (case, spaces, leading zeros).
    TextForm,
    /// Legacy's value is another column's of the new row.
    Swapped,
    /// No relation holds on enough rows: the differences are given as a range.
    Scattered,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pattern {
    pub kind: PatternKind,
    /// The new side's column the pattern is about.
    pub column: String,
    /// legacy's value from the new row's (`"amount" - "tax_amount"`); None when unknown.
    pub expression: Option<String>,
    /// Share of the cause's differing rows the relation holds on.
    pub coverage: f64,
    /// Rows whose measure differs.
    pub rows: i64,
    pub text: String,
}

/// Where the differing rows are: a table of them with the legacy (`lm`) and new (`nm`)
/// measure at `scale`, and new-side numbers `y0…` named by `others`.
pub struct Rows<'a> {
    pub table: &'a str,
    pub measure: &'a str,
    pub scale: u32,
    pub others: &'a [String],
}

/// A relation tried: its kind, the SQL condition it holds on, legacy's expression.
type Candidate = (PatternKind, String, Option<String>, String);

/// The constant offset and the factors (legacy/new, new/legacy) the differing rows most
/// often show, as tried.
struct Estimates {
    constant: Option<String>,
    times: Option<String>,
    over: Option<String>,
}

fn candidates(rows: &Rows, estimates: Estimates) -> Vec<Candidate> {
    let Estimates {
        constant,
        times,
        over,
    } = estimates;
    let m = ident(rows.measure);
    let s = rows.scale;
    let mut out: Vec<Candidate> = vec![
        (
            PatternKind::LegacyNull,
            "lm IS NULL".into(),
            Some("NULL".into()),
            "legacy leaves it empty".into(),
        ),
        (
            PatternKind::NewNull,
            "nm IS NULL".into(),
            None,
            "legacy has a value where new has none".into(),
        ),
        (
            PatternKind::SignFlip,
            "lm = -nm".into(),
            Some(format!("-{m}")),
            "the sign flipped".into(),
        ),
    ];
    for (j, y) in rows.others.iter().enumerate() {
        let yi = ident(y);
        out.push((
            PatternKind::ColumnOffset,
            format!("y{j} <> 0 AND lm = nm - y{j}"),
            Some(format!("{m} - {yi}")),
            format!("less {y}"),
        ));
        out.push((
            PatternKind::ColumnOffset,
            format!("y{j} <> 0 AND lm = nm + y{j}"),
            Some(format!("{m} + {yi}")),
            format!("plus {y}"),
        ));
    }
    out.push((
        PatternKind::Rounding,
        "lm = round(nm, 0)".into(),
        Some(format!("round({m}, 0)")),
        "rounded to units".into(),
    ));
    if s > 1 {
        out.push((
            PatternKind::Rounding,
            "lm = round(nm * 20) / 20".into(),
            Some(format!("round({m} * 20) / 20")),
            "rounded to 0.05".into(),
        ));
        out.push((
            PatternKind::Rounding,
            "lm = round(nm, 1)".into(),
            Some(format!("round({m}, 1)")),
            "rounded to 0.1".into(),
        ));
    }
    // A factor either way, held only where legacy is exactly the new value times (or
    // divided by) it, rounded as the column is: `round(amount * 0.85, 2)`. The factor as
    // counted, never inverted (1 / 0.85 to four places is off by units on large amounts).
    if let Some(f) = times {
        out.push((
            PatternKind::Ratio,
            format!("lm = round(nm * {f}, {s})"),
            Some(format!("round({m} * {f}, {s})")),
            format!("legacy is new × {f}"),
        ));
    }
    if let Some(r) = over {
        out.push((
            PatternKind::Ratio,
            format!("lm = round(nm / {r}, {s})"),
            Some(format!("round({m} / {r}, {s})")),
            format!("legacy is new ÷ {r}"),
        ));
    }
    if let Some(c) = constant {
        out.push((
            PatternKind::Offset,
            format!("lm - nm = {c}"),
            Some(format!("{m} + ({c})")),
            format!(
                "legacy is new {}{c}",
                if c.starts_with('-') { "" } else { "+" }
            ),
        ));
    }
    out
}

/// A factor as counted (`0.8500`) in its shortest form (`0.85`); None for 0 and 1, which
/// are no factor.
fn factor(text: Option<String>) -> Option<String> {
    let x = Exact::parse(text.as_deref()?)?;
    if x.is_zero() || x == Exact::from_scaled(1, 0) {
        return None;
    }
    let t = x.to_string();
    Some(match t.contains('.') {
        true => t.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => t,
    })
}

/// The relation that holds on most of the differing rows `filter` selects.
pub fn find(conn: &Connection, rows: &Rows, filter: &str) -> Result<Option<Pattern>> {
    let from = format!(
        "FROM {} WHERE row_class = 'changed' AND lm IS DISTINCT FROM nm AND {filter}",
        rows.table
    );
    let n: i64 = conn.query_row(&format!("SELECT count(*) {from}"), [], |r| r.get(0))?;
    if n == 0 {
        return Ok(None);
    }
    let mode = |expr: &str, cond: &str| -> Result<Option<String>> {
        let sql = format!(
            "SELECT CAST({expr} AS VARCHAR) AS x {from} AND {cond} GROUP BY x ORDER BY count(*) DESC, x LIMIT 1"
        );
        Ok(conn.query_row(&sql, [], |r| r.get(0)).ok().flatten())
    };
    let estimates = Estimates {
        constant: mode("lm - nm", "lm IS NOT NULL AND nm IS NOT NULL")?,
        times: factor(mode("round(lm / nm, 4)", "nm <> 0 AND lm IS NOT NULL")?),
        over: factor(mode("round(nm / lm, 4)", "lm <> 0 AND nm IS NOT NULL")?),
    };
    let tried = candidates(rows, estimates);
    let conds: Vec<&str> = tried.iter().map(|(_, c, _, _)| c.as_str()).collect();
    let best = most_held(conn, &from, &conds)?;
    let coverage = |h: i64| h as f64 / n as f64;
    Ok(Some(match best {
        Some((i, h)) if coverage(h) >= COMMON && h >= MIN_HELD => {
            let (kind, _, expression, how) = tried[i].clone();
            Pattern {
                kind,
                column: rows.measure.to_string(),
                expression,
                coverage: coverage(h),
                rows: n,
                text: format!(
                    "{}: {how} in {} of {n} rows",
                    rows.measure,
                    percent(coverage(h))
                ),
            }
        }
        _ => scattered(conn, rows, &from, n)?,
    }))
}

/// Of the conditions, the one most rows `from` selects hold (the first among equals), with
/// how many: one pass counts them all.
pub fn most_held(conn: &Connection, from: &str, conds: &[&str]) -> Result<Option<(usize, i64)>> {
    let counts = conds
        .iter()
        .map(|cond| format!("count(*) FILTER (WHERE {cond})"))
        .collect::<Vec<_>>()
        .join(", ");
    let hits: Vec<i64> = conn.query_row(&format!("SELECT {counts} {from}"), [], |r| {
        (0..conds.len()).map(|i| r.get(i)).collect()
    })?;
    Ok(hits
        .iter()
        .enumerate()
        .max_by(|(i, a), (j, b)| a.cmp(b).then(j.cmp(i)))
        .map(|(i, h)| (i, *h)))
}

/// No relation: the range of legacy − new.
fn scattered(conn: &Connection, rows: &Rows, from: &str, n: i64) -> Result<Pattern> {
    let (lo, hi): (Option<String>, Option<String>) = conn.query_row(
        &format!("SELECT CAST(min(lm - nm) AS VARCHAR), CAST(max(lm - nm) AS VARCHAR) {from}"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let show = |v: Option<String>| v.unwrap_or_else(|| "NULL".into());
    Ok(Pattern {
        kind: PatternKind::Scattered,
        column: rows.measure.to_string(),
        expression: None,
        coverage: 0.0,
        rows: n,
        text: format!(
            "{}: no common form in {n} rows; legacy − new from {} to {}",
            rows.measure,
            show(lo),
            show(hi)
        ),
    })
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// A filter on the differing rows' dimension values `v{i}` (None: NULL).
pub fn filter(terms: &[(usize, Option<String>)]) -> String {
    if terms.is_empty() {
        return "true".into();
    }
    terms
        .iter()
        .map(|(i, v)| match v {
            Some(v) => format!("v{i} = {}", literal(v)),
            None => format!("v{i} IS NULL"),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Changed rows whose legacy amount is `legacy` (SQL on `nm`) of the new one, over new
    /// amounts from cents to millions.
    fn pattern_of(legacy: &str) -> Pattern {
        pattern_over(legacy, 400)
    }

    /// The same over `n - 1` rows.
    fn pattern_over(legacy: &str, n: i64) -> Pattern {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE d AS SELECT 'changed' AS row_class, nm, {legacy} AS lm \
             FROM (SELECT CAST(round(1.37 * i * i * i / 7.0, 2) AS DECIMAL(18, 2)) AS nm \
                   FROM range(1, {n}) r(i))"
        ))
        .unwrap();
        let rows = Rows {
            table: "d",
            measure: "amount",
            scale: 2,
            others: &[],
        };
        find(&conn, &rows, "true").unwrap().unwrap()
    }

    /// A factor either way is stated as it is and holds on every row, large amounts too: the
    /// factor was taken as new/legacy to four places (1.1765 for × 0.85) and legacy = new /
    /// 1.1765 missed by units on amounts in the millions.
    #[test]
    fn a_factor_either_way_holds_at_full_precision() {
        let times = pattern_of("CAST(round(nm * 0.85, 2) AS DECIMAL(18, 2))");
        assert_eq!(times.kind, PatternKind::Ratio, "{}", times.text);
        assert_eq!(
            times.expression.as_deref(),
            Some("round(\"amount\" * 0.85, 2)")
        );
        assert_eq!(times.coverage, 1.0, "{}", times.text);
        let over = pattern_of("CAST(round(nm / 1.17, 2) AS DECIMAL(18, 2))");
        assert_eq!(over.kind, PatternKind::Ratio, "{}", over.text);
        assert_eq!(
            over.expression.as_deref(),
            Some("round(\"amount\" / 1.17, 2)")
        );
        assert_eq!(over.coverage, 1.0, "{}", over.text);
    }

    /// Two amounts keyed in wrong by different cents: whatever factor or offset one row
    /// suggests fits that row alone, which is no rule.
    #[test]
    fn one_row_is_no_evidence_of_a_rule() {
        let two = pattern_over("nm + CASE WHEN nm < 1 THEN 0.03 ELSE -1.17 END", 3);
        assert_eq!(two.rows, 2);
        assert_eq!(two.kind, PatternKind::Scattered, "{}", two.text);
        assert!(two.expression.is_none());
    }

    #[test]
    fn a_factor_is_written_in_its_shortest_form() {
        assert_eq!(factor(Some("0.8500".into())).as_deref(), Some("0.85"));
        assert_eq!(factor(Some("2.0000".into())).as_deref(), Some("2"));
        assert_eq!(factor(Some("1.0000".into())), None);
        assert_eq!(factor(Some("0.0000".into())), None);
        assert_eq!(factor(None), None);
    }
}
