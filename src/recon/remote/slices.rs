//! Slices: the rows of a comparison cut by the dimensions both sides have and a bucket of the
//! key's hash. Each side sums its slices (rows, a hash of every row's compared values, each
//! measure, the non-NULL values of each column) where it lives; slices whose sums agree hold
//! only matched rows and stay where they are.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::canonical::{present, row_hash, slice_id, Dialect, Part};
use crate::error::Result;
use crate::recon::equality::Rules;
use crate::recon::relation::is_text;
use crate::warehouse::{ClickHouse, Wire};

/// One side's view of the compare, in its own dialect.
pub struct SideShape<'a> {
    pub dialect: Dialect,
    /// What to read, after FROM.
    pub from: String,
    pub keys: Vec<&'a str>,
    /// The slice's dimensions, as parts of this side.
    pub dims: Vec<Part<'a>>,
    /// Every compared column, as parts of this side (their DuckDB types beside).
    pub columns: Vec<(Part<'a>, String)>,
    pub measures: Vec<&'a str>,
}

impl SideShape<'_> {
    pub fn slice_id(&self, bucket_chars: usize, rules: &Rules) -> String {
        slice_id(self.dialect, &self.dims, &self.keys, bucket_chars, rules)
    }

    /// The GROUP BY of the slices' sums, every figure as text.
    fn sums_sql(&self, bucket_chars: usize, rules: &Rules) -> String {
        let d = self.dialect;
        let parts: Vec<Part> = self.columns.iter().map(|(p, _)| *p).collect();
        let hash = row_hash(d, &self.keys, &parts, rules);
        let mut select = vec![format!("{} AS s", self.slice_id(bucket_chars, rules))];
        match d {
            Dialect::DuckDb => {
                select.push("CAST(count(*) AS VARCHAR)".into());
                select.push(format!("CAST(sum({hash}) AS VARCHAR)"));
                for m in &self.measures {
                    select.push(format!(
                        "CAST(coalesce(sum(CAST({} AS DOUBLE)), 0) AS VARCHAR)",
                        d.column(m)
                    ));
                }
                for (p, ty) in &self.columns {
                    select.push(format!(
                        "CAST(count(*) FILTER (WHERE {}) AS VARCHAR)",
                        present(d, p.name, is_text(ty), rules)
                    ));
                }
                format!("SELECT {} FROM {} GROUP BY 1", select.join(", "), self.from)
            }
            Dialect::ClickHouse => {
                select.push("toString(count())".into());
                select.push(format!("toString(sum({hash}))"));
                for m in &self.measures {
                    select.push(format!("toString(sum(toFloat64({})))", d.column(m)));
                }
                for (p, ty) in &self.columns {
                    select.push(format!(
                        "toString(countIf({}))",
                        present(d, p.name, is_text(ty), rules)
                    ));
                }
                format!("SELECT {} FROM {} GROUP BY s", select.join(", "), self.from)
            }
        }
    }
}

/// One slice's sums on one side.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceSums {
    pub rows: i64,
    pub hash: u128,
    pub measures: Vec<f64>,
    pub present: Vec<i64>,
}

impl SliceSums {
    fn parse(cells: &[Option<String>], measures: usize) -> SliceSums {
        let text = |i: usize| cells.get(i).cloned().flatten().unwrap_or_default();
        SliceSums {
            rows: text(1).parse().unwrap_or(0),
            hash: text(2).parse().unwrap_or(0),
            measures: (0..measures)
                .map(|k| text(3 + k).parse().unwrap_or(0.0))
                .collect(),
            present: (3 + measures..cells.len())
                .map(|i| text(i).parse().unwrap_or(0))
                .collect(),
        }
    }
}

pub type Sums = BTreeMap<String, SliceSums>;

/// The legacy side's slices, summed in the cache.
pub fn local(
    conn: &Connection,
    side: &SideShape,
    bucket_chars: usize,
    rules: &Rules,
) -> Result<Sums> {
    let sql = side.sums_sql(bucket_chars, rules);
    let frame = crate::frame::query(conn, &sql, [])?;
    Ok(collect(&frame, side.measures.len()))
}

/// The new side's slices, summed by ClickHouse (read-only); only the sums travel.
pub fn remote(
    ch: &ClickHouse,
    side: &SideShape,
    bucket_chars: usize,
    rules: &Rules,
) -> Result<(Sums, Wire)> {
    let (frame, wire) = ch.query_readonly(&side.sums_sql(bucket_chars, rules))?;
    Ok((collect(&frame, side.measures.len()), wire))
}

fn collect(frame: &polars::prelude::DataFrame, measures: usize) -> Sums {
    crate::frame::to_cells(frame)
        .into_iter()
        .map(|row| {
            let id = row[0].clone().unwrap_or_default();
            (id, SliceSums::parse(&row, measures))
        })
        .collect()
}

/// What the sums say: the slices to fetch, and what the others hold.
#[derive(Debug, Default, PartialEq)]
pub struct Verdict {
    /// Slices on either side.
    pub slices: usize,
    pub differing: Vec<String>,
    /// Rows in the agreeing slices (the same number on both sides).
    pub matched: i64,
    /// Per compared column: NULLs in the agreeing slices on the legacy and new side.
    pub nulls: Vec<(i64, i64)>,
}

/// Slices agree when both sides have them with the same rows, row hashes and non-NULL
/// counts; anything else (a slice on one side only included) must be fetched.
pub fn judge(legacy: &Sums, new: &Sums, columns: usize) -> Verdict {
    let mut v = Verdict {
        nulls: vec![(0, 0); columns],
        ..Verdict::default()
    };
    let ids: std::collections::BTreeSet<&String> = legacy.keys().chain(new.keys()).collect();
    v.slices = ids.len();
    for id in ids {
        match (legacy.get(id), new.get(id)) {
            (Some(a), Some(b))
                if a.rows == b.rows && a.hash == b.hash && a.present == b.present =>
            {
                v.matched += a.rows;
                for (c, n) in v.nulls.iter_mut().enumerate() {
                    n.0 += a.rows - a.present.get(c).copied().unwrap_or(0);
                    n.1 += b.rows - b.present.get(c).copied().unwrap_or(0);
                }
            }
            _ => v.differing.push(id.clone()),
        }
    }
    v
}

/// Row count and measure sums over all slices of a side.
pub fn totals(sums: &Sums, measures: usize) -> (i64, Vec<f64>) {
    let mut out = (0, vec![0.0; measures]);
    for s in sums.values() {
        out.0 += s.rows;
        for (t, m) in out.1.iter_mut().zip(&s.measures) {
            *t += m;
        }
    }
    out
}

/// Hex digits of the key hash that cut each dimension slice into buckets: enough that a
/// bucket holds about `per_bucket` rows, at most 16^3 buckets per slice.
pub fn bucket_chars(rows: i64, dimension_slices: i64, per_bucket: i64) -> usize {
    let mut chars = 0;
    let mut buckets = 1i64;
    while chars < 3 && rows > dimension_slices.max(1) * buckets * per_bucket {
        chars += 1;
        buckets *= 16;
    }
    chars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(rows: i64, hash: u128, present: Vec<i64>) -> SliceSums {
        SliceSums {
            rows,
            hash,
            measures: vec![rows as f64],
            present,
        }
    }

    #[test]
    fn agreeing_slices_are_matched_and_the_rest_fetched() {
        let legacy: Sums = [
            ("a".to_string(), sums(3, 10, vec![3, 2])),
            ("b".to_string(), sums(2, 7, vec![2, 2])),
            ("c".to_string(), sums(1, 1, vec![1, 1])),
        ]
        .into_iter()
        .collect();
        let new: Sums = [
            ("a".to_string(), sums(3, 10, vec![3, 2])),
            ("b".to_string(), sums(2, 8, vec![2, 2])),
            ("d".to_string(), sums(1, 1, vec![1, 1])),
        ]
        .into_iter()
        .collect();
        let v = judge(&legacy, &new, 2);
        assert_eq!(v.differing, vec!["b", "c", "d"]);
        assert_eq!(v.matched, 3);
        assert_eq!(v.slices, 4);
        assert_eq!(v.nulls, vec![(0, 0), (1, 1)]);
        assert_eq!(totals(&legacy, 1), (6, vec![6.0]));
    }

    #[test]
    fn buckets_grow_with_rows_per_slice() {
        assert_eq!(bucket_chars(5_000, 36, 2_000), 0);
        assert_eq!(bucket_chars(20_000_000, 36, 2_000), 3);
        assert_eq!(bucket_chars(500_000, 10, 2_000), 2);
    }
}
