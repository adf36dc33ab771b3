//! The compare engine against a plain-Rust reference on random small tables: NULLs,
//! duplicate keys, keys on one side only, near-equal numbers, with and without tolerance.

use assay_engine::recon::report::{compare, Spec};
use assay_engine::recon::{columns, KeyedPair, Relation, Rules};
use duckdb::{params, Connection};
use proptest::prelude::*;

type Row = (Option<i32>, Option<i64>);

/// Values in hundredths so "near-equal" is exact to reason about.
fn row() -> impl Strategy<Value = Row> {
    (
        prop::option::weighted(0.9, 0..6i32),
        prop::option::weighted(0.8, -300..300i64),
    )
}

fn load(conn: &Connection, name: &str, rows: &[Row]) {
    conn.execute_batch(&format!("CREATE TABLE {name} (k INTEGER, v DECIMAL(10,2))"))
        .unwrap();
    for (k, v) in rows {
        conn.execute(
            &format!("INSERT INTO {name} VALUES (?, CAST(? AS DECIMAL(10,2)) / 100)"),
            params![k, v],
        )
        .unwrap();
    }
}

fn equal(x: Option<i64>, y: Option<i64>, tol: i64) -> bool {
    match (x, y) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= tol,
        _ => false,
    }
}

/// The full outer join on `k IS NOT DISTINCT FROM k`, written out by hand.
fn join(a: &[Row], b: &[Row]) -> Vec<(Option<Row>, Option<Row>)> {
    let mut out = Vec::new();
    for ra in a {
        let matches: Vec<&Row> = b.iter().filter(|rb| rb.0 == ra.0).collect();
        if matches.is_empty() {
            out.push((Some(*ra), None));
        }
        out.extend(matches.into_iter().map(|rb| (Some(*ra), Some(*rb))));
    }
    for rb in b {
        if !a.iter().any(|ra| ra.0 == rb.0) {
            out.push((None, Some(*rb)));
        }
    }
    out
}

/// [perfect, null_in_a, null_in_b, missing_from_a, missing_from_b, conflicting] for v.
fn reference_classes(joined: &[(Option<Row>, Option<Row>)], tol: i64) -> [i64; 6] {
    let mut c = [0i64; 6];
    for (ra, rb) in joined {
        let (va, vb) = (ra.and_then(|r| r.1), rb.and_then(|r| r.1));
        let both = ra.is_some() && rb.is_some();
        c[0] += (both && equal(va, vb, tol)) as i64;
        c[1] += (ra.is_some() && va.is_none()) as i64;
        c[2] += (rb.is_some() && vb.is_none()) as i64;
        c[3] += ra.is_none() as i64;
        c[4] += rb.is_none() as i64;
        c[5] += (both && !equal(va, vb, tol)) as i64;
    }
    c
}

fn duplicate_keys(rows: &[Row]) -> i64 {
    let mut keys: Vec<Option<i32>> = rows.iter().map(|r| r.0).collect();
    keys.sort();
    let mut dups = 0;
    let mut i = 0;
    while i < keys.len() {
        let j = keys[i..].iter().take_while(|k| **k == keys[i]).count();
        dups += (j > 1) as i64;
        i += j;
    }
    dups
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_the_reference(a in prop::collection::vec(row(), 0..12), b in prop::collection::vec(row(), 0..12), tolerant in any::<bool>()) {
        let tol = if tolerant { 5 } else { 0 };
        let rules = Rules { absolute: assay_engine::decimal::Exact::from_scaled(tol.into(), 2), ..Rules::default() };
        let conn = Connection::open_in_memory().unwrap();
        load(&conn, "a", &a);
        load(&conn, "b", &b);
        let (ra, rb) = (Relation::describe(&conn, "a").unwrap(), Relation::describe(&conn, "b").unwrap());
        let keys = vec!["k".to_string()];
        let joined = join(&a, &b);

        // Column classes of v.
        let pair = KeyedPair::new(&ra, &rb, &keys, Some(&["v".to_string()]), &[], &[], rules.clone()).unwrap();
        let df = columns::all_columns_summary(&conn, &pair).unwrap();
        let text = assay_engine::frame::to_text_rows(&df);
        let got: Vec<i64> = text[1][1..].iter().map(|c| c.parse().unwrap()).collect();
        prop_assert_eq!(got, reference_classes(&joined, tol).to_vec());

        // Row classes, duplicate keys and totals.
        let spec = Spec { legacy: ra.clone(), new: rb.clone(), keys: keys.clone(), map: vec![], measures: vec!["v".into()], dimensions: vec![], skip: vec![], rules, dimension_candidates: None, personal: vec![] };
        let report = compare(&conn, &spec).unwrap();
        let pairs = joined.iter().filter(|(x, y)| x.is_some() && y.is_some());
        let matched = pairs.clone().filter(|(x, y)| equal(x.unwrap().1, y.unwrap().1, tol)).count() as i64;
        let changed = pairs.count() as i64 - matched;
        prop_assert_eq!(report.rows.matched, matched);
        prop_assert_eq!(report.rows.changed, changed);
        prop_assert_eq!(report.rows.only_legacy, joined.iter().filter(|(_, y)| y.is_none()).count() as i64);
        prop_assert_eq!(report.rows.only_new, joined.iter().filter(|(x, _)| x.is_none()).count() as i64);
        prop_assert_eq!(report.rows.duplicate_keys_legacy, duplicate_keys(&a));
        prop_assert_eq!(report.rows.duplicate_keys_new, duplicate_keys(&b));
        prop_assert_eq!(report.rows.legacy_rows, a.len() as i64);
        prop_assert_eq!(report.rows.new_rows, b.len() as i64);
        // The report's one-pass column classes agree with the reference too.
        let v = report.columns.iter().find(|c| c.name == "v").unwrap();
        prop_assert_eq!(
            vec![v.perfect_match, v.null_in_a, v.null_in_b, v.missing_from_a, v.missing_from_b, v.conflicting_values],
            reference_classes(&joined, tol).to_vec()
        );
        // Samples: up to five of each class, each really of that class.
        let capped = |n: i64| n.min(5) as usize;
        prop_assert_eq!(report.samples.changed.len(), capped(changed));
        prop_assert_eq!(report.samples.only_legacy.len(), capped(report.rows.only_legacy));
        prop_assert_eq!(report.samples.only_new.len(), capped(report.rows.only_new));
        prop_assert!(report.samples.only_legacy.iter().all(|r| r.new.is_none() && r.legacy.is_some()));
        prop_assert!(report.samples.changed.iter().all(|r| r.differs == vec!["v".to_string()]));
        // Totals are exact: the sum of the cents, at the column's two places.
        let total = |rows: &[Row]| {
            assay_engine::decimal::Exact::from_scaled(rows.iter().filter_map(|r| r.1).sum::<i64>() as i128, 2)
        };
        prop_assert_eq!(report.measures[0].legacy.to_string(), total(&a).to_string());
        prop_assert_eq!(report.measures[0].new.to_string(), total(&b).to_string());
        prop_assert_eq!(report.measures[0].delta.to_string(), total(&b).minus(total(&a)).unwrap().to_string());
    }
}
