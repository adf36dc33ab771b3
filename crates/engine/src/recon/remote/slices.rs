//! Slices: the rows of a comparison cut by the dimensions both sides have and a bucket of the
//! key's hash. Each side sums its slices (rows, a hash of every row's compared values, each
//! measure, the non-NULL values of each column) where it lives; slices whose sums agree hold
//! only matched rows and stay where they are.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::canonical::{present, row_hash, slice_id, Dialect, Part, SEPARATOR};
use crate::decimal::{Exact, Numeric};
use crate::error::{Error, Result};
use crate::recon::equality::Rules;
use crate::recon::relation::is_text;
use crate::recon::spec::Measure;
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
    /// (column, how it is summed, the scale of its sums)
    pub measures: Vec<(&'a str, Numeric, u32)>,
}

impl SideShape<'_> {
    fn scales(&self) -> Vec<u32> {
        self.measures.iter().map(|(_, _, scale)| *scale).collect()
    }

    pub fn slice_id(&self, bucket_chars: usize, rules: &Rules) -> String {
        slice_id(self.dialect, &self.dims, &self.keys, bucket_chars, rules)
    }

    /// The GROUP BY of the slices' sums, every figure as text, over the rows `within` admits.
    fn sums_sql(&self, bucket_chars: usize, rules: &Rules, within: Option<&str>) -> String {
        let from = match within {
            Some(w) => format!("{} WHERE {w}", self.from),
            None => self.from.clone(),
        };
        let d = self.dialect;
        let parts: Vec<Part> = self.columns.iter().map(|(p, _)| *p).collect();
        let hash = row_hash(d, &self.keys, &parts, rules);
        let mut select = vec![format!("{} AS s", self.slice_id(bucket_chars, rules))];
        select.push(d.text("count(*)"));
        select.push(d.text(&format!("sum({hash})")));
        for (m, of, scale) in &self.measures {
            select.push(d.exact_sum(&d.ident(m), *of, *scale));
        }
        for (p, ty) in &self.columns {
            let present = present(d, p.name, is_text(ty), rules);
            select.push(d.text(&d.count_if(&present)));
        }
        format!(
            "SELECT {} FROM {from} GROUP BY {}",
            select.join(", "),
            d.group_by_alias(1, "s")
        )
    }
}

/// One slice's sums on one side.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceSums {
    pub rows: i64,
    pub hash: u128,
    /// Exact, at each measure's scale.
    pub measures: Vec<Exact>,
    pub present: Vec<i64>,
}

impl SliceSums {
    /// A slice's sums as an engine printed them. A sum over no values (NULL) is zero; a
    /// figure that does not read is an error, never a zero: a zero read from garbage would
    /// make two slices agree and hide their difference.
    fn parse(cells: &[Option<String>], scales: &[u32]) -> Result<SliceSums> {
        let measures = scales.len();
        let slice = cells.first().cloned().flatten().unwrap_or_default();
        fn number<T: std::str::FromStr>(
            cell: Option<&String>,
            slice: &str,
            what: &str,
        ) -> Result<T> {
            let text = cell.map_or("0", |t| t.trim());
            text.parse().map_err(|_| {
                Error::Runtime(format!(
                    "slice `{slice}`: its {what} `{text}` is not a number the compare can read"
                ))
            })
        }
        let cell = |i: usize| cells.get(i).and_then(Option::as_ref);
        Ok(SliceSums {
            rows: number(cell(1), &slice, "row count")?,
            hash: number(cell(2), &slice, "fingerprint")?,
            measures: scales
                .iter()
                .enumerate()
                .map(|(k, &scale)| {
                    let of = format!("slice `{slice}`: its measure sum");
                    Numeric::read_sum(cell(3 + k).map(String::as_str), scale, &of)
                })
                .collect::<Result<_>>()?,
            present: (3 + measures..cells.len())
                .map(|i| number(cell(i), &slice, "count"))
                .collect::<Result<_>>()?,
        })
    }
}

pub type Sums = BTreeMap<String, SliceSums>;

/// The legacy side's slices, summed in the cache (over the rows `within` admits).
pub fn local(
    conn: &Connection,
    side: &SideShape,
    bucket_chars: usize,
    rules: &Rules,
    within: Option<&str>,
) -> Result<Sums> {
    let sql = side.sums_sql(bucket_chars, rules, within);
    let frame = crate::frame::query(conn, &sql, [])?;
    collect(&frame, &side.scales())
}

/// The new side's slices, summed by ClickHouse (read-only); only the sums travel.
pub fn remote(
    ch: &ClickHouse,
    side: &SideShape,
    bucket_chars: usize,
    rules: &Rules,
    within: Option<&str>,
) -> Result<(Sums, Wire)> {
    let (frame, wire) = ch.query_readonly(&side.sums_sql(bucket_chars, rules, within))?;
    Ok((collect(&frame, &side.scales())?, wire))
}

/// Slice names as `IN (…)` lists of at most about `max_bytes` each, so that a statement
/// stays below ClickHouse's max_query_size (256 KiB by default) however many slices differ.
pub fn id_lists(ids: &[String], quote: impl Fn(&str) -> String, max_bytes: usize) -> Vec<String> {
    let mut lists = Vec::new();
    let mut current = String::new();
    for id in ids {
        let q = quote(id);
        if !current.is_empty() && current.len() + q.len() + 2 > max_bytes {
            lists.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str(", ");
        }
        current.push_str(&q);
    }
    if !current.is_empty() {
        lists.push(current);
    }
    lists
}

/// Slices to fetch, by the hex digits of the key hash their names were cut with.
pub type Named = BTreeMap<usize, Vec<String>>;

/// The dimension slice (its name at 0 digits) that slice `id`, cut at `chars`, belongs to.
pub fn dimension_slice(id: &str, chars: usize) -> &str {
    if chars == 0 {
        return id;
    }
    let rest = &id[..id.len().saturating_sub(chars)];
    rest.strip_suffix(SEPARATOR).unwrap_or(rest)
}

/// Take out of `differing` the slices only one side has: all their rows are on that side
/// only, so cutting them finer would find nothing. They go to `fetch` as they are named,
/// or — when `whole` (the sums cover every row) and the other side lacks their dimension
/// slice altogether, as when a whole invoice type is missing — by that dimension slice,
/// which names them in far fewer words. With `keep`, the slices only the new side has go
/// there instead (their rows stay in the warehouse, known by their sums). The slices both
/// sides have are returned.
pub fn set_aside_one_sided(
    differing: Vec<String>,
    (legacy, new): (&Sums, &Sums),
    (chars, whole): (usize, bool),
    fetch: &mut Named,
    mut keep: Option<&mut Named>,
) -> Vec<String> {
    let dimension_slices = |sums: &Sums| -> std::collections::BTreeSet<String> {
        sums.keys()
            .map(|id| dimension_slice(id, chars).to_string())
            .collect()
    };
    let (in_legacy, in_new) = if whole && chars > 0 {
        (dimension_slices(legacy), dimension_slices(new))
    } else {
        Default::default()
    };
    let mut both = Vec::new();
    // Whole dimension slices, to fetch and to keep.
    let mut whole_slices = [std::collections::BTreeSet::new(), Default::default()];
    for id in differing {
        let (l, n) = (legacy.contains_key(&id), new.contains_key(&id));
        if l && n {
            both.push(id);
            continue;
        }
        let kept = n && keep.is_some();
        let dim = dimension_slice(&id, chars);
        let lacking = if l { &in_new } else { &in_legacy };
        if whole && chars > 0 && !lacking.contains(dim) {
            whole_slices[usize::from(kept)].insert(dim.to_string());
        } else if let (true, Some(k)) = (kept, keep.as_deref_mut()) {
            k.entry(chars).or_default().push(id);
        } else {
            fetch.entry(chars).or_default().push(id);
        }
    }
    let [to_fetch, to_keep] = whole_slices;
    if !to_fetch.is_empty() {
        fetch.entry(0).or_default().extend(to_fetch);
    }
    if let (false, Some(k)) = (to_keep.is_empty(), keep) {
        k.entry(0).or_default().extend(to_keep);
    }
    both
}

/// Rows of the largest side in the slices `ids`.
pub fn rows_in(legacy: &Sums, new: &Sums, ids: &[String]) -> i64 {
    ids.iter()
        .map(|id| {
            let n = |s: &Sums| s.get(id).map_or(0, |x| x.rows);
            n(legacy).max(n(new))
        })
        .sum()
}

/// Whether cutting the differing slices 16 times finer is worth its sums: each finer slice
/// would still hold `MIN_ROWS_TO_REFINE` rows on average (a slice's sums weigh about what
/// two or three rows do, so below that they cost about what fetching would), and md5
/// prefixes stay short.
pub fn worth_refining(differing_rows: i64, differing: usize, bucket_chars: usize) -> bool {
    differing > 0
        && bucket_chars < MAX_BUCKET_CHARS
        && differing_rows / (differing as i64 * 16) >= MIN_ROWS_TO_REFINE
}

const MIN_ROWS_TO_REFINE: i64 = 8;
const MAX_BUCKET_CHARS: usize = 6;

fn collect(frame: &polars::prelude::DataFrame, scales: &[u32]) -> Result<Sums> {
    crate::frame::to_cells(frame)
        .into_iter()
        .map(|row| {
            let id = row[0].clone().unwrap_or_default();
            Ok((id, SliceSums::parse(&row, scales)?))
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

impl Verdict {
    /// Take in the verdict on the differing slices cut finer: its agreeing rows are matched
    /// too, and only its differing slices remain.
    pub fn refine(&mut self, finer: Verdict) {
        self.matched += finer.matched;
        for (n, f) in self.nulls.iter_mut().zip(finer.nulls) {
            n.0 += f.0;
            n.1 += f.1;
        }
        self.differing = finer.differing;
    }
}

/// Row count and measure sums over all slices of a side.
pub fn totals(sums: &Sums, measures: &[Measure]) -> Result<(i64, Vec<Exact>)> {
    let mut out = (0, Vec::new());
    for m in measures {
        out.1
            .push(Exact::ZERO.rescale(m.scale).unwrap_or(Exact::ZERO));
    }
    for s in sums.values() {
        out.0 += s.rows;
        for ((t, m), measure) in out.1.iter_mut().zip(&s.measures).zip(measures) {
            *t = t.plus(*m).ok_or_else(|| {
                Error::Runtime(format!("the sum of `{}` overflows 38 digits", measure.name))
            })?;
        }
    }
    Ok(out)
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

    /// An unreadable figure was read as 0: two slices could then agree and their rows never
    /// be fetched. It is an error naming the slice and the figure.
    #[test]
    fn an_unreadable_figure_is_an_error_not_a_zero() {
        let cells = |v: &[Option<&str>]| v.iter().map(|c| c.map(String::from)).collect::<Vec<_>>();
        let ok = SliceSums::parse(
            &cells(&[Some("a1"), Some("3"), Some("42"), None, Some("2")]),
            &[2],
        )
        .unwrap();
        assert_eq!(
            (ok.rows, ok.hash, ok.measures.clone(), ok.present.clone()),
            (3, 42, vec![Exact::ZERO], vec![2])
        );
        let bad = SliceSums::parse(
            &cells(&[Some("a1"), Some("3"), Some("42"), Some("1.2.3")]),
            &[2],
        );
        let message = bad.expect_err("refused").to_string();
        assert!(
            message.contains("slice `a1`") && message.contains("`1.2.3`"),
            "{message}"
        );
        assert!(SliceSums::parse(&cells(&[Some("b"), Some("x"), Some("1")]), &[]).is_err());
    }

    fn sums(rows: i64, hash: u128, present: Vec<i64>) -> SliceSums {
        SliceSums {
            rows,
            hash,
            measures: vec![Exact::from_scaled(rows as i128, 0)],
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
        let measure = Measure {
            name: "m".into(),
            new_name: "m".into(),
            legacy: Numeric::of("BIGINT").unwrap(),
            new: Numeric::of("DECIMAL(18,2)").unwrap(),
            scale: 2,
        };
        let (rows, sums) = totals(&legacy, &[measure]).unwrap();
        assert_eq!((rows, sums[0].to_string()), (6, "6.00".to_string()));
    }

    #[test]
    fn one_sided_slices_are_set_aside_whole_dimension_slices_by_name() {
        let sep = SEPARATOR;
        let id = |dims: &str, bucket: &str| format!("{dims}{sep}{bucket}");
        let legacy: Sums = [
            (id("a", "0"), sums(1, 1, vec![1])),
            (id("a", "1"), sums(1, 1, vec![1])),
            (id("b", "0"), sums(1, 1, vec![1])),
        ]
        .into_iter()
        .collect();
        let new: Sums = [
            (id("a", "0"), sums(1, 2, vec![1])),
            (id("b", "1"), sums(1, 1, vec![1])),
            (id("c", "0"), sums(2, 1, vec![2])),
            (id("c", "f"), sums(2, 1, vec![2])),
        ]
        .into_iter()
        .collect();
        let differing = vec![
            id("a", "0"),
            id("a", "1"),
            id("b", "0"),
            id("b", "1"),
            id("c", "0"),
            id("c", "f"),
        ];
        let mut fetch = Named::new();
        let both = set_aside_one_sided(
            differing.clone(),
            (&legacy, &new),
            (1, true),
            &mut fetch,
            None,
        );
        assert_eq!(both, vec![id("a", "0")]);
        // a1 (legacy only; new has other a slices), b0 and b1: by name; c: new only, whole.
        assert_eq!(fetch[&1], vec![id("a", "1"), id("b", "0"), id("b", "1")]);
        assert_eq!(fetch[&0], vec!["c".to_string()]);
        // Kept: the slices only the new side has stay in the warehouse; the rest as before.
        let (mut fetch, mut keep) = (Named::new(), Named::new());
        let kept_both = set_aside_one_sided(
            differing.clone(),
            (&legacy, &new),
            (1, true),
            &mut fetch,
            Some(&mut keep),
        );
        assert_eq!(kept_both, both);
        assert_eq!(keep[&0], vec!["c".to_string()]);
        assert!(!fetch.contains_key(&0));
        let named = |n: &Named| n.values().flatten().cloned().collect::<Vec<_>>();
        for id in named(&keep).iter().filter(|i| i.len() > 1) {
            assert!(new.contains_key(id) && !legacy.contains_key(id), "{id}");
        }
        for id in named(&fetch) {
            assert!(legacy.contains_key(&id), "{id} only new, fetched");
        }
        // Finer sums cover only the differing slices: no whole dimension slices then.
        let mut fetch = Named::new();
        set_aside_one_sided(differing, (&legacy, &new), (1, false), &mut fetch, None);
        assert_eq!(fetch[&1].len(), 5);
        assert!(!fetch.contains_key(&0));
        assert_eq!(dimension_slice(&id("x", "3a"), 2), "x");
        assert_eq!(dimension_slice("3a", 2), "");
        assert_eq!(dimension_slice("x", 0), "x");
    }

    #[test]
    fn id_lists_stay_under_the_size_and_keep_every_id() {
        let ids: Vec<String> = (0..1000).map(|i| format!("slice{i}")).collect();
        let lists = id_lists(&ids, |s| format!("'{s}'"), 200);
        assert!(lists.len() > 1);
        assert!(lists.iter().all(|l| l.len() <= 200));
        let back: Vec<String> = lists
            .iter()
            .flat_map(|l| l.split(", ").map(|s| s.trim_matches('\'').to_string()))
            .collect();
        assert_eq!(back, ids);
        assert!(id_lists(&[], |s| s.to_string(), 10).is_empty());
    }

    #[test]
    fn refining_pays_only_while_finer_slices_stay_large() {
        assert!(worth_refining(2_000 * 100, 100, 3));
        assert!(!worth_refining(100 * 100, 100, 3));
        assert!(!worth_refining(2_000 * 100, 100, 6));
        assert!(!worth_refining(0, 0, 0));
        let mut v = Verdict {
            slices: 4,
            differing: vec!["a".into(), "b".into()],
            matched: 10,
            nulls: vec![(1, 2)],
        };
        v.refine(Verdict {
            slices: 32,
            differing: vec!["a1".into()],
            matched: 5,
            nulls: vec![(1, 0)],
        });
        assert_eq!(
            (v.matched, v.nulls.clone(), v.differing),
            (15, vec![(2, 2)], vec!["a1".to_string()])
        );
    }

    #[test]
    fn buckets_grow_with_rows_per_slice() {
        assert_eq!(bucket_chars(5_000, 36, 2_000), 0);
        assert_eq!(bucket_chars(20_000_000, 36, 2_000), 3);
        assert_eq!(bucket_chars(500_000, 10, 2_000), 2);
    }
}
