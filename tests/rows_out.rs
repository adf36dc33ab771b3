//! `compare --rows-out FILE`: every changed and one-sided row, written whole, with exact
//! values; bad targets named before any work.

mod common;

use common::*;

#[test]
fn every_differing_row_is_written_as_parquet_and_csv() {
    let (_dir, ws) = built_demo("3000", "21");
    let report = json_of(&ws, &["compare", "revenue", "--format", "json"]);
    let rows = &report["revenue"]["rows"];
    let count = |c: &str| rows[c].as_i64().unwrap();
    for file in ["rows.parquet", "rows.csv"] {
        let out = assay(&ws, &["compare", "revenue", "--rows-out", file]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
        assert!(
            stderr(&out).contains("rows that differ written"),
            "{}",
            text(&out)
        );
        let path = ws.join(file).display().to_string();
        let reader = match file.ends_with("csv") {
            true => format!("read_csv('{path}', all_varchar = true)"),
            false => format!("read_parquet('{path}')"),
        };
        let by_class = sql_csv(
            &ws,
            &format!("SELECT class, count(*) AS n FROM {reader} GROUP BY 1 ORDER BY 1"),
        );
        for class in ["changed", "only_legacy", "only_new"] {
            let n = count(class);
            let line = format!("{class},{n}");
            assert!(
                n == 0 || by_class.contains(&line),
                "{file}: {line} in {by_class}"
            );
        }
        // The changed rows name what differs, and amounts keep their cents.
        let changed = sql_csv(
            &ws,
            &format!("SELECT CAST(net_amount_legacy AS VARCHAR) AS a, CAST(differs AS VARCHAR) AS d FROM {reader} WHERE class = 'changed'"),
        );
        if count("changed") > 0 {
            assert!(changed.contains("net_amount"), "{changed}");
            let amount = changed.lines().nth(1).unwrap().split(',').next().unwrap();
            assert!(
                amount.contains('.') && amount.split('.').nth(1).unwrap().len() == 2,
                "{changed}"
            );
        }
    }
    // Nothing half-written is left beside them.
    let leftovers: Vec<_> = std::fs::read_dir(&ws)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bad_targets_are_named_before_any_work() {
    let (_dir, ws) = demo_files("500");
    let out = assay(
        &ws,
        &[
            "compare",
            "revenue",
            "--rows-out",
            "no/such/folder/rows.csv",
        ],
    );
    exited_saying(&out, 2, "the folder no/such/folder does not exist");
    let out = assay(&ws, &["compare", "revenue", "--rows-out", "rows.txt"]);
    exited_saying(&out, 2, "name a .parquet or .csv file");
    // Two comparisons: the rows of which?
    let config = ws.join("assay.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let second = toml.replace("[comparisons.revenue]", "[comparisons.revenue_again]");
    let second = &second[second.find("[comparisons.revenue_again]").unwrap()..];
    std::fs::write(&config, format!("{toml}\n{second}")).unwrap();
    let out = assay(&ws, &["compare", "--rows-out", "rows.csv"]);
    exited_saying(&out, 2, "takes one comparison");
}
