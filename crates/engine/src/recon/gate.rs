//! When a compare fails a CI gate (exit 1): the classes of difference a comparison is
//! gated on (`fail_on`, `compare --fail-on`), each weighed against its tolerance. Totals
//! that agree do not pass a gate on rows when invoices are missing.

use super::report::Report;
use super::summary::KeyedRows;
use crate::config::{Gate, Tolerance};
use crate::decimal::Exact;

/// Why `report` fails the gates (none: it passes). `skip`: columns left out of the compare
/// on purpose, which a schema gate does not count either.
pub fn failures(
    report: &Report,
    gates: &[Gate],
    tolerance: &Tolerance,
    skip: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for gate in gates {
        let failure = match gate {
            Gate::Measures => measures(report),
            Gate::Rows => rows(report, tolerance),
            Gate::Columns => columns(report),
            Gate::Schema => schema(report, skip),
        };
        out.extend(failure.map(|why| format!("{}: {why}", gate.as_str())));
    }
    out
}

fn measures(report: &Report) -> Option<String> {
    let out: Vec<String> = report
        .measures
        .iter()
        .filter(|m| !m.within_tolerance)
        .map(|m| format!("{} differs by {}", m.name, m.delta.grouped()))
        .collect();
    (!out.is_empty()).then(|| format!("{} (beyond the tolerance)", out.join(", ")))
}

/// The rows a gate lets pass: `rows`, or the whole rows of `rows_relative` × the legacy
/// rows, whichever is more. Exact: 0.29 of 100 rows is 29 (a float product said 28.99…).
fn allowed_rows(tolerance: &Tolerance, legacy_rows: i64) -> i128 {
    let share = tolerance
        .rows_relative
        .times(Exact::from_scaled(legacy_rows.into(), 0))
        .map_or(i128::MAX, |a| a.units_down(0));
    i128::from(tolerance.rows).max(share)
}

/// Rows on one side only, or whose key repeats, beyond `tolerance.rows` (a count) or
/// `tolerance.rows_relative` (a fraction of the legacy rows), whichever allows more.
fn rows(report: &Report, tolerance: &Tolerance) -> Option<String> {
    let r = &report.rows;
    let odd = r.only_legacy + r.only_new + r.duplicate_keys_legacy + r.duplicate_keys_new;
    let allowed = allowed_rows(tolerance, r.legacy_rows);
    (i128::from(odd) > allowed).then(|| {
        format!(
            "{} only in legacy, {} only in new, {} + {} repeated keys (tolerance {} rows)",
            r.only_legacy, r.only_new, r.duplicate_keys_legacy, r.duplicate_keys_new, allowed
        )
    })
}

/// Whether one company's one-sided rows are beyond the rows tolerance (its repeated keys
/// are not counted per company; the whole compare's gate counts them).
pub fn company_rows_beyond(rows: &KeyedRows, tolerance: &Tolerance) -> bool {
    let legacy_rows = rows.matched + rows.changed + rows.only_legacy;
    i128::from(rows.only_legacy + rows.only_new) > allowed_rows(tolerance, legacy_rows)
}

fn columns(report: &Report) -> Option<String> {
    let out: Vec<String> = report
        .columns
        .iter()
        .filter(|c| c.conflicting_values > 0)
        .map(|c| format!("{} ({} rows)", c.name, c.conflicting_values))
        .collect();
    (!out.is_empty()).then(|| format!("values differ in {}", out.join(", ")))
}

fn schema(report: &Report, skip: &[String]) -> Option<String> {
    let out: Vec<String> = report
        .schema
        .iter()
        .filter(|s| !skip.iter().any(|k| k.eq_ignore_ascii_case(&s.column)))
        .map(|s| format!("{} {}", s.column, s.change))
        .collect();
    (!out.is_empty()).then(|| out.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_rows_is_counted_exactly() {
        let share = |fraction: &str, rows: u64| Tolerance {
            rows,
            rows_relative: Exact::parse(fraction).unwrap(),
            ..Tolerance::default()
        };
        assert_eq!(allowed_rows(&share("0.29", 0), 100), 29);
        assert_eq!(allowed_rows(&share("0.07", 0), 100), 7);
        assert_eq!(allowed_rows(&share("0.001", 0), 1_999), 1);
        assert_eq!(allowed_rows(&share("0.001", 5), 1_999), 5);
        assert_eq!(allowed_rows(&share("0", 0), 1_000_000), 0);
    }

    #[test]
    fn a_company_is_beyond_when_its_one_sided_rows_pass_the_tolerance() {
        let rows = KeyedRows {
            matched: 90,
            changed: 5,
            only_legacy: 5,
            only_new: 1,
        };
        let t = |n: u64, fraction: &str| Tolerance {
            rows: n,
            rows_relative: Exact::parse(fraction).unwrap(),
            ..Tolerance::default()
        };
        assert!(company_rows_beyond(&rows, &t(5, "0")));
        assert!(!company_rows_beyond(&rows, &t(6, "0")));
        // 6 % of its 100 legacy rows.
        assert!(!company_rows_beyond(&rows, &t(0, "0.06")));
        assert!(company_rows_beyond(&rows, &t(0, "0.05")));
    }
}
