//! When two values count as equal: exact by default; numbers within a tolerance; text
//! trimmed and case-folded when asked; NULL equal to '' when asked. One SQL expression
//! per column, used by every compare.

use super::relation::{is_numeric, is_text};
use crate::config::offset_minutes;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub absolute: f64,
    pub relative: f64,
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

/// How a value of `duck_type` is compared: numbers as DOUBLE (for tolerance), the same
/// types as they are, mixed types as text.
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
        if rules.absolute > 0.0 || rules.relative > 0.0 {
            return format!("CAST({expr} AS DOUBLE)");
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
    if numeric && (rules.absolute > 0.0 || rules.relative > 0.0) {
        format!(
            // The 1e-9 absorbs binary rounding: 100.01 - 100.00 is 0.010000000000005 as DOUBLE.
            // coalesce: a NULL against a value must be "not equal", never NULL.
            "coalesce(({x}) IS NOT DISTINCT FROM ({y}) OR abs(({x}) - ({y})) <= greatest({abs}, {rel} * greatest(abs({x}), abs({y}))) + 1e-9, false)",
            abs = rules.absolute,
            rel = rules.relative
        )
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
            absolute: 0.01,
            relative: 0.0,
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
            relative: 0.001,
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
}
