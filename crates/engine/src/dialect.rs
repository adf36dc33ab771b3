//! The one place that knows how DuckDB and ClickHouse spell things: identifiers, literals,
//! casts to text, NULL tests, counting, paging, hashes and the canonical forms a pushed-down
//! fingerprint is built from. Every module that writes SQL for either engine asks a
//! `Dialect`; nothing else branches on the engine. A new engine is a new variant here and a
//! new client in `warehouse`.

use crate::decimal::Numeric;
use crate::sql;

pub mod guard;
pub use guard::{check_expression, check_expression_in_any, statements};

/// Which engine a piece of SQL is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// The cache (and a DuckDB warehouse, which is the cache).
    DuckDb,
    ClickHouse,
}

/// Between the parts of a row's canonical text (a control character no export writes).
pub const SEPARATOR: &str = "\u{1f}";
/// How the numbers of a compared column pair are written in a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberForm {
    /// Both sides decimals or integers: exactly, at the larger of their scales.
    Exact { scale: u32 },
    /// A float on either side: as floats.
    Float,
}

impl NumberForm {
    /// The form for a pair of numeric DuckDB types.
    pub fn of(this_type: &str, other_type: &str) -> NumberForm {
        match (Numeric::of(this_type), Numeric::of(other_type)) {
            (Some(a), Some(b)) if !a.float && !b.float => NumberForm::Exact {
                scale: a.scale.max(b.scale),
            },
            _ => NumberForm::Float,
        }
    }
}

impl Dialect {
    /// A rule's condition (`where` of a rule or an accepted difference) as this engine's
    /// SQL: checked to be one expression that reads only tables (`check_expression`), NULL
    /// counted as false.
    pub fn rule_condition(self, text: &str) -> Result<String, String> {
        check_expression(self, text)?;
        Ok(match self {
            Dialect::DuckDb => format!("coalesce(({text}), false)"),
            Dialect::ClickHouse => format!("ifNull(({text}), 0)"),
        })
    }

    /// The rows of `from` with one per `keys` (a list of quoted columns): DuckDB numbers
    /// them; ClickHouse 18.16 has no window functions but `LIMIT 1 BY`.
    pub fn one_row_per_key(self, from: &str, keys: &str) -> String {
        match self {
            Dialect::DuckDb => {
                format!("SELECT * FROM {from} QUALIFY row_number() OVER (PARTITION BY {keys}) = 1")
            }
            Dialect::ClickHouse => format!("SELECT * FROM {from} LIMIT 1 BY {keys}"),
        }
    }

    /// The rows of `from` a condition that may number rows (a window function) leaves out;
    /// None where the engine has no window functions (ClickHouse 18.16).
    pub fn without_windowed(self, from: &str, cond: &str) -> Option<String> {
        match self {
            Dialect::DuckDb => Some(format!("SELECT * FROM {from} QUALIFY NOT {cond}")),
            Dialect::ClickHouse => None,
        }
    }

    /// Column `col` set to `value` where `cond` holds, kept in its DuckDB type `ty` (a
    /// ratio's DOUBLE back to DECIMAL) where the engine speaks DuckDB's types.
    pub fn set_where(self, cond: &str, value: &str, (col, ty): (&str, &str)) -> String {
        match self {
            Dialect::DuckDb => {
                format!("CASE WHEN {cond} THEN CAST(({value}) AS {ty}) ELSE {col} END AS {col}")
            }
            Dialect::ClickHouse => format!("if({cond}, ({value}), {col}) AS {col}"),
        }
    }

    /// A quoted identifier, whole: DuckDB's "double quotes"; ClickHouse's `backticks`
    /// (double quotes also work on current servers, but not on 18.16 in every position). A
    /// dot is part of the name (`Amt. EUR`, a Nested column's `n.x`): a qualified table is
    /// `table` or `dotted_table`.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::DuckDb => sql::ident(name),
            Dialect::ClickHouse => {
                format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
            }
        }
    }

    /// `database.table` as assay composes it (the database's name has no dot), quoted.
    pub fn dotted_table(self, qualified: &str) -> String {
        match qualified.split_once('.') {
            Some((schema, name)) => self.table(schema, name),
            None => self.ident(qualified),
        }
    }

    /// `schema.table` (DuckDB) or `database.table` (ClickHouse), each part quoted.
    pub fn table(self, schema: &str, name: &str) -> String {
        match self {
            Dialect::DuckDb => format!("{}.{}", sql::ident(schema), sql::ident(name)),
            Dialect::ClickHouse => format!("{}.{}", self.ident(schema), self.ident(name)),
        }
    }

    /// A string literal: DuckDB doubles quotes; ClickHouse escapes with backslashes.
    pub fn literal(self, value: &str) -> String {
        match self {
            Dialect::DuckDb => sql::literal(value),
            Dialect::ClickHouse => {
                format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
    }

    /// An expression's value as text.
    pub fn text(self, e: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({e} AS VARCHAR)"),
            Dialect::ClickHouse => format!("toString({e})"),
        }
    }

    pub fn is_null(self, e: &str) -> String {
        match self {
            Dialect::DuckDb => format!("{e} IS NULL"),
            Dialect::ClickHouse => format!("isNull({e})"),
        }
    }

    pub fn is_not_null(self, e: &str) -> String {
        match self {
            Dialect::DuckDb => format!("{e} IS NOT NULL"),
            Dialect::ClickHouse => format!("isNotNull({e})"),
        }
    }

    /// `column` equal to a value as text, or NULL when the value is None: how a cell the
    /// user picked (a drill value, a filter from a cell) becomes a predicate.
    pub fn text_equals(self, column: &str, value: Option<&str>) -> String {
        let c = self.ident(column);
        match value {
            Some(v) => format!("{} = {}", self.text(&c), self.literal(v)),
            None => self.is_null(&c),
        }
    }

    /// Rows `offset .. offset + limit` (ClickHouse 18.16 has no OFFSET keyword).
    pub fn limit(self, offset: u64, limit: u64) -> String {
        match self {
            Dialect::DuckDb => format!("LIMIT {limit} OFFSET {offset}"),
            Dialect::ClickHouse => format!("LIMIT {offset}, {limit}"),
        }
    }

    /// Rows meeting a condition (an aggregate).
    pub fn count_if(self, condition: &str) -> String {
        match self {
            Dialect::DuckDb => format!("count(*) FILTER (WHERE {condition})"),
            Dialect::ClickHouse => format!("countIf({condition})"),
        }
    }

    /// Distinct combinations of `columns` (quoted expressions), an aggregate.
    pub fn count_distinct(self, columns: &[String]) -> String {
        match self {
            Dialect::DuckDb if columns.len() == 1 => format!("count(DISTINCT {})", columns[0]),
            Dialect::DuckDb => format!("count(DISTINCT ({}))", columns.join(", ")),
            Dialect::ClickHouse => format!("uniqExact({})", columns.join(", ")),
        }
    }

    /// The first day of the month of date `e`.
    pub fn month_start(self, e: &str) -> String {
        match self {
            Dialect::DuckDb => format!("date_trunc('month', {e})"),
            Dialect::ClickHouse => format!("toStartOfMonth({e})"),
        }
    }

    /// The sum of a numeric expression as an engine prints it (exact for decimals).
    pub fn sum_as_text(self, e: &str) -> String {
        self.text(&format!("sum({e})"))
    }

    /// A number of the kind `of` as a 38-digit decimal of `scale` places, exactly: decimals
    /// and integers as they are; a float rounded half away from zero (DuckDB's cast does;
    /// ClickHouse's truncates, so half a unit is added first, with the value's sign).
    pub fn exact(self, e: &str, of: Numeric, scale: u32) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({e} AS DECIMAL(38, {scale}))"),
            Dialect::ClickHouse if of.float => format!(
                "toDecimal128({e} + if({e} < 0, -0.5, 0.5) / {}, {scale})",
                10u64.pow(scale)
            ),
            Dialect::ClickHouse => format!("toDecimal128({e}, {scale})"),
        }
    }

    /// The exact sum of `exact(e, of, scale)` as text; NULL over no rows (read as zero).
    /// DuckDB sums a DECIMAL column already at `scale` exactly into a 38-digit DECIMAL of
    /// that scale, so it is summed as it is: casting each of 6M values first took about as
    /// long again as the sum.
    pub fn exact_sum(self, e: &str, of: Numeric, scale: u32) -> String {
        self.sum_as_text(&self.summable(e, of, scale))
    }

    /// `e` as `sum(…)` takes it for an exact sum at `scale` (see `exact_sum`).
    pub fn summable(self, e: &str, of: Numeric, scale: u32) -> String {
        let decimal_at_scale = !of.float && of.scale > 0 && of.scale == scale;
        match self {
            Dialect::DuckDb if decimal_at_scale => e.to_string(),
            _ => self.exact(e, of, scale),
        }
    }

    /// GROUP BY the select list's `position`th item, known as `alias`: DuckDB by position
    /// (an alias could be shadowed by a column of that name), ClickHouse by alias (18.16
    /// has no positions).
    pub fn group_by_alias(self, position: usize, alias: &str) -> String {
        match self {
            Dialect::DuckDb => position.to_string(),
            Dialect::ClickHouse => alias.to_string(),
        }
    }

    /// A number as a fingerprint's text, the same on both engines for the same value and
    /// different for different values: a decimal or integer pair at the larger scale,
    /// exactly; a float as its shortest round-trip text (each engine prints a float so it
    /// reads back as the same float, so equal texts are equal values). Trailing zeros go,
    /// since ClickHouse 21.9+ drops them and DuckDB prints `1.0`.
    pub fn fingerprint_number(self, e: &str, form: NumberForm) -> String {
        let text = match (self, form) {
            (_, NumberForm::Exact { scale }) => {
                let integer = Numeric {
                    scale: 0,
                    float: false,
                };
                self.text(&self.exact(e, integer, scale))
            }
            (Dialect::DuckDb, NumberForm::Float) => format!("CAST(CAST({e} AS DOUBLE) AS VARCHAR)"),
            (Dialect::ClickHouse, NumberForm::Float) => format!("toString(toFloat64({e}))"),
        };
        let zeros = self.literal(r"\.?0+$");
        match self {
            Dialect::DuckDb => format!(
                "CASE WHEN contains({text}, '.') AND NOT contains({text}, 'e') \
                 THEN regexp_replace({text}, {zeros}, '') ELSE {text} END"
            ),
            Dialect::ClickHouse => format!(
                "if(position({text}, '.') > 0 AND position({text}, 'e') = 0, \
                 replaceRegexpOne({text}, {zeros}, ''), {text})"
            ),
        }
    }

    /// Text trimmed of spaces and lower-cased: DuckDB's `lower(trim(x))`; ClickHouse 18.16
    /// has no trim, and its `lower` is ASCII-only.
    pub fn normalised(self, e: &str) -> String {
        match self {
            Dialect::DuckDb => format!("lower(trim({e}))"),
            Dialect::ClickHouse => format!("lowerUTF8(replaceRegexpAll({e}, '^ +| +$', ''))"),
        }
    }

    /// `e`, or the string `with` where it is NULL.
    pub fn if_null(self, e: &str, with: &str) -> String {
        match self {
            Dialect::DuckDb => format!("coalesce({e}, {})", self.literal(with)),
            Dialect::ClickHouse => format!("ifNull({e}, {})", self.literal(with)),
        }
    }

    /// Text that is neither NULL nor empty.
    pub fn is_not_empty(self, e: &str) -> String {
        match self {
            Dialect::DuckDb => format!("nullif({e}, '') IS NOT NULL"),
            Dialect::ClickHouse => format!("(isNotNull({e}) AND toString({e}) != '')"),
        }
    }

    /// Texts joined with `SEPARATOR`.
    pub fn concat(self, parts: &[String]) -> String {
        match parts {
            [] => return self.literal(""),
            // ClickHouse's concat wants two arguments or more.
            [one] => return one.clone(),
            _ => {}
        }
        let sep = self.literal(SEPARATOR);
        format!("concat({})", parts.join(&format!(", {sep}, ")))
    }

    /// The first 32 bits of the MD5 of `text`, as an integer.
    pub fn md5_u32(self, text: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST(('0x' || left(md5({text}), 8)) AS BIGINT)"),
            Dialect::ClickHouse => {
                format!("reinterpretAsUInt32(reverse(unhex(substring(hex(MD5({text})), 1, 8))))")
            }
        }
    }

    /// The first `chars` hex digits of the MD5 of `text` (16^chars buckets).
    pub fn md5_prefix(self, text: &str, chars: usize) -> String {
        match self {
            Dialect::DuckDb => format!("left(md5({text}), {chars})"),
            Dialect::ClickHouse => format!("lower(substring(hex(MD5({text})), 1, {chars}))"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DECIMAL already at the sum's scale is summed as it is, and DuckDB keeps that sum
    /// exact past 18 digits; anything else is cast first.
    #[test]
    fn a_decimal_at_the_scale_is_summed_as_it_is_and_stays_exact() {
        let d = Dialect::DuckDb;
        let money = Numeric::of("DECIMAL(18,2)").unwrap();
        assert_eq!(d.summable("x", money, 2), "x");
        assert_eq!(d.summable("x", money, 3), "CAST(x AS DECIMAL(38, 3))");
        let count = Numeric::of("BIGINT").unwrap();
        assert_eq!(d.summable("x", count, 0), "CAST(x AS DECIMAL(38, 0))");
        let float = Numeric::of("DOUBLE").unwrap();
        assert!(d.summable("x", float, 2).starts_with("CAST("));
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let sum: String = conn
            .query_row(
                &format!(
                    "SELECT {} FROM (VALUES (9999999999999999.99::DECIMAL(18,2)), \
                     (9999999999999999.99::DECIMAL(18,2)), (0.01::DECIMAL(18,2))) AS t(x)",
                    d.exact_sum("x", money, 2)
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sum, "19999999999999999.99");
    }

    #[test]
    fn each_engine_quotes_its_own_way() {
        assert_eq!(Dialect::DuckDb.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::ClickHouse.ident("a`b"), "`a\\`b`");
        assert_eq!(Dialect::ClickHouse.literal("o'k\\"), "'o\\'k\\\\'");
        assert_eq!(Dialect::DuckDb.literal("o'k"), "'o''k'");
        assert_eq!(Dialect::ClickHouse.table("db", "t"), "`db`.`t`");
        assert_eq!(Dialect::DuckDb.table("gold", "t"), "\"gold\".\"t\"");
        assert_eq!(
            Dialect::ClickHouse.text_equals("b", Some("N'")),
            "toString(`b`) = 'N\\''"
        );
        assert_eq!(Dialect::DuckDb.text_equals("b", None), "\"b\" IS NULL");
        assert_eq!(Dialect::ClickHouse.limit(10, 5), "LIMIT 10, 5");
        assert_eq!(Dialect::DuckDb.limit(10, 5), "LIMIT 5 OFFSET 10");
    }
}
