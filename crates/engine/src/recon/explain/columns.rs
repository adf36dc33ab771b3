//! How the other columns of changed rows differ, whatever they do to the measure: a date
//! moved by a constant number of days, to the month's end or to the next month; text in
//! another case, with spaces or leading zeros; NULL on one side; two columns swapped. Each is
//! found over the differing rows with the dimension values that hold nearly all of them.

use duckdb::Connection;

use super::cube::Cube;
use super::patterns::{Pattern, PatternKind};
use crate::error::Result;
use crate::recon::columns::KeyedPair;
use crate::sql::{ident, literal};

/// Share of a pattern's rows one dimension value must hold to be named as where they are.
const ALL_IN: f64 = 0.95;
/// Below this share of the differing rows no relation is named.
const COMMON: f64 = 0.5;

/// A column's changed rows, how they differ and where they are.
#[derive(Debug, Clone)]
pub struct ColumnChange {
    pub pattern: Pattern,
    /// `(dimension index, value)` holding nearly all the rows.
    pub terms: Vec<(usize, Option<String>)>,
    /// A condition on the new row itself that selects them (a date shift of month-end
    /// postings: `"day" = last_day("day")`).
    pub condition: Option<String>,
}

/// A relation tried: its kind, condition on `a`/`b`, legacy's expression, and what it says.
type Tried = (PatternKind, String, Option<String>, String);

fn is_date(t: &str) -> bool {
    let t = t.to_ascii_uppercase();
    t == "DATE" || t.starts_with("TIMESTAMP")
}

fn is_text(t: &str) -> bool {
    t.eq_ignore_ascii_case("VARCHAR")
}

fn date_relations(col: &str, a: &str, b: &str, days: Option<i64>) -> Vec<Tried> {
    let c = ident(col);
    let (ad, bd) = (format!("CAST({a} AS DATE)"), format!("CAST({b} AS DATE)"));
    let mut out: Vec<Tried> = vec![
        (
            PatternKind::DateShift,
            format!("{ad} = last_day({bd})"),
            Some(format!("last_day({c})")),
            "moved to the month's last day".into(),
        ),
        (
            PatternKind::DateShift,
            format!("{ad} = CAST(date_trunc('month', {bd}) + INTERVAL 1 MONTH AS DATE)"),
            Some(format!("date_trunc('month', {c}) + INTERVAL 1 MONTH")),
            "moved to the next month's first day".into(),
        ),
    ];
    if let Some(n) = days.filter(|n| *n != 0) {
        out.insert(
            0,
            (
                PatternKind::DateShift,
                format!("{ad} = {bd} + INTERVAL ({n}) DAY"),
                Some(format!("{c} + INTERVAL ({n}) DAY")),
                format!("moved {n:+} day{}", if n.abs() == 1 { "" } else { "s" }),
            ),
        );
    }
    out
}

fn text_relations(col: &str, a: &str, b: &str) -> Vec<Tried> {
    let c = ident(col);
    vec![
        (
            PatternKind::TextForm,
            format!("{a} = upper({b})"),
            Some(format!("upper({c})")),
            "in upper case".into(),
        ),
        (
            PatternKind::TextForm,
            format!("{a} = lower({b})"),
            Some(format!("lower({c})")),
            "in lower case".into(),
        ),
        (
            PatternKind::TextForm,
            format!("{a} = trim({b})"),
            Some(format!("trim({c})")),
            "trimmed".into(),
        ),
        (
            PatternKind::TextForm,
            format!("{a} = ltrim({b}, '0')"),
            Some(format!("ltrim({c}, '0')")),
            "without leading zeros".into(),
        ),
        (
            PatternKind::TextForm,
            format!("ltrim({a}, '0') = {b}"),
            None,
            "with leading zeros".into(),
        ),
        (
            PatternKind::TextForm,
            format!("lower(trim({a})) = lower(trim({b}))"),
            None,
            "the same but for case and spaces".into(),
        ),
    ]
}

/// Every compared column but `skip` whose changed rows differ, with its pattern.
pub fn find_all(
    conn: &Connection,
    table: &str,
    pair: &KeyedPair,
    skip: &[String],
    cube: &Cube,
) -> Result<Vec<ColumnChange>> {
    let mut out = Vec::new();
    for (i, (x, y)) in pair.columns.iter().enumerate() {
        if skip.iter().any(|s| s.eq_ignore_ascii_case(x)) {
            continue;
        }
        let from = format!(
            "FROM {table} WHERE row_class = 'changed' AND NOT ({})",
            pair.column_equal(i)
        );
        let n: i64 = conn.query_row(&format!("SELECT count(*) {from}"), [], |r| r.get(0))?;
        if n == 0 {
            continue;
        }
        let tried = relations(conn, pair, i, y, &from)?;
        if let Some(change) = best(conn, &from, &tried, (n, cube), (i, y))? {
            out.push(change);
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.pattern.rows));
    Ok(out)
}

fn relations(
    conn: &Connection,
    pair: &KeyedPair,
    i: usize,
    col: &str,
    from: &str,
) -> Result<Vec<Tried>> {
    let (a, b) = (format!("a_{i}"), format!("b_{i}"));
    let (ta, tb) = pair.pair_types(i);
    let mut tried: Vec<Tried> = vec![
        (
            PatternKind::LegacyNull,
            format!("{a} IS NULL"),
            Some("NULL".into()),
            "empty in legacy".into(),
        ),
        (
            PatternKind::NewNull,
            format!("{b} IS NULL"),
            None,
            "filled in legacy, empty in new".into(),
        ),
    ];
    if is_date(&ta) && is_date(&tb) {
        let sql = format!(
            "SELECT date_diff('day', CAST({b} AS DATE), CAST({a} AS DATE)) AS x {from} \
             GROUP BY x ORDER BY count(*) DESC, x LIMIT 1"
        );
        let days: Option<i64> = conn.query_row(&sql, [], |r| r.get(0)).ok().flatten();
        tried.extend(date_relations(col, &a, &b, days));
    } else if is_text(&ta) && is_text(&tb) {
        tried.extend(text_relations(col, &a, &b));
    }
    for (j, (_, other)) in pair.columns.iter().enumerate() {
        if j != i && pair.pair_types(j) == (ta.clone(), tb.clone()) {
            tried.push((
                PatternKind::Swapped,
                format!("a_{i} IS NOT DISTINCT FROM b_{j} AND a_{j} IS NOT DISTINCT FROM b_{i}"),
                Some(ident(other)),
                format!("swapped with {other}"),
            ));
        }
    }
    Ok(tried)
}

fn best(
    conn: &Connection,
    from: &str,
    tried: &[Tried],
    (n, cube): (i64, &Cube),
    (i_col, col): (usize, &str),
) -> Result<Option<ColumnChange>> {
    let conds: Vec<&str> = tried.iter().map(|(_, c, _, _)| c.as_str()).collect();
    let Some((i, h)) = super::patterns::most_held(conn, from, &conds)? else {
        return Ok(None);
    };
    let coverage = h as f64 / n as f64;
    let (kind, cond, expression, how) = if coverage >= COMMON {
        tried[i].clone()
    } else {
        (
            PatternKind::Scattered,
            "true".into(),
            None,
            "differs with no common form".into(),
        )
    };
    let pattern = Pattern {
        kind,
        column: col.to_string(),
        expression,
        coverage: if kind == PatternKind::Scattered {
            0.0
        } else {
            coverage
        },
        rows: n,
        text: format!("{col}: {how} in {:.1} % of {n} rows", coverage * 100.0),
    };
    let hits = format!("{from} AND ({cond})");
    let terms = where_they_are(conn, &hits, cube)?;
    let condition = match kind {
        PatternKind::DateShift => month_ends(conn, &hits, i_col, col)?,
        _ => None,
    };
    let mut pattern = pattern;
    if condition.is_some() {
        pattern.text = format!(
            "{col}: month-end rows {how} in {:.1} % of {n} rows",
            coverage * 100.0
        );
    }
    Ok(Some(ColumnChange {
        pattern,
        terms,
        condition,
    }))
}

/// `"col" = last_day("col")` when nearly all the moved rows were on a month's last day.
fn month_ends(conn: &Connection, hits: &str, i: usize, col: &str) -> Result<Option<String>> {
    let b = format!("CAST(b_{i} AS DATE)");
    let (ends, all): (i64, i64) = conn.query_row(
        &format!("SELECT count(*) FILTER (WHERE {b} = last_day({b})), count(*) {hits}"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let c = ident(col);
    Ok((all > 0 && ends as f64 >= ALL_IN * all as f64).then(|| format!("{c} = last_day({c})")))
}

/// Share of all rows with value `v` of dimension `d`.
fn frequency(cube: &Cube, d: usize, v: Option<&str>) -> f64 {
    let (mut hit, mut all) = (0i64, 0i64);
    for c in &cube.cells {
        all += c.rows;
        if cube.value(d, c.codes[d]) == v {
            hit += c.rows;
        }
    }
    hit as f64 / all.max(1) as f64
}

/// Dimension values (up to two) holding nearly all the rows `from` selects, and rare
/// enough in the data for that to say something.
fn where_they_are(
    conn: &Connection,
    from: &str,
    cube: &Cube,
) -> Result<Vec<(usize, Option<String>)>> {
    let mut terms: Vec<(usize, Option<String>)> = Vec::new();
    for d in 0..cube.dims.len() {
        let narrowed = terms
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!(" AND v{k} = {}", literal(v)),
                None => format!(" AND v{k} IS NULL"),
            })
            .collect::<String>();
        let sql = format!(
            "SELECT v{d}, count(*), sum(count(*)) OVER () FROM (SELECT * {from}{narrowed}) \
             GROUP BY v{d} ORDER BY 2 DESC LIMIT 1"
        );
        let top: Option<(Option<String>, i64, f64)> = conn
            .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .ok();
        if let Some((v, k, all)) = top {
            if k as f64 >= ALL_IN * all
                && terms.len() < 2
                && frequency(cube, d, v.as_deref()) <= 0.5
            {
                terms.push((d, v));
            }
        }
    }
    Ok(terms)
}
