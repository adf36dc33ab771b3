//! The narrow join against the full one it stands in for: the same row classes, column
//! classes and samples on random sides with drifted types, NULLs, text the rules fold, and
//! columns that cannot be fingerprinted.

use duckdb::Connection;
use proptest::prelude::*;

use super::*;
use crate::recon::summary::summarise;

/// One key's rows: on which sides, and each side's values.
#[derive(Debug, Clone)]
struct Row {
    in_a: bool,
    in_b: bool,
    a: Values,
    b: Values,
}

#[derive(Debug, Clone)]
struct Values {
    n: Option<i64>,
    t: Option<&'static str>,
    d: Option<f64>,
    day: Option<&'static str>,
    at: Option<u8>,
}

fn values() -> impl Strategy<Value = Values> {
    let texts = prop::sample::select(vec!["x", "X ", " x", "y", ""]);
    let doubles = prop::sample::select(vec![0.0, -0.0, 1.5, 2.25]);
    let days = prop::sample::select(vec!["2024-01-02", "2024-02-29", "not a date"]);
    (
        prop::option::of(0i64..3),
        prop::option::of(texts),
        prop::option::of(doubles),
        prop::option::of(days),
        prop::option::of(0u8..3),
    )
        .prop_map(|(n, t, d, day, at)| Values { n, t, d, day, at })
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let presence = prop::sample::select(vec![
        (true, true),
        (true, true),
        (true, false),
        (false, true),
    ]);
    let row =
        (presence, values(), values(), any::<bool>()).prop_map(|((in_a, in_b), a, b, same)| Row {
            in_a,
            in_b,
            // Most keys on both sides carry the same values, as in a real migration.
            b: if same { a.clone() } else { b },
            a,
        });
    prop::collection::vec(row, 1..40)
}

fn text(v: Option<&str>) -> String {
    v.map_or_else(|| "NULL".into(), crate::sql::literal)
}

fn number<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "NULL".into(), |v| v.to_string())
}

/// Side `a` (INTEGER key, DATE day, naive time) and side `b` (BIGINT key, DECIMAL n, the
/// day as text, instants), so keys, figures and days are compared in a common type and the
/// times cannot be fingerprinted.
fn load(conn: &Connection, rows: &[Row]) {
    conn.execute_batch(
        "CREATE TABLE a (k INTEGER, n INTEGER, t VARCHAR, d DOUBLE, day DATE, stamp TIMESTAMP);
         CREATE TABLE b (k BIGINT, n DECIMAL(10,2), t VARCHAR, d DOUBLE, day VARCHAR, stamp TIMESTAMPTZ);",
    )
    .unwrap();
    for (k, row) in rows.iter().enumerate() {
        for (present, table, v) in [(row.in_a, "a", &row.a), (row.in_b, "b", &row.b)] {
            if !present {
                continue;
            }
            let day = match (table, v.day) {
                ("a", Some("not a date")) => "NULL".to_string(),
                (_, day) => text(day),
            };
            let at =
                v.at.map_or_else(|| "NULL".into(), |h| format!("'2024-07-01 0{h}:00:00'"));
            // The first key is NULL: a NULL key is a key like any other (NULL meets NULL).
            let k = if k == 0 {
                "NULL".to_string()
            } else {
                k.to_string()
            };
            conn.execute_batch(&format!(
                "INSERT INTO {table} VALUES ({k}, {}, {}, {}, {day}, {at})",
                number(v.n),
                text(v.t),
                number(v.d),
            ))
            .unwrap();
        }
    }
}

fn side_counts(conn: &Connection, pair: &KeyedPair, side: Side) -> SideCounts {
    let counts = non_null_sql(pair, side);
    let sql = format!(
        "SELECT count(*), {} FROM {} AS {}",
        counts.join(", "),
        side.relation(pair).sql,
        side.alias()
    );
    conn.query_row(&sql, [], |r| {
        Ok(SideCounts {
            rows: r.get(0)?,
            non_null: (1..=counts.len())
                .map(|i| r.get(i))
                .collect::<Result<_, _>>()?,
        })
    })
    .unwrap()
}

fn both_ways(rows: &[Row], rules: Rules) {
    let conn = Connection::open_in_memory().unwrap();
    load(&conn, rows);
    let a = Relation::describe(&conn, "a").unwrap();
    let b = Relation::describe(&conn, "b").unwrap();
    let pair = KeyedPair::new(&a, &b, &["k".into()], None, &[], &[], rules).unwrap();
    let full = summarise(&conn, &pair, 3).unwrap();
    let counts = (
        side_counts(&conn, &pair, Side::A),
        side_counts(&conn, &pair, Side::B),
    );
    let narrow = summarise_narrow(&conn, &pair, (&counts.0, &counts.1), 3).unwrap();
    assert_eq!(narrow.rows, full.rows);
    assert_eq!(narrow.columns, full.columns);
    assert_eq!(narrow.samples, full.samples);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_narrow_join_gives_what_the_full_join_gives(rows in rows(), fold in any::<bool>()) {
        let rules = Rules {
            normalize_text: fold,
            null_equals_empty: fold,
            timezone: Some("+02:00".into()),
            ..Rules::default()
        };
        both_ways(&rows, rules);
    }
}

#[test]
fn a_tolerance_or_a_repeated_key_takes_the_full_join() {
    let exact = Rules::default();
    assert!(applies(&exact, (0, 0)));
    assert!(!applies(&exact, (1, 0)));
    assert!(!applies(&exact, (0, 2)));
    let tolerant = Rules {
        absolute: crate::decimal::Exact::parse("0.01").unwrap(),
        ..Rules::default()
    };
    assert!(!applies(&tolerant, (0, 0)));
}
