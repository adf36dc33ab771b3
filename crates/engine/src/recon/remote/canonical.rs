//! The same value, written as the same text by DuckDB and by ClickHouse, so a slice of rows
//! can be fingerprinted on each side and the two fingerprints compared without moving rows.
//! A fingerprint only ever lets assay skip a slice whose rows are equal as text; any
//! formatting difference between the engines makes the slice differ, and its rows are then
//! fetched and compared exactly. So these expressions must be identical where they claim
//! equality, and may be conservative everywhere else.

pub use crate::dialect::{Dialect, NumberForm, SEPARATOR};
use crate::recon::equality::Rules;
use crate::recon::relation::is_numeric;

/// Stands for NULL in a row's text (a control character no export writes).
const NULL_MARK: &str = "\u{1e}N";

/// One compared column: its name on this side, and how its numbers are written when both
/// sides hold numbers.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    pub name: &'a str,
    pub numeric: Option<NumberForm>,
}

impl<'a> Part<'a> {
    /// A column of a pair, numeric when both sides' DuckDB types are.
    pub fn of(name: &'a str, this_type: &str, other_type: &str) -> Self {
        Part {
            name,
            numeric: (is_numeric(this_type) && is_numeric(other_type))
                .then(|| NumberForm::of(this_type, other_type)),
        }
    }
}

/// The canonical text of one value: numbers exactly (see `Dialect::fingerprint_number`);
/// text normalised as the rules normalise it; NULL as a mark, or as '' when the rules
/// equate the two.
pub fn value_text(d: Dialect, part: &Part, rules: &Rules) -> String {
    let col = d.ident(part.name);
    if let Some(form) = part.numeric {
        return d.if_null(&d.fingerprint_number(&col, form), NULL_MARK);
    }
    let mut e = d.text(&col);
    if rules.normalize_text {
        e = d.normalised(&e);
    }
    let null = if rules.null_equals_empty {
        ""
    } else {
        NULL_MARK
    };
    d.if_null(&e, null)
}

/// The key's text exactly as stored (keys join without normalisation).
pub fn key_text(d: Dialect, keys: &[&str]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|k| d.if_null(&d.text(&d.ident(k)), NULL_MARK))
        .collect();
    d.concat(&parts)
}

/// A slice's name: its dimension values' canonical text and a bucket of the key's hash.
pub fn slice_id(
    d: Dialect,
    dims: &[Part],
    keys: &[&str],
    bucket_chars: usize,
    rules: &Rules,
) -> String {
    let mut parts: Vec<String> = dims.iter().map(|p| value_text(d, p, rules)).collect();
    if bucket_chars > 0 {
        parts.push(d.md5_prefix(&key_text(d, keys), bucket_chars));
    }
    d.concat(&parts)
}

/// A row's fingerprint: a hash of its key and every compared value; summed over a slice.
pub fn row_hash(d: Dialect, keys: &[&str], parts: &[Part], rules: &Rules) -> String {
    let mut all = vec![key_text(d, keys)];
    all.extend(parts.iter().map(|p| value_text(d, p, rules)));
    d.md5_u32(&d.concat(&all))
}

/// True when the value counts as present (not NULL, nor '' where the rules equate them).
pub fn present(d: Dialect, name: &str, text_type: bool, rules: &Rules) -> String {
    let col = d.ident(name);
    if rules.null_equals_empty && text_type {
        d.is_not_empty(&col)
    } else {
        d.is_not_null(&col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::Connection;

    fn duck(expr: &str, from: &str) -> String {
        let conn = Connection::open_in_memory().unwrap();
        conn.query_row(
            &format!("SELECT CAST({expr} AS VARCHAR) FROM ({from})"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn duckdb_texts_are_the_canonical_forms() {
        let rules = Rules {
            normalize_text: true,
            ..Rules::default()
        };
        let from = "SELECT 12.3::DOUBLE AS x, 12.30::DECIMAL(18,2) AS y, '  North ' AS b, NULL::VARCHAR AS n, DATE '2024-01-05' AS d, \
             1.0::DOUBLE AS w, 1e20::DOUBLE AS big, 100::INTEGER AS i, 12.3000001::DOUBLE AS near, 1234567890123.45::DECIMAL(18,2) AS huge";
        let num = |name: &'static str, form: NumberForm| {
            value_text(
                Dialect::DuckDb,
                &Part {
                    name,
                    numeric: Some(form),
                },
                &rules,
            )
        };
        let exact = |scale| NumberForm::Exact { scale };
        assert_eq!(duck(&num("x", NumberForm::Float), from), "12.3");
        assert_eq!(duck(&num("y", NumberForm::Float), from), "12.3");
        assert_eq!(duck(&num("y", exact(4)), from), "12.3");
        assert_eq!(duck(&num("w", NumberForm::Float), from), "1");
        assert_eq!(duck(&num("i", exact(2)), from), "100");
        assert_eq!(duck(&num("big", NumberForm::Float), from), "1e+20");
        // A difference of 1e-7 and values above 1e12 keep their own text (the old form,
        // round(x * 10000) as BIGINT, wrote 12.3000001 as 123000 like 12.3).
        assert_eq!(duck(&num("near", NumberForm::Float), from), "12.3000001");
        assert_eq!(duck(&num("huge", exact(2)), from), "1234567890123.45");
        assert_eq!(NumberForm::of("DECIMAL(18,2)", "DECIMAL(38,4)"), exact(4));
        assert_eq!(NumberForm::of("BIGINT", "DOUBLE"), NumberForm::Float);
        let b = value_text(
            Dialect::DuckDb,
            &Part {
                name: "b",
                numeric: None,
            },
            &rules,
        );
        assert_eq!(duck(&b, from), "north");
        let n = value_text(
            Dialect::DuckDb,
            &Part {
                name: "n",
                numeric: None,
            },
            &rules,
        );
        assert_eq!(duck(&n, from), NULL_MARK);
        let d = value_text(
            Dialect::DuckDb,
            &Part {
                name: "d",
                numeric: None,
            },
            &Rules::default(),
        );
        assert_eq!(duck(&d, from), "2024-01-05");
        // md5('abc') starts 90015098: 0x90015098 = 2416005272 (ClickHouse gives the same).
        let h = Dialect::DuckDb.md5_u32("'abc'");
        assert_eq!(duck(&h, "SELECT 1"), "2416005272");
        let p = Dialect::DuckDb.md5_prefix("'abc'", 2);
        assert_eq!(duck(&p, "SELECT 1"), "90");
    }

    #[test]
    fn clickhouse_forms_quote_with_backticks() {
        let rules = Rules::default();
        let e = value_text(
            Dialect::ClickHouse,
            &Part {
                name: "a`b",
                numeric: None,
            },
            &rules,
        );
        assert!(e.contains("toString(`a\\`b`)"), "{e}");
        assert!(slice_id(Dialect::ClickHouse, &[], &["k"], 2, &rules).contains("MD5"));
    }
}
