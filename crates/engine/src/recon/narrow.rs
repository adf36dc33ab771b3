//! The keyed join of a compare whose keys are unique on both sides and whose equality is
//! exact: each side cut down to its key and one fingerprint of its compared values, joined;
//! then only the rows whose fingerprints differ are compared column by column.
//!
//! Why: the full join holds every compared column of its build side in the hash table
//! (1.2 GB for TPC-H lineitem at SF1); keys and a fingerprint take a fraction of that, and
//! the column-by-column pass then reads only the rows that differ. A row whose key and
//! fingerprint both match on the other side is counted matched without its columns being
//! compared: two different rows share a 64-bit fingerprint with a chance of one in 2^64.
//! Fingerprints that differ for values the rules call equal (0.0 and -0.0, say) only send
//! the row to the exact second pass, which settles it.

use duckdb::Connection;

use super::columns::KeyedPair;
use super::equality::{operand, Rules};
use super::relation::Relation;
use super::summary::{non_null_count, summarise, Summary};
use crate::error::Result;
use crate::trace::stage;

/// The keys of the rows the fingerprints could not call matched (per connection).
const DIFFERING: &str = "__assay_differing";

/// What a side's own scan knows: its rows and, per compared column pair, its non-NULL
/// values in the type the pair is compared in.
#[derive(Debug, Clone, PartialEq)]
pub struct SideCounts {
    pub rows: i64,
    pub non_null: Vec<i64>,
}

/// Whether the narrow join gives what the full one gives: keys unique on both sides (every
/// row is on exactly one joined row, so a side's own scan counts what the join would) and
/// exact equality (a tolerance has no fingerprint).
pub fn applies(rules: &Rules, duplicate_keys: (i64, i64)) -> bool {
    !rules.has_tolerance() && duplicate_keys == (0, 0)
}

/// Which side of the pair: `a` (legacy) or `b` (new), as the join's aliases name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    fn alias(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }

    fn relation<'p>(self, pair: &'p KeyedPair) -> &'p Relation {
        match self {
            Side::A => pair.a,
            Side::B => pair.b,
        }
    }

    /// Column pair `i` on this side: its name, its type in the compare, the other side's.
    fn column(self, pair: &KeyedPair, i: usize) -> (String, String, String) {
        let (x, y) = &pair.columns[i];
        let (ta, tb) = pair.pair_types(i);
        match self {
            Side::A => (x.clone(), ta, tb),
            Side::B => (y.clone(), tb, ta),
        }
    }

    /// Key `k` on this side, in the type both sides are joined in.
    fn key(self, pair: &KeyedPair, k: &str) -> String {
        let (a, b) = pair.key_values(k);
        match self {
            Side::A => a,
            Side::B => b,
        }
    }
}

/// Count expressions for a side's scan (`FROM … AS a` or `AS b`): the non-NULL values of
/// each compared column, as the full join's summary counts them.
pub fn non_null_sql(pair: &KeyedPair, side: Side) -> Vec<String> {
    (0..pair.columns.len())
        .map(|i| {
            let (name, own, _) = side.column(pair, i);
            let value = KeyedPair::side_value(side.alias(), &name, pair.common[i].as_deref());
            non_null_count(&value, &own, &pair.rules)
        })
        .collect()
}

/// Column pairs compared in one type on both sides: their values can be fingerprinted.
/// Others (an instant against a naive time) are carried and compared as they are.
fn fingerprinted(pair: &KeyedPair) -> Vec<bool> {
    (0..pair.columns.len())
        .map(|i| {
            let (ta, tb) = pair.pair_types(i);
            ta.eq_ignore_ascii_case(&tb)
        })
        .collect()
}

/// One side as its keys `k0…`, the fingerprint `fp` of the fingerprinted columns' values
/// (as the rules compare them), the others' values `x<i>`, and `present`.
fn side_sql(pair: &KeyedPair, side: Side, hashed: &[bool]) -> String {
    let alias = side.alias();
    let mut select: Vec<String> = pair
        .keys
        .iter()
        .enumerate()
        .map(|(j, k)| format!("{} AS k{j}", side.key(pair, k)))
        .collect();
    let mut values = Vec::new();
    for (i, &fp) in hashed.iter().enumerate() {
        let (name, own, other) = side.column(pair, i);
        let value = KeyedPair::side_value(alias, &name, pair.common[i].as_deref());
        let value = operand(&value, &own, &other, &pair.rules);
        if fp {
            values.push(value);
        } else {
            select.push(format!("{value} AS x{i}"));
        }
    }
    if !values.is_empty() {
        select.push(format!("hash({}) AS fp", values.join(", ")));
    }
    select.push("true AS present".into());
    format!(
        "SELECT {} FROM {} AS {alias}",
        select.join(", "),
        side.relation(pair).sql
    )
}

/// The statement keeping the keys of every row that is not matched by its fingerprint:
/// one-sided rows, and rows on both sides whose fingerprints (or carried values) differ.
fn differing_sql(pair: &KeyedPair) -> String {
    let hashed = fingerprinted(pair);
    let keys = 0..pair.keys.len();
    let on: Vec<String> = keys
        .clone()
        .map(|j| format!("a.k{j} IS NOT DISTINCT FROM b.k{j}"))
        .collect();
    let mut same: Vec<String> = hashed
        .iter()
        .enumerate()
        .filter(|(_, &fp)| !fp)
        .map(|(i, _)| format!("(a.x{i} IS NOT DISTINCT FROM b.x{i})"))
        .collect();
    if hashed.iter().any(|&fp| fp) {
        same.push("a.fp = b.fp".into());
    }
    let same = if same.is_empty() {
        "true".to_string()
    } else {
        same.join(" AND ")
    };
    let kept: Vec<String> = keys
        .map(|j| format!("coalesce(a.k{j}, b.k{j}) AS k{j}"))
        .collect();
    format!(
        "CREATE OR REPLACE TEMP TABLE {DIFFERING} AS WITH a AS ({}), b AS ({}) \
         SELECT {}, a.present IS NOT NULL AS in_a, b.present IS NOT NULL AS in_b \
         FROM a FULL OUTER JOIN b ON {} \
         WHERE a.present IS NULL OR b.present IS NULL OR NOT ({same})",
        side_sql(pair, Side::A, &hashed),
        side_sql(pair, Side::B, &hashed),
        kept.join(", "),
        on.join(" AND ")
    )
}

/// The keys the exact pass compares: every row on both sides that the fingerprints could
/// not match, and the first `samples` one-sided rows of each side (in the order the
/// summary picks its samples in).
fn exact_keys_sql(keys: usize, samples: usize) -> String {
    let names: Vec<String> = (0..keys).map(|j| format!("k{j}")).collect();
    let order: Vec<String> = names
        .iter()
        .map(|k| format!("CAST({k} AS VARCHAR)"))
        .collect();
    let names = names.join(", ");
    let first = |class: &str| {
        format!(
            "(SELECT {names} FROM {DIFFERING} WHERE {class} ORDER BY [{}] LIMIT {samples})",
            order.join(", ")
        )
    };
    format!(
        "SELECT {names} FROM {DIFFERING} WHERE in_a AND in_b UNION ALL {} UNION ALL {}",
        first("in_a AND NOT in_b"),
        first("in_b AND NOT in_a")
    )
}

/// SQL true on a kept row with a NULL among its keys `k0…`.
fn any_null_key(pair: &KeyedPair) -> String {
    (0..pair.keys.len())
        .map(|j| format!("k{j} IS NULL"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// A side's rows whose keys `exact_keys_sql` lists, kept in a temporary table: read in one
/// scan, then joined and sampled as often as the summary needs. `nullable`: whether a key
/// listed may be NULL (else the plain equality lets DuckDB filter the scan by the keys).
fn restricted(
    conn: &Connection,
    pair: &KeyedPair,
    (side, keys): (Side, &str),
    nullable: bool,
) -> Result<Relation> {
    let alias = side.alias();
    let equal = if nullable {
        "IS NOT DISTINCT FROM"
    } else {
        "="
    };
    let on: Vec<String> = pair
        .keys
        .iter()
        .enumerate()
        .map(|(j, k)| format!("{} {equal} p.k{j}", side.key(pair, k)))
        .collect();
    let relation = side.relation(pair);
    let table = format!("{DIFFERING}_{alias}");
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {table} AS SELECT {alias}.* FROM {} AS {alias} SEMI JOIN ({keys}) AS p ON {}",
        relation.sql,
        on.join(" AND ")
    ))?;
    Ok(Relation {
        sql: format!("temp.main.{table}"),
        columns: relation.columns.clone(),
        keep: None,
    })
}

/// For explain: the keys of the rows the fingerprints cannot match, kept (as the compare's
/// narrow join keeps them) until this is dropped. Explain then joins every column of those
/// rows only, and reads the other rows' dimension values from the new side alone: they are
/// matched, and count only in each cause's purity.
pub struct Differing<'c> {
    conn: &'c Connection,
}

impl<'c> Differing<'c> {
    pub fn keep(conn: &'c Connection, pair: &KeyedPair) -> Result<Differing<'c>> {
        stage("keyed join of fingerprints", || {
            conn.execute_batch(&differing_sql(pair))
        })?;
        Ok(Differing { conn })
    }

    /// Both sides cut down to the rows whose keys are kept.
    pub fn sides(&self, pair: &KeyedPair) -> Result<(Relation, Relation)> {
        let nullable: bool = self.conn.query_row(
            &format!(
                "SELECT coalesce(bool_or({}), false) FROM {DIFFERING}",
                any_null_key(pair)
            ),
            [],
            |r| r.get(0),
        )?;
        let names: Vec<String> = (0..pair.keys.len()).map(|j| format!("k{j}")).collect();
        let keys = format!("SELECT {} FROM {DIFFERING}", names.join(", "));
        Ok((
            restricted(self.conn, pair, (Side::A, &keys), nullable)?,
            restricted(self.conn, pair, (Side::B, &keys), nullable)?,
        ))
    }

    /// The new side's rows the fingerprints matched (every key not kept), and an empty
    /// legacy side to pair them with: joined, they carry the dimensions' values as the
    /// full join would read them off a matched row (the new row's).
    pub fn matched(pair: &KeyedPair) -> (Relation, Relation) {
        let on: Vec<String> = pair
            .keys
            .iter()
            .enumerate()
            .map(|(j, k)| format!("{} IS NOT DISTINCT FROM p.k{j}", Side::B.key(pair, k)))
            .collect();
        let (a, b) = (pair.a, pair.b);
        let empty = Relation {
            sql: format!("(SELECT * FROM {} WHERE false)", a.sql),
            columns: a.columns.clone(),
            keep: a.keep.clone(),
        };
        let new = Relation {
            sql: format!(
                "(SELECT b.* FROM {} AS b ANTI JOIN {DIFFERING} AS p ON {})",
                b.sql,
                on.join(" AND ")
            ),
            columns: b.columns.clone(),
            keep: b.keep.clone(),
        };
        (empty, new)
    }
}

impl Drop for Differing<'_> {
    fn drop(&mut self) {
        let _ = self.conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS {DIFFERING}; DROP TABLE IF EXISTS {DIFFERING}_a; \
             DROP TABLE IF EXISTS {DIFFERING}_b"
        ));
    }
}

/// The summary `summarise` gives over the full join, from the narrow join and an exact pass
/// over the rows it could not match. `legacy`/`new` come from each side's own scan.
pub fn summarise_narrow(
    conn: &Connection,
    pair: &KeyedPair,
    (legacy, new): (&SideCounts, &SideCounts),
    sample_size: usize,
) -> Result<Summary> {
    stage("keyed join of fingerprints", || {
        conn.execute_batch(&differing_sql(pair))
    })?;
    let result = exact_pass(conn, pair, (legacy, new), sample_size);
    let _ = conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {DIFFERING}; DROP TABLE IF EXISTS {DIFFERING}_a; \
         DROP TABLE IF EXISTS {DIFFERING}_b"
    ));
    result
}

fn exact_pass(
    conn: &Connection,
    pair: &KeyedPair,
    (legacy, new): (&SideCounts, &SideCounts),
    sample_size: usize,
) -> Result<Summary> {
    let (unsettled, only_legacy, only_new, nullable): (i64, i64, i64, bool) = conn.query_row(
        &format!(
            "SELECT count(*) FILTER (WHERE in_a AND in_b), count(*) FILTER (WHERE in_a AND NOT in_b), \
             count(*) FILTER (WHERE in_b AND NOT in_a), coalesce(bool_or({}), false) FROM {DIFFERING}",
            any_null_key(pair)
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let keys = exact_keys_sql(pair.keys.len(), sample_size);
    let (a, b) = stage("differing rows read", || {
        Ok::<_, crate::error::Error>((
            restricted(conn, pair, (Side::A, &keys), nullable)?,
            restricted(conn, pair, (Side::B, &keys), nullable)?,
        ))
    })?;
    let small = pair.over(&a, &b);
    let exact = stage("differing rows: column classes and samples", || {
        summarise(conn, &small, sample_size)
    })?;
    // Legacy rows matched by key and fingerprint: never compared column by column.
    let fingerprint_matched = legacy.rows - unsettled - only_legacy;
    let mut rows = exact.rows;
    rows.matched += fingerprint_matched;
    rows.only_legacy = only_legacy;
    rows.only_new = only_new;
    let columns = exact
        .columns
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            c.perfect_match += fingerprint_matched;
            c.null_in_a = legacy.rows - legacy.non_null[i];
            c.null_in_b = new.rows - new.non_null[i];
            c.missing_from_a = only_new;
            c.missing_from_b = only_legacy;
            c
        })
        .collect();
    Ok(Summary {
        rows,
        columns,
        samples: exact.samples,
    })
}

#[cfg(test)]
#[path = "narrow_tests.rs"]
mod tests;
