//! Explain against planted legacy rules: 300,000 generated sales lines, legacy derived from
//! them by one or two known rules, explained ad hoc through the real binary. Each planted
//! rule must be the top cause of its row class, name its column(s) and value(s), cover
//! ≥ 95 % of its amount, and nothing after the planted causes may exceed 2 % of the gap.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::{assay, text};
use serde_json::Value;

const ROWS: u64 = 300_000;

#[derive(Clone)]
struct Line {
    ticket: u64,
    item: u64,
    store: String,
    category: &'static str,
    country: &'static str,
    promo: &'static str,
    kind: &'static str,
    day: u32,
    amount: i64,
    tax: i64,
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn pick<T: Copy>(i: u64, salt: u64, of: &[T]) -> T {
    of[(mix(i * 16 + salt) % of.len() as u64) as usize]
}

fn base() -> Vec<Line> {
    (0..ROWS)
        .map(|i| {
            let amount = 100 + (mix(i * 16 + 7) % 50_000) as i64;
            let kind = if mix(i * 16 + 8).is_multiple_of(20) {
                "RETURN"
            } else {
                "SALE"
            };
            let amount = if kind == "RETURN" { -amount } else { amount };
            Line {
                ticket: i / 4,
                item: i % 4,
                store: format!("s{:02}", mix(i * 16 + 1) % 12),
                category: pick(i, 2, &["food", "drink", "home", "toys", "garden", "books"]),
                country: pick(i, 3, &["DE", "FR", "IT", "ES"]),
                promo: pick(i, 4, &["none", "spring", "summer"]),
                kind,
                day: (mix(i * 16 + 5) % 366) as u32,
                tax: (amount * 19 + 50).div_euclid(100),
                amount,
            }
        })
        .collect()
}

fn date(day: u32) -> String {
    let months = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut m, mut d) = (0, day);
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    format!("2024-{:02}-{:02}", m + 1, d + 1)
}

fn cents(c: i64) -> String {
    let sign = if c < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
}

fn write(path: &Path, lines: &[Line]) {
    let mut out = String::from("ticket,item,store,category,country,promo,kind,day,amount,tax\n");
    for l in lines {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            l.ticket,
            l.item,
            l.store,
            l.category,
            l.country,
            l.promo,
            l.kind,
            date(l.day),
            cents(l.amount),
            cents(l.tax)
        )
        .unwrap();
    }
    std::fs::write(path, out).unwrap();
}

fn total(lines: &[Line]) -> i64 {
    lines.iter().map(|l| l.amount).sum()
}

/// Explains new vs legacy ad hoc, with extra flags.
fn explain(dir: &Path, new: &[Line], legacy: &[Line], extra: &[&str]) -> Value {
    explain_written(dir, (new, legacy), extra, write)
}

/// The same with the files written by `write`.
fn explain_written(
    dir: &Path,
    (new, legacy): (&[Line], &[Line]),
    extra: &[&str],
    write: fn(&Path, &[Line]),
) -> Value {
    write(&dir.join("new.csv"), new);
    write(&dir.join("legacy.csv"), legacy);
    let mut args = explain_args(extra);
    args.extend_from_slice(&["--format", "json"]);
    let out = assay(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema = common::json_schema::Schema::load();
    assert_eq!(schema.check("explain", &v), Vec::<String>::new());
    v
}

/// `explain` of legacy.csv against new.csv on the sales lines' key and amount, with `extra`.
fn explain_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "explain",
        "--legacy",
        "legacy.csv",
        "--new",
        "new.csv",
        "--key",
        "ticket,item",
        "--measure",
        "amount",
    ];
    args.extend_from_slice(extra);
    args
}

/// The planted rule: the first cause of its class, naming `names`, ≥ 95 % of `amount`
/// (cents, new − legacy).
fn planted<'a>(v: &'a Value, class: &str, names: &[&str], amount: i64) -> &'a Value {
    let causes = v["causes"].as_array().unwrap();
    let cause = causes
        .iter()
        .find(|c| c["row_class"] == class)
        .unwrap_or_else(|| panic!("no {class} cause: {v:#}"));
    let predicate = cause["predicate"].as_str().unwrap();
    for n in names {
        assert!(predicate.contains(n), "{predicate} should name {n}: {v:#}");
    }
    let delta = cause["delta"].as_f64().unwrap();
    let covered = delta * 100.0 / amount as f64;
    assert!(covered >= 0.95, "covers {covered}: {v:#}");
    cause
}

/// Nothing but the first `planted` causes exceeds 2 % of the gap.
fn nothing_else_big(v: &Value, planted: usize) {
    for c in v["causes"].as_array().unwrap().iter().skip(planted) {
        assert!(c["share"].as_f64().unwrap().abs() <= 0.02, "{c:#} in {v:#}");
    }
}

fn delta_of(new: &[Line], legacy: &[Line]) -> i64 {
    total(new) - total(legacy)
}

#[test]
fn an_excluded_category_and_a_branch_net_of_tax_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let kept: Vec<Line> = new
        .iter()
        .filter(|l| l.category != "toys")
        .cloned()
        .collect();
    let toys = delta_of(&new, &kept);
    let mut legacy = kept.clone();
    // One branch's spring promotion (store s03 in Germany) booked net of tax: under 1 %
    // of the gap, and three columns to name.
    for l in legacy
        .iter_mut()
        .filter(|l| l.store == "s03" && l.country == "DE" && l.promo == "spring")
    {
        l.amount -= l.tax;
    }
    let net = delta_of(&kept, &legacy);
    assert!(
        net.abs() * 100 < toys.abs(),
        "the second rule is under 1 % of the gap"
    );
    let v = explain(tmp.path(), &new, &legacy, &[]);
    let excluded = planted(&v, "only_new", &["\"category\" = 'toys'"], toys);
    assert_eq!(excluded["rule"]["kind"], "exclude");
    let adjusted = planted(
        &v,
        "changed",
        &[
            "\"store\" = 's03'",
            "\"country\" = 'DE'",
            "\"promo\" = 'spring'",
        ],
        net,
    );
    assert_eq!(adjusted["rule"]["kind"], "adjust");
    assert_eq!(adjusted["pattern"]["kind"], "column_offset", "{adjusted:#}");
    assert_eq!(adjusted["rule"]["set"]["amount"], "\"amount\" - \"tax\"");
    assert!(adjusted["pattern"]["coverage"].as_f64().unwrap() > 0.95);
    nothing_else_big(&v, 2);
    let last = v["causes"].as_array().unwrap().last().unwrap();
    assert!(last["cumulative_share"].as_f64().unwrap() > 0.99, "{v:#}");
}

#[test]
fn an_exclusion_by_lookup_is_one_cause_not_a_dozen_stores() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let returned = |l: &Line| mix(l.ticket * 8 + l.item).is_multiple_of(25);
    let mut returns = String::from("ticket,item,reason\n");
    for l in new.iter().filter(|l| returned(l)) {
        writeln!(returns, "{},{},damaged", l.ticket, l.item).unwrap();
    }
    std::fs::write(tmp.path().join("returns.csv"), returns).unwrap();
    let legacy: Vec<Line> = new.iter().filter(|l| !returned(l)).cloned().collect();
    let gap = delta_of(&new, &legacy);
    // Without the lookup the rows are spread over every column: one spread cause.
    let v = explain(tmp.path(), &new, &legacy, &[]);
    let first = &v["causes"][0];
    assert_eq!(first["spread"], true, "{v:#}");
    assert!(first["description"]
        .as_str()
        .unwrap()
        .contains("spread evenly"));
    assert!(first["rule"].is_null());
    nothing_else_big(&v, 1);
    // With it, the lookup names the rule.
    let v = explain(tmp.path(), &new, &legacy, &["--lookup", "returns.csv"]);
    let cause = planted(
        &v,
        "only_new",
        &["(\"ticket\", \"item\") IN (SELECT \"ticket\", \"item\" FROM lookups.returns)"],
        gap,
    );
    assert_eq!(cause["dimension"], "in returns.csv");
    assert_eq!(cause["rule"]["kind"], "exclude");
    nothing_else_big(&v, 1);
}

#[test]
fn rounding_for_one_country_and_returns_with_the_opposite_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let mut rounded = new.clone();
    for l in rounded.iter_mut().filter(|l| l.country == "IT") {
        l.amount = (l.amount as f64 / 100.0).round() as i64 * 100;
    }
    let v = explain(tmp.path(), &new, &rounded, &[]);
    let cause = planted(
        &v,
        "changed",
        &["\"country\" = 'IT'"],
        delta_of(&new, &rounded),
    );
    assert_eq!(cause["pattern"]["kind"], "rounding", "{cause:#}");
    assert_eq!(cause["rule"]["set"]["amount"], "round(\"amount\", 0)");
    nothing_else_big(&v, 1);

    let mut flipped = new.clone();
    for l in flipped.iter_mut().filter(|l| l.kind == "RETURN") {
        l.amount = -l.amount;
    }
    let v = explain(tmp.path(), &new, &flipped, &[]);
    let cause = planted(
        &v,
        "changed",
        &["\"kind\" = 'RETURN'"],
        delta_of(&new, &flipped),
    );
    assert_eq!(cause["pattern"]["kind"], "sign_flip", "{cause:#}");
    nothing_else_big(&v, 1);
}

#[test]
fn fan_out_duplicates_are_a_dedupe_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let legacy = base();
    let mut new = legacy.clone();
    // A product dimension with a duplicate entry: every books line of store s07 twice.
    let doubled: Vec<Line> = legacy
        .iter()
        .filter(|l| l.category == "books" && l.store == "s07")
        .cloned()
        .collect();
    new.extend(doubled);
    let v = explain(tmp.path(), &new, &legacy, &[]);
    let cause = planted(
        &v,
        "only_new",
        &["row_number() OVER"],
        delta_of(&new, &legacy),
    );
    assert_eq!(cause["rule"]["kind"], "dedupe", "{cause:#}");
    nothing_else_big(&v, 1);
}

#[test]
fn month_end_postings_moved_to_the_next_day_are_a_shift_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let ends = [30, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let mut legacy = new.clone();
    let mut moved = 0;
    for l in legacy.iter_mut().filter(|l| ends.contains(&l.day)) {
        l.day += 1;
        moved += 1;
    }
    let v = explain(tmp.path(), &new, &legacy, &[]);
    let cause = &v["causes"][0];
    assert_eq!(cause["row_class"], "changed", "{v:#}");
    assert_eq!(cause["rows"], moved);
    assert_eq!(cause["pattern"]["kind"], "date_shift", "{cause:#}");
    assert_eq!(cause["rule"]["kind"], "shift");
    assert_eq!(cause["rule"]["predicate"], "\"day\" = last_day(\"day\")");
    assert_eq!(cause["rule"]["set"]["day"], "\"day\" + INTERVAL (1) DAY");
    assert_eq!(v["causes"].as_array().unwrap().len(), 1, "{v:#}");
}

/// `[comparisons.NAME.explain] lookups`: on the demo, invoices of the last three days (a
/// table of the workspace) name the legacy cut-off better than their month does, since
/// half of that month's rows are not in it; a lookup that is not there is named by its
/// setting.
#[test]
fn a_configured_lookup_names_the_late_postings() {
    let (_tmp, ws) = common::built_demo("20000", "5");
    let late = "CREATE TABLE bronze.late AS SELECT company, invoice_id FROM gold.fct_sales \
                WHERE invoice_date >= DATE '2024-12-29'";
    let out = assay(&ws, &["sql", late]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let config = ws.join("assay.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    let with = |table: &str| {
        original.replacen(
            "[comparisons.revenue]\n",
            &format!("[comparisons.revenue]\nexplain = {{ lookups = [\"{table}\"] }}\n"),
            1,
        )
    };
    std::fs::write(&config, with("bronze.late")).unwrap();
    let out = assay(&ws, &["explain", "revenue", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let third = &v["causes"][2];
    assert_eq!(third["dimension"], "in bronze.late", "{v:#}");
    assert_eq!(third["value"], "true");
    assert_eq!(third["rule"]["kind"], "exclude");
    assert!(third["cumulative_share"].as_f64().unwrap() > 0.99, "{v:#}");

    std::fs::write(&config, with("bronze.nope")).unwrap();
    let out = assay(&ws, &["explain", "revenue"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("comparisons.revenue.explain.lookups") && said.contains("bronze.nope"),
        "{said}"
    );
}

/// A region id from 1 to 7, the line's own.
fn region(l: &Line) -> u64 {
    1 + mix(l.ticket * 8 + l.item + 3) % 7
}

/// The lines with a region id (an integer code column) and fewer other columns.
fn write_coded(path: &Path, lines: &[Line]) {
    let mut out = String::from("ticket,item,region_id,category,kind,day,amount\n");
    for l in lines {
        let (day, amount) = (date(l.day), cents(l.amount));
        let (t, i, r, c, k) = (l.ticket, l.item, region(l), l.category, l.kind);
        writeln!(out, "{t},{i},{r},{c},{k},{day},{amount}").unwrap();
    }
    std::fs::write(path, out).unwrap();
}

/// #32: an integer code column (a region id with seven values) excluded by legacy is the
/// first cause, named by number (`"region_id" = 3`), not a cause spread over everything.
#[test]
fn an_excluded_region_code_is_named_by_its_number() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let legacy: Vec<Line> = new.iter().filter(|l| region(l) != 3).cloned().collect();
    let gap = delta_of(&new, &legacy);
    let v = explain_written(tmp.path(), (&new, &legacy), &[], write_coded);
    let cause = planted(&v, "only_new", &["\"region_id\" = 3"], gap);
    assert_eq!(cause["rule"]["kind"], "exclude");
    assert!(
        !cause["predicate"].as_str().unwrap().contains("'3'"),
        "{cause:#}"
    );
    nothing_else_big(&v, 1);
}

/// #32: a currency factor on one category (legacy = round(new × 0.85, 2)) is the first
/// changed cause, stated as that expression, exactly: it was tested as new / 1.1765 and
/// reported as "no common form".
#[test]
fn a_factor_on_one_category_is_stated_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let mut legacy = new.clone();
    for l in legacy.iter_mut().filter(|l| l.category == "books") {
        // Cents × 0.85, rounded half away from zero as DuckDB and ClickHouse round decimals.
        l.amount = l.amount.signum() * ((l.amount.abs() * 85 + 50) / 100);
    }
    let gap = delta_of(&new, &legacy);
    let v = explain(tmp.path(), &new, &legacy, &[]);
    let cause = planted(&v, "changed", &["\"category\" = 'books'"], gap);
    assert_eq!(cause["pattern"]["kind"], "ratio", "{cause:#}");
    assert_eq!(cause["rule"]["kind"], "adjust");
    assert_eq!(
        cause["rule"]["set"]["amount"],
        "round(\"amount\" * 0.85, 2)"
    );
    assert_eq!(
        cause["pattern"]["coverage"].as_f64(),
        Some(1.0),
        "{cause:#}"
    );
    nothing_else_big(&v, 1);
}

/// #32: legacy closed the period on 28 December (postings from the 29th left out) and left
/// out one category all year. The close is the second exclusion, stated as the day
/// (`"day" >= '2024-12-29'`), not as the month of December, whose other days agree; the
/// category's December rows, taken by the first rule, do not blur it.
#[test]
fn a_period_close_is_stated_as_its_day() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let close = |l: &Line| date(l.day).as_str() >= "2024-12-29";
    let kept: Vec<Line> = new
        .iter()
        .filter(|l| l.category != "toys")
        .cloned()
        .collect();
    let legacy: Vec<Line> = kept.iter().filter(|l| !close(l)).cloned().collect();
    let (toys, late) = (delta_of(&new, &kept), delta_of(&kept, &legacy));
    let v = explain(tmp.path(), &new, &legacy, &[]);
    planted(&v, "only_new", &["\"category\" = 'toys'"], toys);
    let causes = v["causes"].as_array().unwrap();
    let second = &causes[1];
    assert_eq!(second["row_class"], "only_new", "{v:#}");
    assert_eq!(second["predicate"], "\"day\" >= '2024-12-29'", "{v:#}");
    assert_eq!(second["rule"]["kind"], "exclude");
    assert_eq!(second["rule"]["predicate"], "\"day\" >= '2024-12-29'");
    assert_eq!(second["purity"].as_f64(), Some(1.0), "{second:#}");
    let covered = second["delta"].as_f64().unwrap() * 100.0 / late as f64;
    assert!(covered >= 0.95, "covers {covered}: {v:#}");
    nothing_else_big(&v, 2);
}

/// #32: legacy left out the tickets of a blocklist whose column is named otherwise
/// (`receipt_no`, not `ticket`). `--on ticket=receipt_no` matches them; the rule names the
/// lookup as a table rules can read in any later process (`lookups.blocklist`), never the
/// run's scratch file.
#[test]
fn a_blocklist_with_its_own_column_name_is_one_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let blocked = |l: &Line| mix(l.ticket * 5 + 1).is_multiple_of(23);
    let mut list = String::from("receipt_no,reason\n");
    let mut seen = std::collections::BTreeSet::new();
    for l in new.iter().filter(|l| blocked(l)) {
        if seen.insert(l.ticket) {
            writeln!(list, "{},fraud", l.ticket).unwrap();
        }
    }
    std::fs::write(tmp.path().join("blocklist.csv"), list).unwrap();
    let legacy: Vec<Line> = new.iter().filter(|l| !blocked(l)).cloned().collect();
    let gap = delta_of(&new, &legacy);
    let on = ["--lookup", "blocklist.csv", "--on", "ticket=receipt_no"];
    let v = explain(tmp.path(), &new, &legacy, &on);
    let cause = planted(&v, "only_new", &["lookups.blocklist"], gap);
    assert_eq!(
        cause["predicate"], "\"ticket\" IN (SELECT \"receipt_no\" FROM lookups.blocklist)",
        "{cause:#}"
    );
    assert_eq!(cause["dimension"], "in blocklist.csv");
    assert_eq!(cause["rule"]["kind"], "exclude");
    assert!(!v.to_string().contains("parquet"), "{v:#}");
    nothing_else_big(&v, 1);
    // A column the lookup does not have is named with the lookup.
    let wrong = ["--lookup", "blocklist.csv", "--on", "ticket=receipt"];
    let bad = assay(tmp.path(), &explain_args(&wrong));
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        text(&bad).contains("blocklist.csv") && text(&bad).contains("receipt"),
        "{}",
        text(&bad)
    );
}

/// #32: a currency factor on one region code (legacy = round(new × 0.85, 2) where
/// `region_id` = 5): the code names the rows by number and the factor is stated exactly.
#[test]
fn a_factor_on_one_region_code_is_stated_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let new = base();
    let mut legacy = new.clone();
    for l in legacy.iter_mut().filter(|l| region(l) == 5) {
        l.amount = l.amount.signum() * ((l.amount.abs() * 85 + 50) / 100);
    }
    let gap = delta_of(&new, &legacy);
    let v = explain_written(tmp.path(), (&new, &legacy), &[], write_coded);
    let cause = planted(&v, "changed", &["\"region_id\" = 5"], gap);
    assert_eq!(cause["predicate"], "\"region_id\" = 5", "{cause:#}");
    assert_eq!(
        cause["rule"]["set"]["amount"], "round(\"amount\" * 0.85, 2)",
        "{cause:#}"
    );
    assert_eq!(cause["pattern"]["coverage"].as_f64(), Some(1.0));
    nothing_else_big(&v, 1);
}
