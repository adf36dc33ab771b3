//! The compare report: totals per measure, row classes, column classes and the delta broken
//! down by dimension. Everything is aggregated in DuckDB; only the summaries come back.

use duckdb::Connection;
use serde::Serialize;

use super::breakdown::{breakdown, dimension_values, BreakdownRow, NestedRow, RowsBy};

use super::columns::KeyedPair;
use super::groups::AgreeingGroups;
use super::narrow::{self, Side, SideCounts};
use super::relation::Relation;
use super::schema::{changes, key_type_changes, SchemaChange};
use super::spec::Measure;
pub use super::spec::Spec;
use super::summary::{summarise, Summary};
pub use super::summary::{ColumnClasses, RowClasses, SampleRow, Samples};
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::sql::ident;
use crate::trace::stage;

/// Version of the report's JSON shape (docs/report.md); bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 3;

/// A measure's totals, exact at the measure's scale (the larger of the two sides'; a float
/// column's values rounded to `decimal::FLOAT_SCALE` places each before summing).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MeasureTotal {
    pub name: String,
    pub legacy: Exact,
    pub new: Exact,
    pub delta: Exact,
    pub delta_pct: Option<f64>,
    pub within_tolerance: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    pub measures: Vec<MeasureTotal>,
    pub rows: RowClasses,
    pub columns: Vec<ColumnClasses>,
    pub schema: Vec<SchemaChange>,
    pub breakdown: Vec<BreakdownRow>,
    pub nested: Vec<NestedRow>,
    /// Each dimension value's keyed rows by class (a company's missing invoices).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows_by: Vec<RowsBy>,
    pub samples: Samples,
    /// What crossed the wire, step by step, when the new side was compared where it lives
    /// (a ClickHouse warehouse); absent for a compare inside the cache.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wire: Vec<WireStep>,
    /// How each ad hoc CSV side was read (given by flags, or sniffed); absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sides: Vec<SideFormat>,
    /// What the numbers should be read with in mind: a legacy export older than its
    /// `warn_after`/`error_after`, say. Absent when there is nothing to say.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
}

/// The format an ad hoc side's CSV files were read with.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SideFormat {
    /// `legacy` or `new`.
    pub side: String,
    /// The files as given (a path or a glob).
    pub source: String,
    #[serde(flatten)]
    pub format: crate::config::CsvHints,
}

/// One step of a pushed-down compare: what it asked the warehouse, and what came back.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WireStep {
    pub step: String,
    pub rows: u64,
    pub bytes: u64,
}

/// What a compare knows beyond the rows of its two relations: a pushed-down compare fetches
/// only the slices that differ, and knows the rest from group sums.
#[derive(Debug, Clone, Default)]
pub struct Beyond {
    /// (rows, sum of each measure) of the whole legacy and new sides.
    pub legacy_totals: Option<(i64, Vec<Exact>)>,
    pub new_totals: Option<(i64, Vec<Exact>)>,
    pub duplicate_keys_legacy: Option<i64>,
    pub duplicate_keys_new: Option<i64>,
    /// Rows on both sides, equal in every compared column, that were not fetched.
    pub matched: i64,
    /// Rows only the new side has that were not fetched (slices kept in the warehouse).
    pub only_new: i64,
    /// Per compared column (legacy name): NULLs among the rows not fetched on each side.
    pub nulls: Vec<(String, i64, i64)>,
    /// The rows that were not fetched, as groups.
    pub agreeing_groups: Option<AgreeingGroups>,
    pub wire: Vec<WireStep>,
}

impl Report {
    pub fn within_tolerance(&self) -> bool {
        self.measures.iter().all(|m| m.within_tolerance)
    }
}

/// `breakdown`'s extra rows from the groups not fetched: each measure as legacy and new
/// amount (exact decimals at the measure's scale, as the joined rows' amounts are), then
/// the class code (0 a match, 3 only new) and the group's rows.
fn agreeing_amounts(groups: &AgreeingGroups, measures: &[(String, usize, Exact, u32)]) -> String {
    let columns: Vec<String> = (0..groups.dimensions)
        .map(|i| groups.dimension(i))
        .chain(measures.iter().enumerate().flat_map(|(k, (.., scale))| {
            let cast = |e: String| format!("CAST({e} AS DECIMAL(38, {scale}))");
            [cast(groups.legacy_measure(k)), cast(groups.measure(k))]
        }))
        .chain([
            format!(
                "CASE WHEN {} = {} THEN 3 ELSE 0 END",
                groups.class(),
                crate::sql::literal(super::class::RowClass::OnlyNew.as_str())
            ),
            format!("CAST({} AS BIGINT)", groups.rows()),
        ])
        .collect();
    format!("SELECT {} FROM {}", columns.join(", "), groups.from())
}

/// A side of the compare for `totals`: its relation and, per measure, its column and rule.
pub(crate) struct SideMeasures<'a> {
    pub rel: &'a Relation,
    /// (column, how it is summed, the scale of the sum)
    pub measures: Vec<(&'a str, Numeric, u32)>,
}

impl<'a> SideMeasures<'a> {
    pub fn legacy(spec: &'a Spec, measures: &'a [Measure]) -> SideMeasures<'a> {
        SideMeasures {
            rel: &spec.legacy,
            measures: measures
                .iter()
                .map(|m| (m.name.as_str(), m.legacy, m.scale))
                .collect(),
        }
    }

    pub fn new_side(spec: &'a Spec, measures: &'a [Measure]) -> SideMeasures<'a> {
        SideMeasures {
            rel: &spec.new,
            measures: measures
                .iter()
                .map(|m| (m.new_name.as_str(), m.new, m.scale))
                .collect(),
        }
    }
}

/// Row count and the exact sum of each measure, in one scan of a side; and in the same
/// scan the counts `counts` gives (expressions over the side aliased as `alias`).
pub(crate) fn totals_counting(
    conn: &Connection,
    side: &SideMeasures,
    (alias, counts): (&str, &[String]),
) -> Result<(i64, Vec<Exact>, Vec<i64>)> {
    let d = Dialect::DuckDb;
    let mut select = vec!["count(*)".to_string()];
    select.extend(
        side.measures
            .iter()
            .map(|(m, of, scale)| d.exact_sum(&ident(m), *of, *scale)),
    );
    select.extend(counts.iter().cloned());
    let sums_at = 1..=side.measures.len();
    let counts_at = side.measures.len() + 1..side.measures.len() + 1 + counts.len();
    let (rows, sums, counted): (i64, Vec<Option<String>>, Vec<i64>) = conn.query_row(
        &format!(
            "SELECT {} FROM {} AS {alias}",
            select.join(", "),
            side.rel.sql
        ),
        [],
        |r| {
            let sums = sums_at
                .map(|i| r.get(i))
                .collect::<Result<Vec<Option<String>>, _>>()?;
            let counted = counts_at
                .map(|i| r.get(i))
                .collect::<Result<Vec<i64>, _>>()?;
            Ok((r.get(0)?, sums, counted))
        },
    )?;
    let exact = side
        .measures
        .iter()
        .zip(&sums)
        .map(|((m, _, scale), text)| {
            Numeric::read_sum(text.as_deref(), *scale, &format!("the sum of `{m}`"))
        })
        .collect::<Result<Vec<Exact>>>()?;
    Ok((rows, exact, counted))
}

pub(crate) fn duplicate_keys(conn: &Connection, rel: &Relation, keys: &[String]) -> Result<i64> {
    let list = keys.iter().map(|k| ident(k)).collect::<Vec<_>>().join(", ");
    Ok(conn.query_row(
        &format!(
            "SELECT count(*) FROM (SELECT {list} FROM {} GROUP BY ALL HAVING count(*) > 1)",
            rel.sql
        ),
        [],
        |r| r.get(0),
    )?)
}

/// How many sample rows of each class a report carries.
pub const SAMPLE_ROWS: usize = 5;

pub fn compare(conn: &Connection, spec: &Spec) -> Result<Report> {
    compare_with(conn, spec, &Beyond::default())
}

/// Rows, exact measure sums and (for the narrow join) non-NULL counts of one side.
type SideScan = (i64, Vec<Exact>, Vec<i64>);

/// Duplicate keys on each side, as `beyond` knows them or counted here.
fn duplicates(conn: &Connection, spec: &Spec, beyond: &Beyond) -> Result<(i64, i64)> {
    let legacy = match beyond.duplicate_keys_legacy {
        Some(n) => n,
        None => stage("duplicate keys (legacy)", || {
            duplicate_keys(conn, &spec.legacy, &spec.keys)
        })?,
    };
    let new_keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let new = match beyond.duplicate_keys_new {
        Some(n) => n,
        None => stage("duplicate keys (new)", || {
            duplicate_keys(conn, &spec.new, &new_keys)
        })?,
    };
    Ok((legacy, new))
}

/// Each side's scan (or what `beyond` knows of it); with `narrow`, counting every compared
/// column's non-NULL values in the same scan.
fn scan_sides(
    conn: &Connection,
    (spec, pair, pairs): (&Spec, &KeyedPair, &[Measure]),
    beyond: &Beyond,
    narrow: bool,
) -> Result<[SideScan; 2]> {
    let counts = |side| {
        if narrow {
            narrow::non_null_sql(pair, side)
        } else {
            Vec::new()
        }
    };
    let legacy = match &beyond.legacy_totals {
        Some((rows, sums)) => (*rows, sums.clone(), Vec::new()),
        None => stage("totals (legacy)", || {
            let side = SideMeasures::legacy(spec, pairs);
            totals_counting(conn, &side, ("a", &counts(Side::A)))
        })?,
    };
    let new = match &beyond.new_totals {
        Some((rows, sums)) => (*rows, sums.clone(), Vec::new()),
        None => stage("totals (new)", || {
            let side = SideMeasures::new_side(spec, pairs);
            totals_counting(conn, &side, ("b", &counts(Side::B)))
        })?,
    };
    Ok([legacy, new])
}

/// Each measure's totals, delta and verdict.
fn measure_totals(
    spec: &Spec,
    pairs: &[Measure],
    [legacy, new]: &[SideScan; 2],
) -> Result<Vec<MeasureTotal>> {
    pairs
        .iter()
        .zip(legacy.1.iter().zip(&new.1))
        .map(|(m, (&legacy, &new))| {
            let delta = Exact::delta(new, legacy, &format!("`{}`", m.name))?;
            Ok(MeasureTotal {
                name: m.name.clone(),
                legacy,
                new,
                delta,
                delta_pct: (!legacy.is_zero())
                    .then(|| 100.0 * delta.to_f64() / legacy.abs().to_f64()),
                within_tolerance: spec.rules.within(legacy, delta),
            })
        })
        .collect()
}

/// Row and column classes and samples: from the narrow join when it applies, else from
/// the full one; completed by what is known `beyond` the relations.
fn classes(
    conn: &Connection,
    pair: &KeyedPair,
    [legacy, new]: &[SideScan; 2],
    (narrow, beyond): (bool, &Beyond),
) -> Result<Summary> {
    let mut summary = if narrow {
        let side = |s: &SideScan| SideCounts {
            rows: s.0,
            non_null: s.2.clone(),
        };
        narrow::summarise_narrow(conn, pair, (&side(legacy), &side(new)), SAMPLE_ROWS)?
    } else {
        stage("keyed join: classes and samples", || {
            summarise(conn, pair, SAMPLE_ROWS)
        })?
    };
    summary.rows.legacy_rows = legacy.0;
    summary.rows.new_rows = new.0;
    summary.rows.matched += beyond.matched;
    summary.rows.only_new += beyond.only_new;
    for c in &mut summary.columns {
        c.perfect_match += beyond.matched;
        c.missing_from_a += beyond.only_new;
        if let Some((_, a, b)) = beyond.nulls.iter().find(|(n, _, _)| n == &c.name) {
            c.null_in_a += a;
            c.null_in_b += b;
        }
    }
    Ok(summary)
}

/// The report over the spec's relations, completed by what is known `beyond` them.
pub fn compare_with(conn: &Connection, spec: &Spec, beyond: &Beyond) -> Result<Report> {
    let mut pair = spec.keyed_pair()?;
    pair.text_where_dates_fail(conn)?;
    let values = dimension_values(spec, &mut pair)?;
    if pair.columns.is_empty() {
        return Err(Error::Usage(
            "the two sides share no column to compare".into(),
        ));
    }
    let pairs = spec.measure_pairs()?;
    let duplicates = duplicates(conn, spec, beyond)?;
    // A pushed-down compare knows its sides' totals from the warehouse, not from the rows
    // fetched here, so only a compare of whole sides can take the narrow join.
    let narrow = beyond.legacy_totals.is_none()
        && beyond.new_totals.is_none()
        && narrow::applies(&pair.rules, duplicates);
    let scans = scan_sides(conn, (spec, &pair, &pairs), beyond, narrow)?;
    let measures = measure_totals(spec, &pairs, &scans)?;
    let summary = classes(conn, &pair, &scans, (narrow, beyond))?;
    let mut rows = summary.rows;
    (rows.duplicate_keys_legacy, rows.duplicate_keys_new) = duplicates;

    let breakdown_measures: Vec<(String, usize, Exact, u32)> = measures
        .iter()
        .zip(&pairs)
        .filter_map(|(t, m)| {
            let i = pair
                .columns
                .iter()
                .position(|(a, _)| a.eq_ignore_ascii_case(&t.name))?;
            Some((t.name.clone(), i, t.delta, m.scale))
        })
        .collect();
    let by = stage("breakdowns", || {
        breakdown(
            conn,
            spec,
            &pair,
            &values,
            &breakdown_measures,
            beyond
                .agreeing_groups
                .as_ref()
                .map(|g| agreeing_amounts(g, &breakdown_measures))
                .as_deref(),
        )
    })?;
    let mut ignore = spec.keys.clone();
    ignore.extend(spec.skip.iter().cloned());
    let mut schema = key_type_changes(&spec.legacy, &spec.new, &spec.keys, &spec.map);
    schema.extend(changes(&spec.legacy, &spec.new, &spec.map, &ignore));
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        measures,
        rows,
        columns: summary.columns,
        schema,
        breakdown: by.flat,
        nested: by.nested,
        rows_by: by.rows_by,
        samples: summary.samples,
        wire: beyond.wire.clone(),
        sides: Vec::new(),
        warnings: Vec::new(),
    })
}
