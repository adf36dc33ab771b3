//! Cut-off dates. A one-sided cause on one month of a date column is often a period close:
//! legacy left out the postings from a day on (`"posted_at" >= '2024-12-29'`). The month
//! is then a weak cause (its rule would touch the month's agreeing rows too); the day that
//! separates the cause's rows from the rest is proposed instead, when it is purer.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::cube::{Cube, Source};
use super::dims::{month_range, DimKind};
use super::rank::{on_side, Pick};
use crate::decimal::Numeric;
use crate::error::Result;
use crate::recon::class::RowClass;
use crate::sql::{ident, literal};

/// A range must keep this share of the month's cause (by absolute amount) to replace it.
const COVER: f64 = 0.95;
/// ...and be this much purer than the month, so a cut-off is never a coin toss.
const PURER_BY: f64 = 0.02;

/// The classed join's column holding dimension `i`'s day (a month dimension's).
pub fn day_column(i: usize) -> String {
    format!("day{i}")
}

/// A day boundary in place of a month: its predicate and the cause's rows within it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cutoff {
    pub predicate: String,
    pub rows: i64,
    /// In units of the measure's scale.
    pub amount: i128,
    pub purity: f64,
}

/// One day of the month: the cause's rows on it, and every row a rule would touch there.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub day: String,
    pub hits: i64,
    pub amount: i128,
    pub weight: i128,
    pub side: i64,
}

/// Which part of the month a boundary keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// From this day (by index) to the month's end: postings after a close.
    From(usize),
    /// From the month's start to before this day: postings before a go-live.
    Before(usize),
}

/// For each pick, the cut-off that replaces its month, if any. Only one-sided picks on
/// exactly one month qualify, and only when the month's rows were all seen (a ClickHouse
/// compare leaves agreeing rows in the warehouse, so its purity per day is unknown).
pub fn refine(
    conn: &Connection,
    sources: &[Source],
    cube: &Cube,
    picks: &[Pick],
    scale: u32,
) -> Result<Vec<Option<Cutoff>>> {
    let mut out = Vec::with_capacity(picks.len());
    for (at, p) in picks.iter().enumerate() {
        let month = match p.terms.as_slice() {
            [(d, code)]
                if cube.dims[*d].kind == DimKind::Month
                    && !cube.partial[*d]
                    && matches!(p.class, RowClass::OnlyNew | RowClass::OnlyLegacy) =>
            {
                cube.value(*d, *code).map(|m| (*d, m.to_string()))
            }
            _ => None,
        };
        out.push(match month {
            Some((d, m)) => of_month(conn, sources, cube, (&picks[..at], p), (d, &m), scale)?,
            None => None,
        });
    }
    Ok(out)
}

/// The days of month `m` of dimension `d` for pick `p` (rows earlier picks of its class
/// took are left out: their rule comes first), and the side's rows before and after it.
fn of_month(
    conn: &Connection,
    sources: &[Source],
    cube: &Cube,
    (above, p): (&[Pick], &Pick),
    (d, m): (usize, &str),
    scale: u32,
) -> Result<Option<Cutoff>> {
    if month_range(m).is_none() {
        return Ok(None);
    }
    let mut days: BTreeMap<String, Day> = BTreeMap::new();
    let (mut before, mut after) = (0i64, 0i64);
    for source in sources {
        let sql = day_sql(*source, cube, (above, p), (d, m));
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let at: Option<String> = r.get(0)?;
            let units = |i: usize| -> Result<i128> {
                let sum: Option<String> = r.get(i)?;
                let exact = Numeric::read_sum(sum.as_deref(), scale, "a day's delta")?;
                Ok(exact.units_at(scale).unwrap_or(0))
            };
            let side: i64 = r.get(4)?;
            match at.as_deref() {
                Some("<") => before += side,
                Some(">") => after += side,
                Some(day) => {
                    let e = days.entry(day.to_string()).or_insert_with(|| Day {
                        day: day.to_string(),
                        hits: 0,
                        amount: 0,
                        weight: 0,
                        side: 0,
                    });
                    e.hits += r.get::<_, i64>(1)?;
                    e.amount += units(2)?;
                    e.weight += units(3)?;
                    e.side += side;
                }
                None => {}
            }
        }
    }
    let days: Vec<Day> = days.into_values().collect();
    let column = &cube.dims[d].column;
    // The month's purity as the days count it (rows earlier rules took left out).
    let hits: i64 = days.iter().map(|d| d.hits).sum();
    let side: i64 = days.iter().map(|d| d.side).sum();
    let month = hits as f64 / side.max(1) as f64;
    Ok(choose(&days, month).map(|range| cutoff(column, &days, range, (before, after), m)))
}

/// Per day of month `m` (and `<`/`>` for the side's rows before and after it) of one
/// source: the pick's rows, their delta and weight, and the rows a rule would touch.
fn day_sql(
    source: Source,
    cube: &Cube,
    (above, p): (&[Pick], &Pick),
    (d, m): (usize, &str),
) -> String {
    let (start, next) = month_range(m).unwrap_or_default();
    let (v, day) = (format!("v{d}"), day_column(d));
    let taken = taken_by(cube, above, p.class);
    let class = literal(p.class.as_str());
    let side: Vec<String> = RowClass::ALL
        .into_iter()
        .filter(|c| on_side(p.class, *c))
        .map(|c| literal(c.as_str()))
        .collect();
    // The earlier picks' terms read every dimension, so all of `v…` are carried.
    let vs: Vec<String> = (0..cube.dims.len()).map(|i| format!("v{i}")).collect();
    let columns = format!("{}, {day}", vs.join(", "));
    format!(
        "SELECT CASE WHEN {v} = {m} THEN {day} WHEN {day} < {start} THEN '<' \
         WHEN {day} >= {next} THEN '>' END AS at, count(*) FILTER (WHERE hit), \
         CAST(sum(d) FILTER (WHERE hit) AS VARCHAR), CAST(sum(abs(d)) FILTER (WHERE hit) AS VARCHAR), \
         count(*) FILTER (WHERE side) \
         FROM (SELECT {v}, {day}, d, row_class = {class} AND NOT ({taken}) AS hit, \
         row_class IN ({}) AND NOT (row_class = {class} AND ({taken})) AS side FROM ({})) \
         GROUP BY 1",
        side.join(", "),
        source.rows(&columns),
        m = literal(m),
        start = literal(&start),
        next = literal(&next),
    )
}

/// SQL true on rows earlier picks of `class` took (in the classed join's `v…` columns).
fn taken_by(cube: &Cube, above: &[Pick], class: RowClass) -> String {
    let each: Vec<String> = above
        .iter()
        .filter(|q| q.class == class && !q.terms.is_empty())
        .map(|q| {
            let terms: Vec<String> = q
                .terms
                .iter()
                .map(|&(d, code)| match cube.value(d, code) {
                    Some(v) => format!("v{d} IS NOT DISTINCT FROM {}", literal(v)),
                    None => format!("v{d} IS NULL"),
                })
                .collect();
            format!("({})", terms.join(" AND "))
        })
        .collect();
    match each.is_empty() {
        true => "false".into(),
        false => each.join(" OR "),
    }
}

/// The part of the month that holds nearly all of the cause (≥ `COVER` of its absolute
/// amount) and is purest, when purer than the whole month; ties go to the wider cover,
/// then to the earlier boundary.
pub fn choose(days: &[Day], month_purity: f64) -> Option<Range> {
    let weight: i128 = days.iter().map(|d| d.weight).sum();
    let hits: i64 = days.iter().map(|d| d.hits).sum();
    let score = |part: &[Day]| {
        let w: i128 = part.iter().map(|d| d.weight).sum();
        let h: i64 = part.iter().map(|d| d.hits).sum();
        let side: i64 = part.iter().map(|d| d.side).sum();
        let cover = match weight {
            0 => h as f64 / hits.max(1) as f64,
            _ => w as f64 / weight as f64,
        };
        (h as f64 / side.max(1) as f64, cover)
    };
    let ranges = (1..days.len())
        .map(|j| (Range::From(j), score(&days[j..])))
        .chain((1..days.len()).map(|j| (Range::Before(j), score(&days[..j]))));
    let mut best: Option<(Range, (f64, f64))> = None;
    for (range, (purity, cover)) in ranges {
        if cover < COVER {
            continue;
        }
        let better = best.is_none_or(|(_, (bp, bc))| purity > bp || (purity == bp && cover > bc));
        if better {
            best = Some((range, (purity, cover)));
        }
    }
    best.filter(|(_, (purity, _))| *purity >= month_purity + PURER_BY)
        .map(|(range, _)| range)
}

/// The cut-off's predicate and the cause's rows within it. Open-ended when no row a rule
/// would touch lies beyond the month on that side (a close at the end of the data).
fn cutoff(
    column: &str,
    days: &[Day],
    range: Range,
    (before, after): (i64, i64),
    m: &str,
) -> Cutoff {
    let col = ident(column);
    let (start, next) = month_range(m).unwrap_or_default();
    let (part, predicate) = match range {
        Range::From(j) => {
            let from = format!("{col} >= {}", literal(&days[j].day));
            let predicate = match after {
                0 => from,
                _ => format!("{from} AND {col} < {}", literal(&next)),
            };
            (&days[j..], predicate)
        }
        Range::Before(j) => {
            let to = format!("{col} < {}", literal(&days[j].day));
            let predicate = match before {
                0 => to,
                _ => format!("{col} >= {} AND {to}", literal(&start)),
            };
            (&days[..j], predicate)
        }
    };
    let hits: i64 = part.iter().map(|d| d.hits).sum();
    let side: i64 = part.iter().map(|d| d.side).sum();
    Cutoff {
        predicate,
        rows: hits,
        amount: part.iter().map(|d| d.amount).sum(),
        purity: hits as f64 / side.max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// December: 40 rows a day that agree up to the 28th, and from the 29th on 10 rows a
    /// day only in new (legacy closed the period on the 28th).
    fn december() -> Vec<Day> {
        (1..=31)
            .map(|d| {
                let late = d >= 29;
                Day {
                    day: format!("2024-12-{d:02}"),
                    hits: if late { 10 } else { 0 },
                    amount: if late { 1_000 } else { 0 },
                    weight: if late { 1_000 } else { 0 },
                    side: if late { 10 } else { 40 },
                }
            })
            .collect()
    }

    #[test]
    fn a_close_at_the_29th_is_found_and_stated() {
        let days = december();
        let month = 30.0 / (28.0 * 40.0 + 30.0);
        assert_eq!(choose(&days, month), Some(Range::From(28)));
        let c = cutoff("posted_at", &days, Range::From(28), (500, 0), "2024-12");
        assert_eq!(c.predicate, "\"posted_at\" >= '2024-12-29'");
        assert_eq!((c.rows, c.amount, c.purity), (30, 3_000, 1.0));
        let bounded = cutoff("posted_at", &days, Range::From(28), (0, 7), "2024-12");
        assert_eq!(
            bounded.predicate,
            "\"posted_at\" >= '2024-12-29' AND \"posted_at\" < '2025-01-01'"
        );
    }

    #[test]
    fn a_whole_month_stays_a_month_and_a_go_live_is_a_start() {
        // Every day of the month is one-sided: no day is purer than the month.
        let all: Vec<Day> = december()
            .into_iter()
            .map(|d| Day {
                hits: 10,
                weight: 1_000,
                side: 10,
                ..d
            })
            .collect();
        assert_eq!(choose(&all, 1.0), None);
        // Rows before the 3rd only in new: a range before the 3rd.
        let early: Vec<Day> = december()
            .into_iter()
            .enumerate()
            .map(|(i, d)| Day {
                hits: if i < 2 { 10 } else { 0 },
                weight: if i < 2 { 500 } else { 0 },
                side: if i < 2 { 10 } else { 40 },
                ..d
            })
            .collect();
        assert_eq!(choose(&early, 0.02), Some(Range::Before(2)));
        let c = cutoff("posted_at", &early, Range::Before(2), (0, 9), "2024-12");
        assert_eq!(c.predicate, "\"posted_at\" < '2024-12-03'");
    }

    #[test]
    fn rows_spread_over_the_month_are_no_cut_off() {
        let spread: Vec<Day> = december()
            .into_iter()
            .map(|d| Day {
                hits: 2,
                weight: 200,
                side: 42,
                ..d
            })
            .collect();
        assert_eq!(choose(&spread, 2.0 / 42.0), None);
    }
}
