//! Explain's dimensions: what the differing rows are grouped by. A column's value; the month
//! of a date column with too many days to group by; whether the row has a match in another
//! table (a lookup); whether it repeats an earlier row's key (fan-out). Each renders both
//! the SQL that reads it off a joined row and the predicate that selects it on the new side.

use duckdb::Connection;

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::recon::columns::KeyedPair;
use crate::recon::lookups;
use crate::recon::relation::Relation;
use crate::recon::report::Spec;
use crate::recon::spec::Candidates;
use crate::sql::{ident, literal};

/// Largest number of distinct values for a column to be tried as a dimension.
pub const MAX_CARDINALITY: i64 = 50;

/// Another table whose rows may be what legacy excluded (or kept) rows by.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// How people name it (`bronze.returns`, `returns.csv`).
    pub label: String,
    /// The table rules name: the workspace's (`bronze.returns`), or for a file the
    /// `lookups.NAME` it was read into.
    pub table: String,
    /// (new-side column, lookup column) pairs the match is on.
    pub on: Vec<(String, String)>,
    /// A file lookup's file: kept in `rules/lookups/` when a rule naming it is saved.
    pub file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DimKind {
    /// A new-side column's value (legacy's on rows only legacy has).
    Value,
    /// The month (`2024-12`) of a date column.
    Month,
    /// `true` when the row's values have a match in the lookup.
    Lookup(Lookup),
    /// `true` on a row whose key an earlier row of the same side already had.
    Repeat { keys: Vec<String>, order: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dim {
    /// The new side's column (for a lookup, its first `on` column).
    pub column: String,
    pub kind: DimKind,
    /// A key column (a configured comparison's company): it scopes a cause, so it is used
    /// only beside another dimension.
    pub scope_only: bool,
    /// An integer code column (a region or store id): its values are named as numbers.
    pub code: bool,
}

impl Dim {
    pub fn value(column: &str) -> Dim {
        Dim {
            column: column.to_string(),
            kind: DimKind::Value,
            scope_only: false,
            code: false,
        }
    }

    /// The dimension's name for people: `branch`, `month(invoice_date)`, `in bronze.returns`.
    pub fn label(&self) -> String {
        match &self.kind {
            DimKind::Value => self.column.clone(),
            DimKind::Month => format!("month({})", self.column),
            DimKind::Lookup(l) => format!("in {}", l.label),
            DimKind::Repeat { keys, .. } => format!("repeated key ({})", keys.join(", ")),
        }
    }

    /// A predicate on the new side's rows selecting `value` (None: NULL).
    pub fn predicate(&self, value: Option<&str>) -> String {
        let col = ident(&self.column);
        match (&self.kind, value) {
            (DimKind::Value | DimKind::Month, None) => format!("{col} IS NULL"),
            // A code is compared as the number it is: `"region_id" = 3` reads right and
            // needs no text-to-number cast on either engine.
            (DimKind::Value, Some(v)) if self.code && v.parse::<i128>().is_ok() => {
                format!("{col} = {v}")
            }
            (DimKind::Value, Some(v)) => format!("{col} = {}", literal(v)),
            (DimKind::Month, Some(v)) => match month_range(v) {
                Some((from, to)) => {
                    format!("{col} >= {} AND {col} < {}", literal(&from), literal(&to))
                }
                None => format!("strftime({col}, '%Y-%m') = {}", literal(v)),
            },
            (DimKind::Lookup(l), v) => {
                let matched = lookups::condition(&l.table, &l.on);
                match v == Some("true") {
                    true => matched,
                    false => format!("NOT ({matched})"),
                }
            }
            (DimKind::Repeat { keys, order }, v) => {
                let keys = keys.iter().map(|k| ident(k)).collect::<Vec<_>>().join(", ");
                let op = if v == Some("true") { ">" } else { "=" };
                format!(
                    "row_number() OVER (PARTITION BY {keys} ORDER BY {}) {op} 1",
                    ident(order)
                )
            }
        }
    }

    /// SQL reading the dimension's value (as text) off a row of `pair`'s join; the pair
    /// carries the new-side columns it needs as `bx_i`.
    pub fn joined_sql(&self, pair: &mut KeyedPair, spec: &Spec) -> String {
        match &self.kind {
            DimKind::Value => format!(
                "CAST({} AS VARCHAR)",
                joined_value(pair, spec, &self.column)
            ),
            DimKind::Month => format!(
                "strftime(TRY_CAST({} AS DATE), '%Y-%m')",
                joined_value(pair, spec, &self.column)
            ),
            DimKind::Lookup(l) => {
                let values: Vec<String> =
                    l.on.iter()
                        .map(|(n, _)| joined_value(pair, spec, n))
                        .collect();
                lookups::matched_sql(&l.table, &l.on, &values)
            }
            DimKind::Repeat { .. } => {
                format!("CAST({} > 1 AS VARCHAR)", pair.key_value(super::REPEAT))
            }
        }
    }
}

impl Dim {
    /// For a month, SQL reading the day (`2024-12-29`) off a joined row: where in the month
    /// a cut-off falls. None for other kinds.
    pub fn joined_day_sql(&self, pair: &mut KeyedPair, spec: &Spec) -> Option<String> {
        (self.kind == DimKind::Month).then(|| {
            format!(
                "CAST(TRY_CAST({} AS DATE) AS VARCHAR)",
                joined_value(pair, spec, &self.column)
            )
        })
    }
}

/// The value of new-side column `column` on a joined row: the new row's, else legacy's.
fn joined_value(pair: &mut KeyedPair, spec: &Spec, column: &str) -> String {
    if let Some(k) = spec
        .keys
        .iter()
        .find(|k| spec.new_name(k).eq_ignore_ascii_case(column))
    {
        return pair.key_value(k);
    }
    let xi = match pair
        .extra_b
        .iter()
        .position(|x| x.eq_ignore_ascii_case(column))
    {
        Some(i) => i,
        None => {
            pair.extra_b.push(column.to_string());
            pair.extra_b.len() - 1
        }
    };
    match pair
        .columns
        .iter()
        .position(|(_, b)| b.eq_ignore_ascii_case(column))
    {
        Some(ai) => format!("coalesce(CAST(bx_{xi} AS VARCHAR), trim(CAST(a_{ai} AS VARCHAR)))"),
        None => format!("bx_{xi}"),
    }
}

/// `2024-12` → (`2024-12-01`, `2025-01-01`).
pub(crate) fn month_range(month: &str) -> Option<(String, String)> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&m) {
        return None;
    }
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    Some((format!("{y:04}-{m:02}-01"), format!("{ny:04}-{nm:02}-01")))
}

/// Whether a new-side column may serve as a dimension: text, a date, a flag or an integer
/// code, and not a measure, a key or assay's own (`_…`).
pub fn may_explain(spec: &Spec, name: &str, ty: &str) -> bool {
    let skip = spec.measures.iter().any(|k| k.eq_ignore_ascii_case(name))
        || spec
            .keys
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name) && !is_scope(spec, k))
        || name.starts_with('_');
    let kind_ok =
        is_text(ty) || is_date(ty) || ty.eq_ignore_ascii_case("BOOLEAN") || is_integer(ty);
    kind_ok && !skip
}

/// An integer type, as DuckDB or ClickHouse names it (`INTEGER`, `UBIGINT`,
/// `Nullable(UInt16)`): a column of ids or codes when it has few distinct values.
pub(crate) fn is_integer(ty: &str) -> bool {
    let t = ty.trim();
    let t = t
        .strip_prefix("Nullable(")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(t)
        .to_ascii_uppercase();
    let base = t.trim_start_matches('U');
    matches!(
        base,
        "TINYINT"
            | "SMALLINT"
            | "INTEGER"
            | "BIGINT"
            | "HUGEINT"
            | "INT"
            | "INT2"
            | "INT4"
            | "INT8"
    ) || (base.starts_with("INT") && base[3..].parse::<u16>().is_ok())
}

fn is_text(ty: &str) -> bool {
    ty.eq_ignore_ascii_case("VARCHAR")
}

pub(crate) fn is_date(ty: &str) -> bool {
    ty.eq_ignore_ascii_case("DATE") || ty.to_ascii_uppercase().starts_with("TIMESTAMP")
}

/// A key that scopes rows (a configured comparison's company) rather than naming one.
fn is_scope(spec: &Spec, key: &str) -> bool {
    spec.keys.len() > 1 && key.eq_ignore_ascii_case("company")
}

/// Whether `distinct` values are few enough (and more than one) for a dimension.
pub fn few_enough(distinct: i64) -> bool {
    distinct > 1 && distinct <= MAX_CARDINALITY
}

/// The columns explain may group by and, per column, the SELECT items counting its distinct
/// values and (for dates) months, in `dialect`.
pub fn candidate_counts(spec: &Spec, dialect: Dialect) -> (Vec<&(String, String)>, String) {
    let cols: Vec<&(String, String)> = spec
        .new
        .columns
        .iter()
        .filter(|(n, t)| may_explain(spec, n, t))
        .collect();
    let counts = count_items(&cols, dialect).join(", ");
    (cols, counts)
}

/// Per column, the SELECT item counting its distinct values and (for dates) months.
fn count_items(cols: &[&(String, String)], dialect: Dialect) -> Vec<String> {
    cols.iter()
        .enumerate()
        .map(|(i, (n, t))| {
            let c = dialect.ident(n);
            let month = if is_date(t) {
                dialect.count_distinct(&[dialect.month_start(&c)])
            } else {
                "0".into()
            };
            // Named, since a ClickHouse answer becomes a frame (unique column names).
            format!("{} AS u{i}, {month} AS m{i}", dialect.count_distinct(&[c]))
        })
        .collect()
}

/// Rows of the new side whose distinct values rule a column out first.
const HEAD_ROWS: usize = 100_000;

/// The candidates among `cols` by their (values, months) counts.
pub fn choose(cols: &[&(String, String)], counts: &[(i64, i64)]) -> Candidates {
    let mut found = Candidates::default();
    for ((name, ty), (values, months)) in cols.iter().zip(counts) {
        if few_enough(*values) && is_integer(ty) {
            found.codes.push(name.clone());
        } else if few_enough(*values) {
            found.values.push(name.clone());
        } else if few_enough(*months) {
            found.months.push(name.clone());
        }
    }
    found
}

/// The new side's columns with few distinct values, and the months of its date columns
/// with too many days: one pass over the new side counts them all.
pub fn counted(conn: &Connection, spec: &Spec) -> Result<Candidates> {
    let (cols, _) = candidate_counts(spec, Dialect::DuckDb);
    if cols.is_empty() {
        return Ok(Candidates::default());
    }
    let items = count_items(&cols, Dialect::DuckDb);
    // A column with more than MAX_CARDINALITY values (and months) among the first rows has
    // more in all: only the others are counted over the whole side (exact distinct counts
    // of every column — comments, prices, ids — took longer than the compare's join).
    let head = format!("(SELECT * FROM {} LIMIT {HEAD_ROWS})", spec.new.sql);
    let first = crate::trace::stage("explain: distinct values among the first rows", || {
        count_over(conn, &items, &head)
    })?;
    let open: Vec<usize> = (0..cols.len())
        .filter(|&i| {
            let (values, months) = first[i];
            values <= MAX_CARDINALITY || (is_date(&cols[i].1) && months <= MAX_CARDINALITY)
        })
        .collect();
    let beyond = MAX_CARDINALITY + 1;
    let mut found = vec![(beyond, beyond); cols.len()];
    if !open.is_empty() {
        // Each as a GROUP BY of its own: a parallel aggregate reading one column.
        let wanted: Vec<String> = open
            .iter()
            .map(|&i| grouped_counts(cols[i], i, &spec.new.sql))
            .collect();
        let all =
            crate::trace::stage("explain: distinct values of the few-valued columns", || {
                count_over(conn, &wanted, "(SELECT 1)")
            })?;
        for (&i, counts) in open.iter().zip(all) {
            found[i] = counts;
        }
    }
    Ok(choose(&cols, &found))
}

/// The (values, months) count items of column `i` over `from`, each a GROUP BY; NULL is no
/// value, as `count(DISTINCT …)` has it.
fn grouped_counts((name, ty): &(String, String), i: usize, from: &str) -> String {
    let c = ident(name);
    let distinct = |e: &str| {
        format!(
            "(SELECT count(*) FROM (SELECT {e} AS x FROM {from} WHERE {c} IS NOT NULL GROUP BY x))"
        )
    };
    let months = match is_date(ty) {
        true => distinct(&Dialect::DuckDb.month_start(&c)),
        false => "0".into(),
    };
    format!("{} AS u{i}, {months} AS m{i}", distinct(&c))
}

/// The (values, months) counts of `items` over `from`.
fn count_over(conn: &Connection, items: &[String], from: &str) -> Result<Vec<(i64, i64)>> {
    let sql = format!("SELECT {} FROM {from}", items.join(", "));
    conn.query_row(&sql, [], |r| {
        (0..items.len())
            .map(|i| Ok((r.get(2 * i)?, r.get(2 * i + 1)?)))
            .collect()
    })
    .map_err(|e| Error::Runtime(format!("counting explain's dimensions: {e}")))
}

/// The candidates as dimensions; keys (a scope) only beside another dimension.
pub fn of_candidates(spec: &Spec, found: &Candidates) -> Vec<Dim> {
    let is_key = |c: &str| {
        spec.keys
            .iter()
            .any(|k| spec.new_name(k).eq_ignore_ascii_case(c))
    };
    let personal = |c: &str| spec.personal.iter().any(|p| p.eq_ignore_ascii_case(c));
    let values = found.values.iter().filter(|n| !personal(n)).map(|n| Dim {
        scope_only: is_key(n),
        ..Dim::value(n)
    });
    let codes = found.codes.iter().filter(|n| !personal(n)).map(|n| Dim {
        scope_only: is_key(n),
        code: true,
        ..Dim::value(n)
    });
    let months = found.months.iter().map(|n| Dim {
        kind: DimKind::Month,
        ..Dim::value(n)
    });
    values.chain(codes).chain(months).collect()
}

/// A lookup of `rel`, the table rules name `table` (named `label` in messages), matched on
/// the `on` pairs (new-side column, lookup column); by default on the comparison's keys
/// the lookup has too.
pub fn lookup(
    (label, table): (&str, &str),
    rel: &Relation,
    on: &[(String, String)],
    spec: &Spec,
) -> Result<Lookup> {
    let keys: Vec<String> = spec.keys.iter().map(|k| spec.new_name(k)).collect();
    let wanted: Vec<(String, String)> = if on.is_empty() {
        keys.iter()
            .filter(|k| rel.find(k).is_some())
            .map(|k| (k.clone(), k.clone()))
            .collect()
    } else {
        on.to_vec()
    };
    if wanted.is_empty() {
        return Err(Error::Usage(format!(
            "lookup {label} has none of the key columns ({}); say which columns match (--on)",
            keys.join(", ")
        )));
    }
    let mut pairs = Vec::new();
    for (n, x) in &wanted {
        let (new, _) = spec.new.require(n, "the new side (a lookup column)")?;
        let (theirs, _) = rel.require(x, &format!("lookup {label}"))?;
        pairs.push((new.clone(), theirs.clone()));
    }
    Ok(Lookup {
        label: label.to_string(),
        table: table.to_string(),
        on: pairs,
        file: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_a_range_of_days_and_december_rolls_over() {
        let d = Dim {
            kind: DimKind::Month,
            ..Dim::value("day")
        };
        assert_eq!(
            d.predicate(Some("2024-12")),
            "\"day\" >= '2024-12-01' AND \"day\" < '2025-01-01'"
        );
        assert_eq!(d.label(), "month(day)");
        assert_eq!(d.predicate(None), "\"day\" IS NULL");
    }

    /// An integer code column with few values is a dimension, named by number; a count
    /// with many values, a measure and a key are not.
    #[test]
    fn integer_codes_are_dimensions_named_as_numbers() {
        for ty in [
            "INTEGER",
            "UTINYINT",
            "BIGINT",
            "Nullable(UInt16)",
            "Int32",
            "HUGEINT",
        ] {
            assert!(is_integer(ty), "{ty}");
        }
        for ty in ["VARCHAR", "DECIMAL(18,2)", "DOUBLE", "INTERVAL", "DATE"] {
            assert!(!is_integer(ty), "{ty}");
        }
        let cols = [
            ("region_id".to_string(), "INTEGER".to_string()),
            ("branch".to_string(), "VARCHAR".to_string()),
            ("quantity".to_string(), "BIGINT".to_string()),
        ];
        let refs: Vec<&(String, String)> = cols.iter().collect();
        let found = choose(&refs, &[(12, 0), (8, 0), (5_000, 0)]);
        assert_eq!(found.codes, vec!["region_id"]);
        assert_eq!(found.values, vec!["branch"]);
        let code = Dim {
            code: true,
            ..Dim::value("region_id")
        };
        assert_eq!(code.predicate(Some("3")), "\"region_id\" = 3");
        assert_eq!(code.predicate(Some("-12")), "\"region_id\" = -12");
        assert_eq!(code.predicate(None), "\"region_id\" IS NULL");
        // Text read off a code column that is not a number stays quoted, never pasted.
        assert_eq!(
            code.predicate(Some("3 OR 1=1")),
            "\"region_id\" = '3 OR 1=1'"
        );
    }

    /// Columns are ruled out by their first rows, then counted exactly over every row: a
    /// column sorted so that its first rows hold one value still has too many.
    #[test]
    fn few_values_are_counted_over_every_row() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE n AS SELECT i AS id, CAST(i % 5 AS VARCHAR) AS few, \
             CASE WHEN i < 150000 THEN 'a' ELSE CAST(i AS VARCHAR) END AS sorted, \
             CAST(i AS VARCHAR) AS many FROM range(200000) t(i)",
        )
        .unwrap();
        let new = Relation::describe(&conn, "n").unwrap();
        let spec = Spec {
            legacy: new.clone(),
            new,
            keys: vec!["id".into()],
            map: vec![],
            measures: vec![],
            dimensions: vec![],
            skip: vec![],
            rules: Default::default(),
            dimension_candidates: None,
            personal: vec![],
        };
        let found = counted(&conn, &spec).unwrap();
        assert_eq!(found.values, vec!["few"]);
        assert!(found.codes.is_empty() && found.months.is_empty());
    }

    #[test]
    fn a_lookup_is_an_in_on_its_columns_naming_the_table() {
        let d = Dim {
            kind: DimKind::Lookup(Lookup {
                label: "bronze.returns".into(),
                table: "bronze.returns".into(),
                on: vec![("ticket".into(), "ticket_id".into())],
                file: None,
            }),
            ..Dim::value("ticket")
        };
        assert_eq!(
            d.predicate(Some("true")),
            "\"ticket\" IN (SELECT \"ticket_id\" FROM bronze.returns)"
        );
        assert_eq!(
            d.predicate(Some("false")),
            "NOT (\"ticket\" IN (SELECT \"ticket_id\" FROM bronze.returns))"
        );
    }

    #[test]
    fn quotes_in_values_are_escaped() {
        assert_eq!(
            Dim::value("who").predicate(Some("O'Brien")),
            "\"who\" = 'O''Brien'"
        );
    }
}
