//! When two values count as equal: exact by default; numbers within a tolerance; text
//! trimmed and case-folded when asked; NULL equal to '' when asked. One SQL expression
//! per column, used by every compare.

use super::relation::{is_numeric, is_text};
use crate::config::offset_minutes;
use crate::decimal::{Exact, Numeric};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// A difference up to this is equal (in the column's units); exact, as configured.
    pub absolute: Exact,
    /// ...or up to this fraction of the larger of the two values, whichever allows more.
    pub relative: Exact,
    pub normalize_text: bool,
    pub null_equals_empty: bool,
    /// The zone of naive timestamps compared with TIMESTAMPTZ ones (None: UTC).
    pub timezone: Option<String>,
}

fn is_instant(duck_type: &str) -> bool {
    let t = duck_type.to_ascii_uppercase();
    t == "TIMESTAMP WITH TIME ZONE" || t == "TIMESTAMPTZ"
}

fn is_naive_time(duck_type: &str) -> bool {
    let t = duck_type.to_ascii_uppercase();
    t.starts_with("TIMESTAMP") && !is_instant(&t) || t == "DATETIME"
}

impl Rules {
    /// Whether numbers are held to a tolerance rather than compared exactly.
    pub fn has_tolerance(&self) -> bool {
        !self.absolute.is_zero() || !self.relative.is_zero()
    }

    /// Whether a total's `delta` is within the tolerance: up to the absolute allowance or
    /// the relative one of the legacy total, whichever allows more. All exact, so a delta
    /// equal to the allowance is within it, as a row's difference is in `equal`; and both
    /// totals are exact, so identical rows give a delta of exactly zero in any order.
    pub fn within(&self, legacy: Exact, delta: Exact) -> bool {
        let gap = delta.abs();
        let relative = match self.relative.times(legacy.abs()) {
            Some(allowed) => gap <= allowed,
            // Beyond 38 digits the product is only needed to the nearest float.
            None => gap.to_f64() <= self.relative.to_f64() * legacy.abs().to_f64(),
        };
        gap <= self.absolute || relative
    }
}

/// Places two numbers are compared at under a tolerance: the finer of the two columns
/// (a float's values rounded to `FLOAT_SCALE`, as they are summed) and of the allowance, so
/// neither a value nor the tolerance is rounded.
fn tolerance_scale(a_type: &str, b_type: &str, rules: &Rules) -> u32 {
    let of = |t: &str| Numeric::of(t).map_or(0, |n| n.scale);
    of(a_type)
        .max(of(b_type))
        .max(rules.absolute.scale())
        .min(MAX_TOLERANCE_SCALE)
}

/// DuckDB's DECIMAL holds 38 digits: a relative allowance multiplies two of them, so the
/// compared values keep at most 18 places and the product's scale stays within 38.
const MAX_TOLERANCE_SCALE: u32 = 18;

/// How a value of `duck_type` is compared: numbers under a tolerance as DECIMAL (exact,
/// never DOUBLE), the same types as they are, mixed types as text.
pub(crate) fn operand(expr: &str, duck_type: &str, other_type: &str, rules: &Rules) -> String {
    // An instant against a naive timestamp (or text): both as instants, the naive one read
    // at the comparison's UTC offset.
    if is_instant(other_type) && (is_naive_time(duck_type) || is_text(duck_type)) {
        let minutes = rules
            .timezone
            .as_deref()
            .and_then(offset_minutes)
            .unwrap_or(0);
        return format!(
            "CAST(CAST({expr} AS TIMESTAMP) - INTERVAL ({minutes}) MINUTE AS TIMESTAMPTZ)"
        );
    }
    if is_instant(duck_type) && (is_naive_time(other_type) || is_text(other_type)) {
        return expr.to_string();
    }
    if is_numeric(duck_type) && is_numeric(other_type) {
        if rules.has_tolerance() {
            let scale = tolerance_scale(duck_type, other_type, rules);
            return format!("CAST({expr} AS DECIMAL(38, {scale}))");
        }
        return expr.to_string();
    }
    let mut e = if duck_type.eq_ignore_ascii_case(other_type)
        && !(rules.normalize_text && is_text(duck_type))
    {
        expr.to_string()
    } else {
        format!("CAST({expr} AS VARCHAR)")
    };
    if rules.normalize_text && (is_text(duck_type) || !duck_type.eq_ignore_ascii_case(other_type)) {
        e = format!("lower(trim({e}))");
    }
    if rules.null_equals_empty && (is_text(duck_type) || is_text(other_type)) {
        e = format!("nullif(CAST({e} AS VARCHAR), '')");
    }
    e
}

/// A boolean SQL expression: true when `a` and `b` are equal under the rules, NULL-safe
/// (two NULLs are equal, a NULL and a value are not).
pub fn equal(a: &str, a_type: &str, b: &str, b_type: &str, rules: &Rules) -> String {
    let (x, y) = (
        operand(a, a_type, b_type, rules),
        operand(b, b_type, a_type, rules),
    );
    let numeric = is_numeric(a_type) && is_numeric(b_type);
    if numeric && rules.has_tolerance() {
        // All in DECIMAL: a one-cent difference on 10,000,000.04 is exactly 0.01, within a
        // tolerance of 0.01 (as DOUBLE it was 0.0099999998 or 0.0100000002). The allowances
        // are printed decimals, so they enter the SQL as DECIMAL literals, not floats.
        // coalesce: a NULL against a value must be "not equal", never NULL.
        let diff = format!("abs(({x}) - ({y}))");
        let mut within = format!("{diff} <= {}", rules.absolute);
        if !rules.relative.is_zero() {
            within = format!(
                "{within} OR {diff} <= {} * greatest(abs({x}), abs({y}))",
                rules.relative
            );
        }
        format!("coalesce(({x}) IS NOT DISTINCT FROM ({y}) OR {within}, false)")
    } else {
        format!("(({x}) IS NOT DISTINCT FROM ({y}))")
    }
}

/// True when the value counts as NULL under the rules.
pub fn is_null(expr: &str, duck_type: &str, rules: &Rules) -> String {
    if rules.null_equals_empty && is_text(duck_type) {
        format!("(nullif({expr}, '') IS NULL)")
    } else {
        format!("({expr} IS NULL)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::Connection;

    fn exact(text: &str) -> Exact {
        Exact::parse(text).unwrap()
    }

    fn eval(a: &str, at: &str, b: &str, bt: &str, rules: &Rules) -> bool {
        let conn = Connection::open_in_memory().unwrap();
        let sql = format!(
            "SELECT {} FROM (SELECT CAST({a} AS {at}) AS a, CAST({b} AS {bt}) AS b)",
            equal("a", at, "b", bt, rules)
        );
        conn.query_row(&sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn exact_by_default_and_null_safe() {
        let r = Rules::default();
        assert!(eval("1.10", "DECIMAL(10,2)", "1.1", "DOUBLE", &r));
        assert!(!eval("1.10", "DECIMAL(10,2)", "1.11", "DECIMAL(10,2)", &r));
        assert!(eval("NULL", "VARCHAR", "NULL", "VARCHAR", &r));
        assert!(!eval("NULL", "VARCHAR", "'x'", "VARCHAR", &r));
        assert!(!eval("'North '", "VARCHAR", "'north'", "VARCHAR", &r));
        assert!(eval("'2024-01-02'", "VARCHAR", "'2024-01-02'", "DATE", &r));
    }

    #[test]
    fn naive_timestamps_meet_instants_in_the_configured_zone() {
        let berlin = Rules {
            timezone: Some("+02:00".into()),
            ..Rules::default()
        };
        assert_eq!(offset_minutes("-05:30"), Some(-330));
        assert_eq!(offset_minutes("+2"), Some(120));
        assert_eq!(offset_minutes("Europe/Berlin"), None);
        let instant = "TIMESTAMP WITH TIME ZONE";
        // 10:00 at +02:00 is 08:00 UTC.
        assert!(eval(
            "TIMESTAMPTZ '2024-07-01 08:00:00+00'",
            instant,
            "TIMESTAMP '2024-07-01 10:00:00'",
            "TIMESTAMP",
            &berlin
        ));
        assert!(eval(
            "'2024-07-01 10:00:00'",
            "VARCHAR",
            "TIMESTAMPTZ '2024-07-01 08:00:00+00'",
            instant,
            &berlin
        ));
        assert!(!eval(
            "TIMESTAMPTZ '2024-07-01 08:00:00+00'",
            instant,
            "TIMESTAMP '2024-07-01 08:00:00'",
            "TIMESTAMP",
            &berlin
        ));
        // Without a zone, naive means UTC.
        assert!(eval(
            "TIMESTAMPTZ '2024-07-01 08:00:00+00'",
            instant,
            "TIMESTAMP '2024-07-01 08:00:00'",
            "TIMESTAMP",
            &Rules::default()
        ));
    }

    #[test]
    fn tolerances_and_normalisation() {
        let r = Rules {
            absolute: exact("0.01"),
            ..Rules::default()
        };
        assert!(eval(
            "100.00",
            "DECIMAL(10,2)",
            "100.01",
            "DECIMAL(10,2)",
            &r
        ));
        assert!(!eval(
            "100.00",
            "DECIMAL(10,2)",
            "100.02",
            "DECIMAL(10,2)",
            &r
        ));
        let rel = Rules {
            relative: exact("0.001"),
            ..Rules::default()
        };
        assert!(eval("1000", "DOUBLE", "1000.9", "DOUBLE", &rel));
        assert!(!eval("1000", "DOUBLE", "1001.1", "DOUBLE", &rel));
        let text = Rules {
            normalize_text: true,
            null_equals_empty: true,
            ..Rules::default()
        };
        assert!(eval("'North '", "VARCHAR", "'north'", "VARCHAR", &text));
        assert!(eval("''", "VARCHAR", "NULL", "VARCHAR", &text));
    }

    #[test]
    fn totals_at_the_boundary_are_within() {
        let rel = Rules {
            relative: exact("0.0007"),
            ..Rules::default()
        };
        // 0.0007 × 100.00 is 0.07 exactly (0.06999999999999999 as floats).
        assert!(rel.within(exact("100.00"), exact("-0.07")));
        assert!(!rel.within(exact("100.00"), exact("0.08")));
        let abs = Rules {
            absolute: exact("0.29"),
            ..Rules::default()
        };
        assert!(abs.within(exact("5"), exact("0.29")));
        assert!(!abs.within(exact("5"), exact("0.30")));
        assert!(Rules::default().within(exact("5"), exact("0.00")));
        assert!(!Rules::default().within(exact("5"), exact("0.01")));
    }

    /// A difference equal to the tolerance is within it, whatever binary fractions make of
    /// the two values; one unit more is not.
    #[test]
    fn a_difference_equal_to_the_tolerance_is_within_it_exactly() {
        let cent = Rules {
            absolute: exact("0.01"),
            ..Rules::default()
        };
        let money = "DECIMAL(18,2)";
        assert!(eval("10000000.04", money, "10000000.05", money, &cent));
        assert!(eval("10000000.05", money, "10000000.04", money, &cent));
        assert!(!eval("10000000.04", money, "10000000.06", money, &cent));
        for c in 0..99 {
            let (a, b) = (
                format!("123456789012.{c:02}"),
                format!("123456789012.{:02}", c + 1),
            );
            assert!(eval(&a, money, &b, money, &cent), "{a} {b}");
        }
        // Integers and decimals of other scales meet at the finer scale.
        let half = Rules {
            absolute: exact("0.5"),
            ..Rules::default()
        };
        assert!(eval("7", "BIGINT", "7.5", "DECIMAL(9,1)", &half));
        assert!(!eval("7", "BIGINT", "7.51", "DECIMAL(9,2)", &half));
        // 0.29 is 0.29, not 0.28999999999999998.
        let odd = Rules {
            absolute: exact("0.29"),
            ..Rules::default()
        };
        assert!(eval("1.00", money, "1.29", money, &odd));
        // A relative allowance: 0.1 % of 1,000.00 is exactly 1.00.
        let rel = Rules {
            relative: exact("0.001"),
            ..Rules::default()
        };
        assert!(eval("1000.00", money, "999.00", money, &rel));
        assert!(!eval("1000.00", money, "998.99", money, &rel));
        assert!(!eval("NULL", money, "1.00", money, &cent));
        assert!(eval("NULL", money, "NULL", money, &cent));
    }
}
