//! `assay compare` on the demo workspace finds the planted gap and where it sits.

mod common;

use common::*;

#[test]
fn compare_finds_the_planted_gap() {
    let tmp = tempfile::tempdir().unwrap();
    let out = assay(
        tmp.path(),
        &["demo", "ws", "--rows", "20000", "--seed", "5"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = stdout(&out);
    let line = summary
        .lines()
        .find(|l| l.starts_with("Planted gap"))
        .unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let (gold, legacy) = (
        money::exact(words[3]),
        money::exact(words[6].trim_end_matches(',')),
    );
    let ws = tmp.path().join("ws");
    assert_eq!(assay(&ws, &["extract", "--all"]).status.code(), Some(0));
    assert_eq!(assay(&ws, &["build"]).status.code(), Some(0));
    let out = assay(&ws, &["compare", "revenue", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "out of tolerance: {}",
        text(&out)
    );
    let json = stdout(&out);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let r = &report["revenue"];
    assert_eq!(r["schema_version"], 3);
    // The output is what docs/report.schema.json documents, and the check has teeth.
    let schema = json_schema::Schema::load();
    assert_eq!(schema.check("", &report), Vec::<String>::new());
    let mut broken = r.clone();
    broken["rows"].as_object_mut().unwrap().remove("changed");
    broken["surprise"] = serde_json::json!(1);
    assert_eq!(schema.check("report", &broken).len(), 2);
    check_nested(&json);
    check_samples(r);
    let m = &r["measures"][0];
    // Exactly the demo's figures, to the cent and with their scale.
    let measure = |k: &str| money::raw(&json, path!["revenue", "measures", 0, k]);
    assert_eq!(measure("legacy"), legacy.to_string(), "{m}");
    assert_eq!(measure("new"), gold.to_string(), "{m}");
    let delta = money::amount(&json, path!["revenue", "measures", 0, "delta"]);
    assert_eq!(Some(delta), gold.minus(legacy), "{m}");
    assert_eq!(m["within_tolerance"], false);
    let rows = &r["rows"];
    assert!(rows["only_new"].as_i64().unwrap() > 0);
    assert_eq!(rows["only_legacy"], 0);
    assert_eq!(rows["duplicate_keys_new"], 0);
    // The two planted causes lead the invoice_type breakdown and explain most of the gap.
    let by_type: Vec<&serde_json::Value> = r["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["dimension"] == "invoice_type")
        .collect();
    let top: Vec<&str> = by_type
        .iter()
        .take(2)
        .map(|b| b["value"].as_str().unwrap())
        .collect();
    assert!(
        top.contains(&"CANCELLED") && top.contains(&"INTERCOMPANY"),
        "{top:?}"
    );
    let share: f64 = by_type
        .iter()
        .take(2)
        .map(|b| b["share"].as_f64().unwrap())
        .sum();
    assert!(share > 0.8, "planted causes explain {share}");
    // Cobalt's padded branch names meet the clean ones: one row per branch.
    let branches: Vec<&str> = r["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["dimension"] == "branch")
        .map(|b| b["value"].as_str().unwrap())
        .collect();
    let mut unique = branches.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), branches.len(), "{branches:?}");
    // One company at a time.
    let one = assay(
        &ws,
        &[
            "compare",
            "revenue",
            "--company",
            "lumen",
            "--format",
            "json",
        ],
    );
    let one: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert!(
        one["revenue"]["rows"]["legacy_rows"].as_i64().unwrap()
            < rows["legacy_rows"].as_i64().unwrap()
    );
    // Explain ranks the planted causes first, as predicates on the new side.
    let out = assay(&ws, &["explain", "revenue", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let explained: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema.check("", &explained), Vec::<String>::new());
    let causes = explained["causes"].as_array().unwrap();
    let first_two: Vec<&str> = causes
        .iter()
        .take(2)
        .map(|c| c["predicate"].as_str().unwrap())
        .collect();
    assert!(
        first_two.contains(&"\"invoice_type\" = 'CANCELLED'"),
        "{first_two:?}"
    );
    assert!(
        first_two.contains(&"\"invoice_type\" = 'INTERCOMPANY'"),
        "{first_two:?}"
    );
    assert!(causes.iter().take(2).all(|c| c["row_class"] == "only_new"));
    // The late-posted December invoices (missed by the legacy cut-off) come third, not
    // after the first two sliced by every other column; the three explain ≥ 99 % of the gap.
    let third = causes[2]["predicate"].as_str().unwrap();
    assert!(third.contains("'2024-12"), "{explained:#}");
    assert!(
        causes[2]["cumulative_share"].as_f64().unwrap() >= 0.99,
        "{explained:#}"
    );
    for c in &causes[..3] {
        assert_eq!(c["rule"]["kind"], "exclude", "{c:#}");
    }
    // The legacy's re-keyed amounts are changed rows, their pattern named (scattered
    // cents, no common form), after the three.
    let changed = causes
        .iter()
        .find(|c| c["row_class"] == "changed")
        .unwrap_or_else(|| panic!("{explained:#}"));
    assert!(
        changed["pattern"]["text"]
            .as_str()
            .unwrap()
            .contains("amount"),
        "{changed:#}"
    );
    let remaining = explained["remaining"].as_f64().unwrap();
    let total = explained["total"].as_f64().unwrap();
    assert!(remaining.abs() <= total.abs() * 0.01, "{explained:#}");
}

/// The nested breakdown goes company → branch → invoice_type → month, each node's children
/// add up to it, and the biggest gaps come first.
fn check_nested(json: &str) {
    let report: serde_json::Value = serde_json::from_str(json).unwrap();
    let nested = report["revenue"]["nested"].as_array().unwrap();
    let path_of = |n: &serde_json::Value| -> Vec<String> {
        n["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        path_of(nested.iter().max_by_key(|n| path_of(n).len()).unwrap()),
        vec!["company", "branch", "invoice_type", "month"]
    );
    assert_eq!(path_of(&nested[0]), vec!["company"]);
    // Each node's delta exactly as written: the children's must add up to the cent.
    let delta = |i: usize| money::amount(json, path!["revenue", "nested", i, "delta"]);
    let sum = |of: Vec<usize>| {
        of.into_iter()
            .fold(money::exact("0"), |acc, i| acc.plus(delta(i)).unwrap())
    };
    let top: Vec<usize> = (0..nested.len())
        .filter(|&i| path_of(&nested[i]).len() == 1)
        .collect();
    assert_eq!(top.len(), 8, "eight companies");
    assert!(top
        .windows(2)
        .all(|w| delta(w[0]).abs() >= delta(w[1]).abs()));
    assert_eq!(
        sum(top),
        money::amount(json, path!["revenue", "measures", 0, "delta"])
    );
    // The first company's branches follow it and add up to it.
    let first = &nested[0];
    let children: Vec<usize> = (0..nested.len())
        .filter(|&i| path_of(&nested[i]).len() == 2 && nested[i]["values"][0] == first["values"][0])
        .collect();
    assert_eq!(sum(children), delta(0), "{first}");
    assert_eq!(nested[1]["values"][0], first["values"][0]);
}

/// Sample rows: the planted extra invoices show up as only_new rows with their values.
fn check_samples(r: &serde_json::Value) {
    let only_new = r["samples"]["only_new"].as_array().unwrap();
    assert_eq!(only_new.len(), 5);
    for row in only_new {
        assert!(row["legacy"].is_null(), "{row}");
        assert!(row["key"]["invoice_id"].is_string(), "{row}");
        assert!(row["new"]["net_amount"].is_number(), "{row}");
    }
}

/// `compare` of a.csv and b.csv on their amount, with an absolute tolerance.
fn amounts_within(dir: &std::path::Path, tolerance: &str) -> std::process::Output {
    assay(
        dir,
        &[
            "compare",
            "--legacy",
            "a.csv",
            "--new",
            "b.csv",
            "--key",
            "id",
            "--measure",
            "amount",
            "--tolerance",
            tolerance,
        ],
    )
}

#[test]
fn ad_hoc_compare_needs_no_config() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/audit-helper/seeds");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        seeds.join("data_compare_all_columns__market_of_choice_produce.csv"),
        tmp.path().join("legacy.csv"),
    )
    .unwrap();
    std::fs::copy(
        seeds.join("data_compare_all_columns__albertsons_produce.csv"),
        tmp.path().join("new.csv"),
    )
    .unwrap();
    let out = assay(
        tmp.path(),
        &[
            "compare",
            "--legacy",
            "legacy.csv",
            "--new",
            "new.csv",
            "--key",
            "id",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = &report["adhoc"]["rows"];
    assert_eq!(
        (rows["matched"].as_i64(), rows["changed"].as_i64()),
        (Some(4), Some(3))
    );
    assert_eq!(
        (rows["only_legacy"].as_i64(), rows["only_new"].as_i64()),
        (Some(1), Some(2))
    );
    // A measure off by more than the tolerance fails the check.
    std::fs::write(tmp.path().join("a.csv"), "id,amount\n1,10.00\n2,5.00\n").unwrap();
    std::fs::write(tmp.path().join("b.csv"), "id,amount\n1,10.00\n2,5.40\n").unwrap();
    let off = amounts_within(tmp.path(), "0.1");
    assert_eq!(off.status.code(), Some(1), "{}", text(&off));
    let within = amounts_within(tmp.path(), "0.5");
    assert_eq!(within.status.code(), Some(0), "{}", text(&within));
    // A malformed file is named with its line.
    std::fs::write(tmp.path().join("bad.csv"), "id,amount\n1,10.00,oops\n").unwrap();
    let bad = assay(
        tmp.path(),
        &[
            "compare", "--legacy", "bad.csv", "--new", "b.csv", "--key", "id",
        ],
    );
    assert_eq!(bad.status.code(), Some(3), "{}", text(&bad));
    assert!(
        text(&bad).contains("bad.csv: line 2: 3 fields, the header has 2"),
        "{}",
        text(&bad)
    );
}

#[test]
fn ad_hoc_explain_finds_the_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let mut legacy = String::from("id,kind,branch,amount\n");
    let mut new = legacy.clone();
    for i in 0..200 {
        let kind = ["SALE", "RETURN", "VOID"][i % 3];
        let branch = ["north", "south"][i % 2];
        let line = format!("{i},{kind},{branch},{}.50\n", 10 + i % 7);
        new.push_str(&line);
        // The legacy rule: voids are left out; and one north sale was keyed in wrong.
        if kind != "VOID" {
            legacy.push_str(&if i == 4 {
                line.replace(".50", ".00")
            } else {
                line
            });
        }
    }
    std::fs::write(tmp.path().join("legacy.csv"), legacy).unwrap();
    std::fs::write(tmp.path().join("new.csv"), new).unwrap();
    let out = assay(
        tmp.path(),
        &[
            "explain",
            "--legacy",
            "legacy.csv",
            "--new",
            "new.csv",
            "--key",
            "id",
            "--measure",
            "amount",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let explained: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json_schema::Schema::load().check("explain", &explained),
        Vec::<String>::new()
    );
    let first = &explained["causes"][0];
    assert_eq!(first["predicate"], "\"kind\" = 'VOID'", "{explained}");
    assert_eq!(first["row_class"], "only_new");
    assert_eq!(first["rows"], 66);
    assert!(first["share"].as_f64().unwrap() > 0.95);
    // Without a measure there is nothing to explain: a usage error.
    let out = assay(
        tmp.path(),
        &[
            "explain",
            "--legacy",
            "legacy.csv",
            "--new",
            "new.csv",
            "--key",
            "id",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("give --measure"), "{}", text(&out));
}

/// Type drift between the sides, keys included, as a real migration's Parquet exports had
/// it: a DATE key exported as ISO text, INTEGER against BIGINT, whole DOUBLEs against
/// integers, DECIMAL scales, TIMESTAMP against TIMESTAMPTZ. It crashed the compare
/// ("Cannot mix values of type VARCHAR and DATE in COALESCE", exit 3); now each pair meets
/// in a common type and a value that does not convert is a changed value.
#[test]
fn type_drift_meets_in_a_common_type() {
    let tmp = tempfile::tempdir().unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let legacy = tmp.path().join("legacy.parquet");
    let new = tmp.path().join("new.parquet");
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM (VALUES
            (DATE '2024-01-31', 1::INTEGER, 10::BIGINT, 5.50::DECIMAL(10,2), TIMESTAMP '2024-01-31 10:00:00'),
            (DATE '2024-02-29', 2::INTEGER, 20::BIGINT, 6.25::DECIMAL(10,2), TIMESTAMP '2024-02-29 10:00:00'),
            (DATE '2024-03-31', 3::INTEGER, 30::BIGINT, 7.00::DECIMAL(10,2), TIMESTAMP '2024-03-31 10:00:00'))
          t(day, id, qty, amount, posted)) TO '{}' (FORMAT PARQUET);
         COPY (SELECT * FROM (VALUES
            ('2024-01-31', 1::BIGINT, 10.0::DOUBLE, 5.5000::DECIMAL(18,4), TIMESTAMPTZ '2024-01-31 10:00:00+00'),
            ('2024-02-29', 2::BIGINT, 21.0::DOUBLE, 6.2500::DECIMAL(18,4), TIMESTAMPTZ '2024-02-29 10:00:00+00'),
            ('2024-13-45', 3::BIGINT, 30.0::DOUBLE, 7.0000::DECIMAL(18,4), TIMESTAMPTZ '2024-03-31 10:00:00+00'))
          t(day, id, qty, amount, posted)) TO '{}' (FORMAT PARQUET);",
        legacy.display(),
        new.display()
    ))
    .unwrap();
    let out = assay(
        tmp.path(),
        &[
            "compare",
            "--legacy",
            "legacy.parquet",
            "--new",
            "new.parquet",
            "--key",
            "day,id",
            "--measure",
            "amount",
            "--format",
            "json",
        ],
    );
    assert_ne!(out.status.code(), Some(3), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = &report["adhoc"]["rows"];
    // Day 1 agrees in every column; day 2 differs in qty only; the third's day does not
    // convert to a DATE, so its key is not legacy's: one row only legacy, one only new.
    assert_eq!(rows["matched"].as_i64(), Some(1), "{rows}");
    assert_eq!(rows["changed"].as_i64(), Some(1), "{rows}");
    assert_eq!(
        (rows["only_legacy"].as_i64(), rows["only_new"].as_i64()),
        (Some(1), Some(1)),
        "{rows}"
    );
    // The report says which type each drifted pair was compared in, keys included.
    let schema = report["adhoc"]["schema"].as_array().unwrap();
    let day = schema
        .iter()
        .find(|c| c["column"] == "day")
        .unwrap_or_else(|| panic!("{schema:?}"));
    assert_eq!(day["change"], "type_changed");
    assert_eq!(day["compared_as"], "DATE", "{day}");
    // Numbers of different widths are one family: not a schema change.
    assert!(!schema.iter().any(|c| c["column"] == "qty"), "{schema:?}");
}

/// A European legacy export — `;` delimiters, decimal commas, dd/mm/yyyy dates, latin-1 —
/// compared ad hoc with the new side's plain CSV. It was refused ("line 2: 2 fields, the
/// header has 1"): ad hoc mode had no format flags and the structure check assumed `,`.
/// Now the format is sniffed (and said), and flags set what sniffing cannot know.
#[test]
fn a_european_export_compares_ad_hoc() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("legacy.csv"),
        b"Nummer;Datum;Betrag;Filiale\nA-1;31/01/2024;1234,50;K\xf6ln\nA-2;02/02/2024;-7,05;Berlin\nA-3;15/03/2024;10,00;Bonn\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("new.csv"),
        "id,day,amount,branch\nA-1,2024-01-31,1234.50,Köln\nA-2,2024-02-02,-7.05,Berlin\nA-3,2024-03-15,10.10,Bonn\n",
    )
    .unwrap();
    let out = assay(
        tmp.path(),
        &[
            "compare",
            "--legacy",
            "legacy.csv",
            "--new",
            "new.csv",
            "--key",
            "id",
            "--measure",
            "amount",
            "--legacy-header-rename",
            "Nummer=id",
            "--legacy-header-rename",
            "Datum=day",
            "--legacy-header-rename",
            "Betrag=amount",
            "--legacy-header-rename",
            "Filiale=branch",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "out of tolerance by 0.10: {}",
        text(&out)
    );
    let note = stderr(&out);
    assert!(
        note.contains("delimiter ';'") && note.contains("decimal ','") && note.contains("%d/%m/%Y"),
        "what was assumed is said: {note}"
    );
    assert!(note.contains("encoding latin-1"), "{note}");
    let json = stdout(&out);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let r = &report["adhoc"];
    assert_eq!(r["rows"]["matched"].as_i64(), Some(2), "{}", r["rows"]);
    assert_eq!(r["rows"]["changed"].as_i64(), Some(1), "{}", r["rows"]);
    assert_eq!(
        money::raw(&json, path!["adhoc", "measures", 0, "delta"]),
        "0.10"
    );
    // The report says how each side was read.
    let sides = r["sides"].as_array().expect("sides[]");
    assert_eq!(sides[0]["side"], "legacy");
    assert_eq!(sides[0]["delimiter"], ";");
    assert_eq!(sides[0]["decimal"], ",");
    assert_eq!(sides[0]["date_format"], "%d/%m/%Y");
    assert_eq!(sides[0]["rename"]["Betrag"], "amount");
    assert_eq!(sides[1]["side"], "new");
    assert!(sides[1]["delimiter"].is_null(), "{}", sides[1]);
    // As docs/report.schema.json documents it.
    assert_eq!(
        json_schema::Schema::load().check("", &report),
        Vec::<String>::new()
    );
}

/// The same rows as CSV and as Parquet, in another order: sums were DOUBLE, so the two
/// totals differed in the last bits and a zero tolerance called them out of tolerance
/// (exit 1, delta -0.0000286 on 2.9M rows). Totals are now exact decimals: the delta is
/// exactly zero, and every total is printed and serialised with the file's two places.
#[test]
fn the_same_rows_in_another_order_sum_to_the_same_exact_total() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = 60_000i64;
    let cents = |i: i64| (i * 7919) % 100_003 - 50_000 + if i % 10 == 0 { 10 } else { 0 };
    let money = |c: i64| {
        let sign = if c < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
    };
    let mut csv = String::from("id,branch,amount\n");
    for i in 0..rows {
        csv.push_str(&format!("{i},b{},{}\n", i % 7, money(cents(i))));
    }
    std::fs::write(tmp.path().join("legacy.csv"), csv).unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM read_csv('{dir}/legacy.csv', types = {{'amount': 'DOUBLE'}}) \
         ORDER BY (id * 104729) % 60013 DESC) TO '{dir}/new.parquet' (FORMAT PARQUET)",
        dir = tmp.path().display()
    ))
    .unwrap();
    let float_gap: f64 = conn
        .query_row(
            &format!(
                "SELECT (SELECT sum(amount) FROM read_parquet('{dir}/new.parquet')) - \
                 (SELECT sum(CAST(amount AS DOUBLE)) FROM read_csv('{dir}/legacy.csv'))",
                dir = tmp.path().display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The data shows the defect: summed as floats, the two orders disagree.
    assert_ne!(float_gap, 0.0, "float sums of these rows differ by order");
    let out = assay(
        tmp.path(),
        &[
            "compare",
            "--legacy",
            "legacy.csv",
            "--new",
            "new.parquet",
            "--key",
            "id",
            "--measure",
            "amount",
            "--dimension",
            "branch",
            "--tolerance",
            "0",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "identical rows are within a zero tolerance (float sums differed by {float_gap}): {}",
        text(&out)
    );
    let total: i64 = (0..rows).map(cents).sum();
    let raw = stdout(&out);
    // The JSON numbers are written from the decimal text itself.
    assert!(
        raw.contains(&format!("\"legacy\": {}", money(total))),
        "the legacy total {} at two places: {raw:.600}",
        money(total)
    );
    assert!(raw.contains("\"delta\": 0.00"), "{raw:.600}");
    let report: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let breakdown = report["adhoc"]["breakdown"].as_array().unwrap();
    assert_eq!(breakdown.len(), 7);
    assert!(
        breakdown.iter().all(|b| b["delta"].as_f64() == Some(0.0)),
        "{breakdown:?}"
    );
    // The table prints the same exact figures.
    let table = assay(
        tmp.path(),
        &[
            "compare",
            "--legacy",
            "legacy.csv",
            "--new",
            "new.parquet",
            "--key",
            "id",
            "--measure",
            "amount",
            "--tolerance",
            "0",
        ],
    );
    assert!(stdout(&table).contains(&money(total)), "{}", stdout(&table));
}

/// CSV figures are typed as the first rows suggest while the structure check measures them
/// all: a value far down the file with a third place (or more digits) makes the side read
/// again at the type the whole file needs, never rounded to the guess.
#[test]
fn a_figure_past_the_first_rows_is_not_rounded_to_their_type() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = 150_000i64;
    let mut csv = String::from("id,amount,rate\n");
    for i in 0..rows {
        csv.push_str(&format!("{i},{}.{:02},0.5\n", i % 1000, i % 100));
    }
    // Past the rows a guess is made from: a third place, and a figure of twenty digits.
    csv.push_str(&format!("{rows},0.125,1234567890123456789.5\n"));
    std::fs::write(tmp.path().join("legacy.csv"), &csv).unwrap();
    std::fs::write(tmp.path().join("new.csv"), &csv).unwrap();
    let out = assay(
        tmp.path(),
        &[
            "compare",
            "--legacy",
            "legacy.csv",
            "--new",
            "new.csv",
            "--key",
            "id",
            "--measure",
            "amount,rate",
            "--tolerance",
            "0",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let raw = stdout(&out);
    let cents: i64 = (0..rows).map(|i| (i % 1000) * 100 + i % 100).sum();
    // Three places: the sum of the two-place values, and 0.125 exactly.
    let milli = cents * 10 + 125;
    let amount = format!("{}.{:03}", milli / 1000, milli % 1000);
    assert!(
        raw.contains(&format!("\"legacy\": {amount}")),
        "{amount}: {raw:.900}"
    );
    // 150,000 × 0.5 + 1234567890123456789.5 (too wide for the guess: the read fails, then
    // is done again as DECIMAL(38, 1)).
    let rate = format!("{}.5", 1234567890123456789u64 + (rows as u64) / 2);
    assert!(
        raw.contains(&format!("\"legacy\": {rate}")),
        "{rate}: {raw:.900}"
    );
}
