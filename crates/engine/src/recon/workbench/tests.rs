use super::*;
use crate::recon::{Relation, Rules};

fn base(conn: &Connection) -> DrillBase {
    base_with(conn, None)
}

fn listing(class: ClassFilter) -> (ClassFilter, RowOrder) {
    (class, RowOrder::default())
}

fn x(text: &str) -> Exact {
    Exact::parse(text).unwrap()
}

fn base_with(conn: &Connection, groups: Option<&AgreeingGroups>) -> DrillBase {
    conn.execute_batch(
        "CREATE TABLE l AS SELECT i AS id, ['N','S'][i % 2 + 1] AS branch, ['SALE','VOID'][(i // 2) % 2 + 1] AS kind, 10.0 AS amount FROM range(8) r(i) WHERE (i // 2) % 2 = 0;\
         CREATE TABLE n AS SELECT i AS id, ['N','S'][i % 2 + 1] AS branch, ['SALE','VOID'][(i // 2) % 2 + 1] AS kind, CASE WHEN i = 0 THEN 12.0 ELSE 10.0 END AS amount FROM range(8) r(i);",
    )
    .unwrap();
    let spec = Spec {
        legacy: Relation::describe(conn, "l").unwrap(),
        new: Relation::describe(conn, "n").unwrap(),
        keys: vec!["id".into()],
        map: vec![],
        measures: vec!["amount".into()],
        dimensions: vec!["kind".into(), "branch".into()],
        skip: vec![],
        rules: Rules::default(),
        dimension_candidates: None,
        personal: vec![],
    };
    DrillBase::build_with_groups(conn, spec, "amount", "drill_test", groups).unwrap()
}

#[test]
fn group_rows_count_in_amounts_and_classes_but_not_in_pages() {
    let conn = Connection::open_in_memory().unwrap();
    // 5 equal rows of SALE/N worth 100 and 2 of a branch the fetched rows lack.
    let b = base_with(
        &conn,
        Some(&AgreeingGroups {
            sql: "SELECT * FROM (VALUES ('SALE', 'N', 100.0, 100.0, 5, 'matched'), \
             ('SALE', 'E', 30.0, 30.0, 2, 'matched'), ('VOID', 'S', 0.0, 0.0, 0, 'matched')) \
             AS g(v0, v1, m0, w0, n, c)"
                .into(),
            dimensions: 2,
            measures: 1,
        }),
    );
    assert!(b.has_groups);
    assert_eq!((b.total_delta, b.rows), (x("42"), 15));
    let top = b.drill(&conn, &[], 0).unwrap();
    let sale = top
        .iter()
        .find(|r| r.value.as_deref() == Some("SALE"))
        .unwrap();
    // 4 fetched SALE rows (legacy 40, new 42) plus the groups' 7 rows worth 130.
    assert_eq!((sale.legacy, sale.new, sale.rows), (x("170"), x("172"), 11));
    assert_eq!(
        sale.delta.to_string(),
        "2.0",
        "exact, at the amounts' scale"
    );
    let path = [(0usize, Some("SALE".to_string()))];
    let by_branch = b.drill(&conn, &path, 1).unwrap();
    let east = by_branch
        .iter()
        .find(|r| r.value.as_deref() == Some("E"))
        .unwrap();
    assert_eq!((east.delta, east.rows, east.share), (x("0"), 2, Some(0.0)));
    let matched = |counts: Vec<(RowClass, i64)>| counts[3].1;
    assert_eq!(matched(b.class_counts(&conn, &path).unwrap()), 3 + 7);
    assert_eq!(matched(b.listed_counts(&conn, &path).unwrap()), 3);
    let page = b
        .rows_page(
            &conn,
            &path,
            listing(ClassFilter::Only(RowClass::Matched)),
            0,
            100,
        )
        .unwrap();
    assert_eq!(page.len(), 3);
    assert!(page.iter().all(|r| r.legacy.is_some() && r.new.is_some()));
    assert_eq!(
        b.rows_page(&conn, &[], listing(ClassFilter::All), 0, 100)
            .unwrap()
            .len(),
        8
    );
}

/// Only-new rows a pushed-down compare kept in the warehouse: their amounts are the new
/// side's only (legacy none), they count as only new in bars and classes, never in pages;
/// `within` keeps the groups of a drill step's values.
#[test]
fn kept_only_new_groups_count_on_the_new_side_only() {
    let conn = Connection::open_in_memory().unwrap();
    let groups = AgreeingGroups {
        sql: "SELECT * FROM (VALUES ('SALE', 'N', 100.0, 100.0, 5, 'matched'), \
         ('VOID', 'E', 25.0, 31.0, 3, 'only_new')) AS g(v0, v1, m0, w0, n, c)"
            .into(),
        dimensions: 2,
        measures: 1,
    };
    let b = base_with(&conn, Some(&groups));
    // 42 from the fetched rows, 25 more from the kept only-new group.
    assert_eq!((b.total_delta, b.rows), (x("67"), 16));
    let top = b.drill(&conn, &[], 0).unwrap();
    let void = top
        .iter()
        .find(|r| r.value.as_deref() == Some("VOID"))
        .unwrap();
    // 4 fetched voids (new 40) plus the group's 3 rows worth 25, none on the legacy side.
    assert_eq!((void.legacy, void.new, void.rows), (x("0"), x("65"), 7));
    let path = [(0usize, Some("VOID".to_string()))];
    let only_new = |counts: Vec<(RowClass, i64)>| {
        counts
            .iter()
            .find(|(c, _)| *c == RowClass::OnlyNew)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(only_new(b.class_counts(&conn, &path).unwrap()), 4 + 3);
    assert_eq!(only_new(b.listed_counts(&conn, &path).unwrap()), 4);
    let within = groups.within(&path);
    let (rows, classes): (i64, String) = conn
        .query_row(
            &format!(
                "SELECT CAST(sum({}) AS BIGINT), string_agg(DISTINCT {}) FROM {}",
                within.rows(),
                within.class(),
                within.from()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, classes.as_str()), (3, "only_new"));
}

#[test]
fn drills_by_path_and_pages_rows_side_by_side() {
    let conn = Connection::open_in_memory().unwrap();
    let b = base(&conn);
    // legacy: ids 0,1,4,5 (SALE) at 10; new: all 8, id 0 at 12 → delta 2 + 4 voids × 10.
    assert_eq!(b.total_delta, x("42"));
    let top = b.drill(&conn, &[], 0).unwrap();
    assert_eq!(top[0].value.as_deref(), Some("VOID"));
    assert_eq!((top[0].delta, top[0].rows), (x("40"), 4));
    let path = [(0usize, Some("SALE".to_string()))];
    let by_branch = b.drill(&conn, &path, 1).unwrap();
    assert_eq!(by_branch[0].value.as_deref(), Some("N"));
    assert_eq!(by_branch[0].delta, x("2"));
    let counts = b.class_counts(&conn, &path).unwrap();
    assert_eq!(counts[0], (RowClass::Changed, 1));
    let rows = b
        .rows_page(
            &conn,
            &path,
            listing(ClassFilter::Only(RowClass::Changed)),
            0,
            10,
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key, vec!["0"]);
    assert_eq!(rows[0].differs, vec!["amount"]);
    assert_eq!(rows[0].legacy.as_ref().unwrap()[3], "10.0");
    assert_eq!(rows[0].new.as_ref().unwrap()[3], "12.0");
    let voids = b
        .rows_page(
            &conn,
            &[(0, Some("VOID".into()))],
            listing(ClassFilter::All),
            1,
            2,
        )
        .unwrap();
    assert_eq!(
        voids.iter().map(|r| r.key[0].as_str()).collect::<Vec<_>>(),
        vec!["3", "6"]
    );
    assert!(voids
        .iter()
        .all(|r| r.legacy.is_none() && r.new.is_some() && r.class == RowClass::OnlyNew));
}

/// Sorted by |Δ|, the rows that move the measure most come first, whatever their class.
#[test]
fn pages_sort_by_the_largest_delta() {
    let conn = Connection::open_in_memory().unwrap();
    let b = base(&conn);
    let keys = |order| -> Vec<String> {
        b.rows_page(&conn, &[], (ClassFilter::Differences, order), 0, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.key[0].clone())
            .collect()
    };
    assert_eq!(keys(RowOrder::ClassThenKey), vec!["0", "2", "3", "6", "7"]);
    assert_eq!(keys(RowOrder::LargestDelta), vec!["2", "3", "6", "7", "0"]);
}

/// Keys that are whole numbers list in number order (10 after 9, not after 1), and a key
/// is found where the page lists it.
#[test]
fn number_keys_list_in_number_order() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE l AS SELECT i AS id, 'x' AS kind, 1.0 AS amount FROM range(0) r(i);\
         CREATE TABLE n AS SELECT i AS id, 'x' AS kind, 1.0 AS amount FROM range(21) r(i);",
    )
    .unwrap();
    let spec = Spec {
        legacy: Relation::describe(&conn, "l").unwrap(),
        new: Relation::describe(&conn, "n").unwrap(),
        keys: vec!["id".into()],
        map: vec![],
        measures: vec!["amount".into()],
        dimensions: vec!["kind".into()],
        skip: vec![],
        rules: Rules::default(),
        dimension_candidates: None,
        personal: vec![],
    };
    let b = DrillBase::build_with_groups(&conn, spec, "amount", "drill_keys", None).unwrap();
    let listing = listing(ClassFilter::Differences);
    let page = b.rows_page(&conn, &[], listing, 0, 100).unwrap();
    let keys: Vec<String> = page.into_iter().map(|r| r.key[0].clone()).collect();
    let numbers: Vec<String> = (0..21).map(|i| i.to_string()).collect();
    assert_eq!(keys, numbers);
    assert_eq!(b.position_of(&conn, &[], listing, "10").unwrap(), Some(10));
}

/// The place `position_of` gives is where `rows_page` lists the row, in either order; an
/// exact key wins over one that only contains the text; a key not in the list is None.
#[test]
fn a_key_is_found_where_the_page_lists_it() {
    let conn = Connection::open_in_memory().unwrap();
    let b = base(&conn);
    for order in [RowOrder::ClassThenKey, RowOrder::LargestDelta] {
        let listing = (ClassFilter::All, order);
        let all = b.rows_page(&conn, &[], listing, 0, 100).unwrap();
        for (i, row) in all.iter().enumerate() {
            let at = b.position_of(&conn, &[], listing, &row.key[0]).unwrap();
            assert_eq!(at, Some(i as u64), "{order:?} {:?}", row.key);
        }
    }
    let differences = listing(ClassFilter::Differences);
    let shown = b.rows_page(&conn, &[], differences, 0, 100).unwrap();
    let matched = (0..8)
        .map(|i| i.to_string())
        .find(|k| !shown.iter().any(|r| &r.key[0] == k))
        .unwrap();
    assert_eq!(
        b.position_of(&conn, &[], differences, &matched).unwrap(),
        None
    );
    assert_eq!(
        b.position_of(&conn, &[], differences, "'; DROP TABLE n; --")
            .unwrap(),
        None,
        "the text is a value, not SQL"
    );
}
