//! Explain: the causes of a measure's gap, ranked on what the causes above each leave
//! unexplained, each a predicate on the new side with a candidate legacy rule; changed rows
//! also say how they differ (a value pattern). See `rank` for how causes are picked.

mod cause;
mod columns;
mod cube;
mod cutoff;
pub mod dims;
mod patterns;
mod rank;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use duckdb::Connection;

pub use cause::{Cause, Explained, Rule, RuleKind};
pub use dims::{few_enough, may_explain, Dim, DimKind, Lookup};
pub use patterns::{Pattern, PatternKind};

use super::class::RowClass;
use super::columns::KeyedPair;
use super::groups::AgreeingGroups;
use super::lookups;
use super::relation::Relation;
use super::report::Spec;
use super::spec::Measure;
use crate::config::Workspace;
use crate::decimal::{Exact, Numeric};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::sql::ident;
use crate::trace::stage;

/// The column a side's rows are numbered by within a key, when keys repeat.
pub(crate) const REPEAT: &str = "_assay_repeat";
/// How many other numeric columns of the new side a changed measure is tried against.
const MAX_OFFSET_COLUMNS: usize = 12;

/// What to explain with.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// How many causes at most.
    pub top: usize,
    /// Tables whose matches may be what legacy selected rows by.
    pub lookups: Vec<Lookup>,
    /// With a pushed-down compare, the agreeing rows that were not fetched, as groups.
    pub agreeing: Option<AgreeingGroups>,
}

/// A measure's gap, its causes, and what they leave.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub measure: String,
    pub total: Exact,
    pub causes: Vec<Cause>,
    /// The gap no cause explains (total − the causes' deltas).
    pub remaining: Exact,
    /// Agreeing rows explain saw only as groups of the comparison's dimensions (a
    /// pushed-down compare does not fetch them): a value pattern cannot see them.
    pub rows_not_fetched: i64,
}

pub fn explain(
    conn: &Connection,
    spec: &Spec,
    measure: &str,
    opts: &Options,
) -> Result<Explanation> {
    let m = spec.measure(Some(measure))?;
    let mut dims = stage("explain: candidate dimensions", || {
        dimensions(conn, spec, opts)
    })?;
    let sides = stage("explain: repeated keys", || Sides::numbered(conn, spec, &m))?;
    let mut pair = sides.pair(spec)?;
    pair.text_where_dates_fail(conn)?;
    // Unique keys and exact equality: the compare's narrow join of fingerprints finds the
    // rows that differ; only those are joined column by column, the others enter the cube
    // as matched groups of their dimension values (1.4 GB and twice the compare's time
    // when every row was joined whole). A pushed-down compare has fetched the differing
    // rows already.
    let narrow_applies =
        !sides.numbered && opts.agreeing.is_none() && super::narrow::applies(&spec.rules, (0, 0));
    let differing = match narrow_applies {
        true => Some(super::narrow::Differing::keep(conn, &pair)?),
        false => None,
    };
    let restricted = match &differing {
        Some(d) => Some(d.sides(&pair)?),
        None => None,
    };
    let unmatched = differing
        .as_ref()
        .map(|_| super::narrow::Differing::matched(&pair));
    let mut work = match &restricted {
        Some((a, b)) => pair.over(a, b),
        None => pair.over(pair.a, pair.b),
    };
    let classed = Classed::new(&mut work, spec, &m, &mut dims)?;
    let matched = match &unmatched {
        Some((empty, new)) => Some(Classed::new(
            &mut pair.over(empty, new),
            spec,
            &m,
            &mut dims,
        )?),
        None => None,
    };
    let mut sources = vec![cube::Source {
        sql: &classed.sql,
        matched: false,
    }];
    if let Some(c) = &matched {
        sources.push(cube::Source {
            sql: &c.sql,
            matched: true,
        });
    }
    let mut cube = stage("explain: the cube", || {
        cube::read(conn, dims, &sources, m.scale)
    })?;
    let rows_not_fetched = match &opts.agreeing {
        Some(groups) => {
            let by = group_columns(spec, &cube.dims, groups.dimensions);
            let k = spec
                .measures
                .iter()
                .position(|x| x.eq_ignore_ascii_case(&m.name));
            cube.add_agreeing(conn, groups, &by, k.map(|k| (k, m.scale)))?
        }
        None => 0,
    };
    let total = Exact::from_scaled(cube.total(), m.scale);
    // Whole units of the measure: 0.29 allows 29 cents (as a float product it was 28).
    let tolerance = spec.rules.absolute.units_down(m.scale);
    let picks = rank::rank(&cube, opts.top.max(1), tolerance);
    let cutoffs = stage("explain: cut-off dates", || {
        cutoff::refine(conn, &sources, &cube, &picks, m.scale)
    })?;
    let changed = cube.cells.iter().any(|c| c.class == RowClass::Changed);
    let differing = if changed {
        Some(stage("explain: differing rows kept", || {
            TempRows::create(conn, &classed.sql)
        })?)
    } else {
        None
    };
    let rows = differing.as_ref().map(|t| patterns::Rows {
        table: &t.name,
        measure: &m.new_name,
        scale: m.scale,
        others: &classed.others,
    });
    let mut causes = stage("explain: patterns", || {
        cause::build(conn, &cube, (&picks, &cutoffs), total, rows.as_ref())
    })?;
    if let Some(t) = &differing {
        let mut skip = spec.keys.clone();
        skip.push(m.name.clone());
        skip.push(REPEAT.to_string());
        for change in columns::find_all(conn, &t.name, &work, &skip, &cube)? {
            causes.push(cause::of_column(&cube, change, &causes, total));
        }
    }
    let explained = causes
        .iter()
        .try_fold(
            Exact::ZERO.rescale(m.scale).unwrap_or(Exact::ZERO),
            |a, c| a.plus(c.delta),
        )
        .ok_or_else(|| Error::Runtime("the causes' deltas overflow".into()))?;
    Ok(Explanation {
        measure: m.name,
        total,
        remaining: Exact::delta(total, explained, "the unexplained remainder")?,
        causes,
        rows_not_fetched,
    })
}

/// Per dimension of the cube, the agreeing groups' column holding it: the groups carry the
/// comparison's dimensions, in order.
fn group_columns(spec: &Spec, dims: &[Dim], carried: usize) -> Vec<Option<usize>> {
    dims.iter()
        .map(|d| {
            spec.dimensions.iter().take(carried).position(|x| {
                d.kind == DimKind::Value && spec.new_name(x).eq_ignore_ascii_case(&d.column)
            })
        })
        .collect()
}

/// The lookups comparison `name` of the workspace configures (`explain.lookups`, files
/// relative to the workspace): what every explain of it tries (the CLI's, the workbench's
/// drill and rules lab, the report's remainder).
pub fn lookups_of(
    conn: &Connection,
    spec: &Spec,
    ws: &Workspace,
    name: &str,
) -> Result<Vec<Lookup>> {
    let setting = format!("comparisons.{name}.explain.lookups");
    let Some(c) = ws.config.comparisons.get(name) else {
        return Ok(Vec::new());
    };
    c.explain
        .lookups
        .iter()
        .map(|s| {
            given_lookup(conn, spec, (s.given(), &s.on()), &ws.root)
                .map_err(|e| Error::Usage(format!("{setting}: {e}")))
        })
        .collect()
}

/// A lookup as given: a table of the workspace, or a file (relative to `base`) read into
/// `lookups.NAME`, matched on the `on` pairs (new column, lookup column) or else the keys
/// both have.
pub fn given_lookup(
    conn: &Connection,
    spec: &Spec,
    (given, on): (&str, &[(String, String)]),
    base: &Path,
) -> Result<Lookup> {
    if !super::adhoc::is_files(given) {
        let rel = Relation::describe(conn, &crate::sql::qualified(given))
            .map_err(|e| Error::Usage(format!("{given}: {e}")))?;
        return dims::lookup((given, given), &rel, on, spec);
    }
    let (name, rel) = lookups::define_file(conn, given, base)?;
    let mut found = dims::lookup((given, &lookups::table_of(&name)), &rel, on, spec)?;
    found.file = Some(lookups::resolve(base, given));
    Ok(found)
}

/// Configured dimensions first, then the new side's few-valued columns and date months,
/// then lookups, then (when keys repeat) the repeat flag.
fn dimensions(conn: &Connection, spec: &Spec, opts: &Options) -> Result<Vec<Dim>> {
    let is_key = |c: &str| {
        spec.keys
            .iter()
            .any(|k| spec.new_name(k).eq_ignore_ascii_case(c))
    };
    let mut dims: Vec<Dim> = Vec::new();
    let add = |d: Dim, dims: &mut Vec<Dim>| {
        if !dims
            .iter()
            .any(|x| x.column.eq_ignore_ascii_case(&d.column) && x.kind == d.kind)
        {
            dims.push(d);
        }
    };
    for d in &spec.dimensions {
        let (name, _) = spec
            .new
            .require(&spec.new_name(d), "the new side (a dimension)")?;
        add(
            Dim {
                scope_only: is_key(name),
                ..Dim::value(name)
            },
            &mut dims,
        );
    }
    let found = match &spec.dimension_candidates {
        Some(c) => dims::of_candidates(spec, c),
        None => dims::of_candidates(spec, &dims::counted(conn, spec)?),
    };
    for d in found {
        add(d, &mut dims);
    }
    for l in &opts.lookups {
        let column = l.on.first().map(|(n, _)| n.clone()).unwrap_or_default();
        dims.push(Dim {
            kind: DimKind::Lookup(l.clone()),
            ..Dim::value(&column)
        });
    }
    Ok(dims)
}

/// The two sides, numbered within each key when either repeats keys, so repeated rows pair
/// one to one instead of multiplying in the join.
struct Sides {
    legacy: Relation,
    new: Relation,
    numbered: bool,
}

impl Sides {
    fn numbered(conn: &Connection, spec: &Spec, m: &Measure) -> Result<Sides> {
        let repeats =
            |rel: &Relation, keys: &[String]| super::report::duplicate_keys(conn, rel, keys);
        let new_keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
        if repeats(&spec.legacy, &spec.keys)? == 0 && repeats(&spec.new, &new_keys)? == 0 {
            return Ok(Sides {
                legacy: spec.legacy.clone(),
                new: spec.new.clone(),
                numbered: false,
            });
        }
        let number = |rel: &Relation, keys: &[String], order: &str| {
            let keys = keys.iter().map(|k| ident(k)).collect::<Vec<_>>().join(", ");
            let mut columns = rel.columns.clone();
            columns.push((REPEAT.to_string(), "BIGINT".to_string()));
            Relation {
                sql: format!(
                    "(SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY {}) AS {} FROM {})",
                    ident(order),
                    ident(REPEAT),
                    rel.sql
                ),
                columns,
                keep: rel.keep.clone(),
            }
        };
        Ok(Sides {
            legacy: number(&spec.legacy, &spec.keys, &m.name),
            new: number(&spec.new, &new_keys, &m.new_name),
            numbered: true,
        })
    }

    fn pair<'a>(&'a self, spec: &Spec) -> Result<KeyedPair<'a>> {
        let mut keys = spec.keys.clone();
        if self.numbered {
            keys.push(REPEAT.to_string());
        }
        KeyedPair::new(
            &self.legacy,
            &self.new,
            &keys,
            None,
            &spec.skip,
            &spec.map,
            spec.rules.clone(),
        )
    }
}

/// The classified join as a CTE `classed`: dimensions `v0…`, `row_class`, the delta `d`,
/// both measures (`lm`, `nm`) and the new side's other numbers (`y0…`).
struct Classed {
    sql: String,
    others: Vec<String>,
}

impl Classed {
    fn new(pair: &mut KeyedPair, spec: &Spec, m: &Measure, dims: &mut Vec<Dim>) -> Result<Classed> {
        if pair.keys.iter().any(|k| k == REPEAT) {
            dims.push(Dim {
                kind: DimKind::Repeat {
                    keys: spec.keys.iter().map(|k| spec.new_name(k)).collect(),
                    order: m.new_name.clone(),
                },
                ..Dim::value(REPEAT)
            });
        }
        let exprs: Vec<String> = dims.iter().map(|d| d.joined_sql(pair, spec)).collect();
        let mi = pair
            .columns
            .iter()
            .position(|(a, _)| a.eq_ignore_ascii_case(&m.name))
            .ok_or_else(|| Error::Usage(format!("measure `{}` is not on both sides", m.name)))?;
        let duck = Dialect::DuckDb;
        let lm = duck.exact(&format!("a_{mi}"), m.legacy, m.scale);
        let nm = duck.exact(&format!("b_{mi}"), m.new, m.scale);
        let others: Vec<String> = spec
            .new
            .columns
            .iter()
            .filter(|(n, t)| {
                Numeric::of(t).is_some()
                    && !n.eq_ignore_ascii_case(&m.new_name)
                    && !spec
                        .keys
                        .iter()
                        .any(|k| spec.new_name(k).eq_ignore_ascii_case(n))
            })
            .take(MAX_OFFSET_COLUMNS)
            .map(|(n, _)| n.clone())
            .collect();
        let mut ys = Vec::new();
        for (j, y) in others.iter().enumerate() {
            pair.extra_b.push(y.clone());
            ys.push(format!(", bx_{} AS y{j}", pair.extra_b.len() - 1));
        }
        let mut vs: String = exprs
            .iter()
            .enumerate()
            .map(|(i, e)| format!("{e} AS v{i}, "))
            .collect();
        for (i, d) in dims.iter().enumerate() {
            if let Some(day) = d.joined_day_sql(pair, spec) {
                vs.push_str(&format!("{day} AS {}, ", cutoff::day_column(i)));
            }
        }
        let sql = format!(
            "WITH joined AS ({}), classed AS (SELECT joined.*, {vs}{} AS row_class, \
             coalesce({nm}, 0) - coalesce({lm}, 0) AS d, {lm} AS lm, {nm} AS nm{} FROM joined)",
            pair.joined_rows_sql(),
            pair.row_class_sql(),
            ys.concat()
        );
        Ok(Classed { sql, others })
    }
}

/// The differing rows of the classified join, kept while patterns are read from them.
struct TempRows<'a> {
    conn: &'a Connection,
    name: String,
}

impl<'a> TempRows<'a> {
    fn create(conn: &'a Connection, classed: &str) -> Result<TempRows<'a>> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "explain_rows_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        conn.execute_batch(&format!(
            "CREATE TEMP TABLE {name} AS {classed} SELECT * FROM classed WHERE row_class <> 'matched'"
        ))?;
        Ok(TempRows { conn, name })
    }
}

impl Drop for TempRows<'_> {
    fn drop(&mut self) {
        let _ = self
            .conn
            .execute_batch(&format!("DROP TABLE IF EXISTS {}", self.name));
    }
}
