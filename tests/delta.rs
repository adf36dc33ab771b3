//! Delta Lake tables as a source, as a legacy side and as ad hoc sides, written by delta-rs
//! (PyPI `deltalake`, in the venv scripts/test.sh makes; `tests/delta/write_tables.py`):
//! deletes in a later version, column mapping, partition values that live only in the log,
//! an added column, time travel by version and by time. A table with a deletion vector comes
//! from delta-kernel-rs's test data (written by Databricks; `tests/data/delta`).

mod common;

use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The Python with `deltalake`: `ASSAY_DELTA_PYTHON` (scripts/test.sh sets it), else the venv
/// it makes.
fn python() -> PathBuf {
    installed("ASSAY_DELTA_PYTHON", ".cache/assay-delta/bin/python")
}

/// Runs the writer; what it wrote (table → version → company → rows, amount).
fn write(mode: &str, lake: &Path) -> Value {
    let out = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/delta/write_tables.py"))
        .args([mode, &lake.to_string_lossy()])
        .output()
        .expect("python with deltalake (scripts/test.sh installs it)");
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// A workspace with companies acme and beta and a Delta source over `lake/`.
fn workspace(entity: &str) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let written = write("base", &lake);
    let config = format!(
        "[workspace]\nparallelism = 2\n\n[companies.acme]\nname = \"Acme\"\n\n\
         [companies.beta]\nname = \"Beta\"\n\n[sources.lake]\nkind = \"delta\"\nroot = \"lake\"\n\n\
         [entities.invoices]\nsource = \"lake\"\nkeys = [\"id\"]\n{entity}\n"
    );
    std::fs::write(dir.path().join("assay.toml"), config).unwrap();
    (dir, written)
}

/// `assay extract --all ARGS…`, which must succeed; what it printed.
fn extract(ws: &Path, args: &[&str]) -> String {
    let mut all = vec!["extract", "--all"];
    all.extend_from_slice(args);
    let out = assay(ws, &all);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    text(&out)
}

/// Bronze's rows and exact amount per company, as `company,rows,amount` lines.
fn bronze(ws: &Path) -> String {
    sql_csv(
        ws,
        "SELECT _company, count(*), sum(amount)::VARCHAR FROM bronze.invoices GROUP BY 1 ORDER BY 1",
    )
}

/// The same from what the writer wrote, for `version` of `table` (per company).
fn expected(written: &Value, tables: &[(&str, &str)]) -> String {
    let mut lines = vec!["_company,count_star(),CAST(sum(amount) AS VARCHAR)".to_string()];
    for (table, version) in tables {
        let per = written[table][version].as_object().unwrap();
        for (company, s) in per {
            lines.push(format!(
                "{company},{},{}",
                s["rows"],
                s["amount"].as_str().unwrap()
            ));
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn per_company_tables_read_their_latest_version_exactly() {
    let (dir, written) = workspace("table = \"invoices_{company}\"");
    let ws = dir.path();
    extract(ws, &[]);
    assert_eq!(
        bronze(ws),
        expected(&written, &[("invoices_acme", "1"), ("invoices_beta", "1")])
    );
    // The folder read as Parquet would bring the deleted rows back (the old files stay).
    let glob = sql_csv(
        ws,
        "SELECT count(*) FROM read_parquet('lake/invoices_acme/*.parquet')",
    );
    assert_eq!(glob.lines().nth(1), Some("10"), "{glob}");
    // Types as the table declares them, exact.
    let types = sql_csv(
        ws,
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'bronze' AND table_name = 'invoices' AND column_name NOT LIKE '\\_%' ESCAPE '\\' \
         ORDER BY ordinal_position",
    );
    for want in [
        "id,BIGINT",
        "amount,\"DECIMAL(18,2)\"",
        "sold_on,DATE",
        "stamped,TIMESTAMP WITH TIME ZONE",
        "note,VARCHAR",
        "paid,BOOLEAN",
    ] {
        assert!(types.contains(want), "{want} in {types}");
    }
    // The run says which version it read.
    let runs = sql_csv(
        ws,
        "SELECT company, source FROM assay.runs WHERE kind = 'extract' ORDER BY company",
    );
    assert!(runs.contains("invoices_acme version 1"), "{runs}");
    let note = sql_csv(
        ws,
        "SELECT note FROM bronze.invoices WHERE _company = 'acme' AND id = 3",
    );
    assert_eq!(note, "note\n\"n3, \"\"q\"\"\"\n");
}

#[test]
fn an_unchanged_version_is_not_read_again_and_an_added_column_is_drift() {
    let (dir, written) = workspace("table = \"invoices_{company}\"");
    let ws = dir.path();
    extract(ws, &[]);
    let again = json_of(ws, &["extract", "--all", "--format", "json"]);
    let text_again = again.to_string();
    assert!(text_again.contains("\"unchanged\":true"), "{text_again}");
    let evolved = write("evolve", &ws.join("lake"));
    let said = extract(ws, &[]);
    assert!(
        said.contains("new column `channel` (VARCHAR) added to bronze"),
        "{said}"
    );
    let mut both = written.clone();
    both["invoices_acme"]["2"] = evolved["invoices_acme"]["2"].clone();
    assert_eq!(
        bronze(ws),
        expected(&both, &[("invoices_acme", "2"), ("invoices_beta", "1")])
    );
    let channels = sql_csv(
        ws,
        "SELECT count(channel) FROM bronze.invoices WHERE _company = 'acme'",
    );
    assert_eq!(channels.lines().nth(1), Some("2"), "{channels}");
}

#[test]
fn time_travel_by_version_and_by_time() {
    let (dir, written) = workspace("table = \"invoices_{company}\"\nversion = 0");
    let ws = dir.path();
    extract(ws, &[]);
    let v0 = expected(&written, &[("invoices_acme", "0"), ("invoices_beta", "0")]);
    assert_eq!(bronze(ws), v0);
    // Commits are dated 2026-01-01 (0) and 2026-02-01 (1) by the writer script.
    let config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    let by_time = config.replace("version = 0", "timestamp = \"2026-01-15\"");
    std::fs::write(ws.join("assay.toml"), by_time).unwrap();
    extract(ws, &["--full-refresh"]);
    assert_eq!(bronze(ws), v0);
    let late = config.replace("version = 0", "timestamp = \"2026-02-02 00:00:00\"");
    std::fs::write(ws.join("assay.toml"), late).unwrap();
    extract(ws, &[]);
    assert_eq!(
        bronze(ws),
        expected(&written, &[("invoices_acme", "1"), ("invoices_beta", "1")])
    );
    let missing = config.replace("version = 0", "version = 9");
    std::fs::write(ws.join("assay.toml"), missing).unwrap();
    let out = assay(ws, &["extract", "--all"]);
    failed_saying(&out, "entities.invoices.version: the table");
    assert!(
        text(&out).contains("has no version 9; its latest is 1"),
        "{}",
        text(&out)
    );
    let early = config.replace("version = 0", "timestamp = \"2025-06-01\"");
    std::fs::write(ws.join("assay.toml"), early).unwrap();
    failed_saying(
        &assay(ws, &["extract", "--all"]),
        "entities.invoices.timestamp: no version of the table was committed by then",
    );
}

#[test]
fn one_table_of_every_company_with_column_mapping_and_partitions() {
    let (dir, written) = workspace("table = \"all_invoices\"\ncompany_column = \"company\"");
    let ws = dir.path();
    // Column mapping: the Parquet files' columns are named `col-…`, and the partition
    // folders are random prefixes; only the log says which column and company is which.
    extract(ws, &[]);
    assert_eq!(bronze(ws), expected(&written, &[("all_invoices", "1")]));
    let companies = sql_csv(
        ws,
        "SELECT count(*) FROM bronze.invoices WHERE company IS DISTINCT FROM _company",
    );
    assert_eq!(companies.lines().nth(1), Some("0"), "{companies}");
    let config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    std::fs::write(
        ws.join("assay.toml"),
        config.replace("company_column = \"company\"", "company_column = \"firm\""),
    )
    .unwrap();
    let out = assay(ws, &["extract", "--all"]);
    failed_saying(&out, "entities.invoices.company_column: the Delta table");
    assert!(
        text(&out).contains("has no column `firm`"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_delta_legacy_side_compares_with_its_latest_version() {
    let (dir, written) = workspace("table = \"all_invoices\"\ncompany_column = \"company\"");
    let ws = dir.path();
    let mut config = std::fs::read_to_string(ws.join("assay.toml")).unwrap();
    config.push_str(
        "\n[legacy.sales]\nsource = \"lake\"\ntable = \"all_invoices\"\ncompany_column = \"company\"\n\n\
         [comparisons.sales]\nlegacy = \"sales\"\ntable = \"bronze.invoices\"\nkeys = [\"id\"]\nmeasures = [\"amount\"]\n",
    );
    std::fs::write(ws.join("assay.toml"), config).unwrap();
    extract(ws, &[]);
    let out = assay(ws, &["compare", "sales", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json = stdout(&out);
    let total = written["all_invoices_total"]["1"].as_str().unwrap();
    assert_eq!(
        common::money::amount(&json, path!["sales", "measures", 0, "legacy"]),
        common::money::exact(total)
    );
    let report: Value = serde_json::from_str(&json).unwrap();
    let sales = &report["sales"];
    assert_eq!(sales["rows"]["only_legacy"], 0, "{sales}");
    assert_eq!(sales["rows"]["matched"], 8, "{sales}");
}

#[test]
fn ad_hoc_sides_by_folder_with_versions_and_deletion_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let written = write("base", &lake);
    let d = dir.path();
    // Version 0 against the latest: the deleted rows are the only-legacy ones.
    let args = [
        "compare",
        "--legacy",
        "lake/invoices_acme",
        "--legacy-version",
        "0",
        "--new",
        "lake/invoices_acme",
        "--key",
        "id",
        "--measure",
        "amount",
        "--format",
        "json",
    ];
    let report = adhoc_report(d, &args);
    assert_eq!(report["rows"]["only_legacy"], 2, "{report}");
    assert_eq!(report["rows"]["matched"], 4, "{report}");
    // The totals exactly, from the JSON text (a parsed f64 would round them).
    let out = assay(d, &args);
    let json = stdout(&out);
    let all: Value = serde_json::from_str(&json).unwrap();
    let name = all.as_object().unwrap().keys().next().unwrap().clone();
    for (side, version) in [("legacy", "0"), ("new", "1")] {
        let want = written["invoices_acme"][version]["acme"]["amount"]
            .as_str()
            .unwrap();
        assert_eq!(
            common::money::amount(&json, path![name.as_str(), "measures", 0, side]),
            common::money::exact(want),
            "{side}: {json}"
        );
    }
    // A deletion vector (Databricks, values 0 and 9 deleted) hides rows in a file that stays.
    let dv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/delta/table-with-dv-small");
    std::fs::write(d.join("values.csv"), "value\n1\n2\n3\n4\n5\n6\n7\n8\n").unwrap();
    let dv_arg = dv.to_string_lossy().to_string();
    let report = adhoc_report(
        d,
        &[
            "compare",
            "--legacy",
            &dv_arg,
            "--new",
            "values.csv",
            "--key",
            "value",
            "--format",
            "json",
        ],
    );
    assert_eq!(report["rows"]["matched"], 8, "{report}");
    assert_eq!(report["rows"]["only_legacy"], 0, "{report}");
    let report = adhoc_report(
        d,
        &[
            "compare",
            "--legacy",
            &dv_arg,
            "--legacy-version",
            "0",
            "--new",
            "values.csv",
            "--key",
            "value",
            "--format",
            "json",
        ],
    );
    assert_eq!(report["rows"]["only_legacy"], 2, "{report}");
    // A reader feature the kernel does not know is refused, naming it.
    let odd = d.join("odd");
    std::fs::create_dir_all(odd.join("_delta_log")).unwrap();
    for entry in std::fs::read_dir(&dv)
        .unwrap()
        .chain(std::fs::read_dir(dv.join("_delta_log")).unwrap())
    {
        let from = entry.unwrap().path();
        if from.is_file() {
            let to = odd.join(from.strip_prefix(&dv).unwrap());
            let body = std::fs::read_to_string(&from).unwrap_or_default();
            if from.extension().is_some_and(|e| e == "json") {
                let body = body.replace(
                    "[\"deletionVectors\"]",
                    "[\"deletionVectors\",\"madeUpFeature\"]",
                );
                std::fs::write(&to, body).unwrap();
            } else {
                std::fs::copy(&from, &to).unwrap();
            }
        }
    }
    let out = assay(
        d,
        &[
            "compare",
            "--legacy",
            "odd",
            "--new",
            "values.csv",
            "--key",
            "value",
        ],
    );
    failed_saying(&out, "--legacy: cannot read the Delta table");
    assert!(
        text(&out).contains("Feature 'madeUpFeature' is not supported"),
        "{}",
        text(&out)
    );
    // Bad input names the flag.
    std::fs::create_dir(d.join("plain")).unwrap();
    std::fs::write(d.join("plain/a.csv"), "value\n1\n").unwrap();
    let out = assay(
        d,
        &[
            "compare",
            "--legacy",
            "plain",
            "--legacy-version",
            "1",
            "--new",
            "values.csv",
            "--key",
            "value",
        ],
    );
    failed_saying(&out, "--legacy-version: plain is not a Delta table");
    let out = assay(
        d,
        &[
            "compare",
            "--legacy",
            "lake/invoices_acme",
            "--legacy-version",
            "7",
            "--new",
            "values.csv",
            "--key",
            "id",
        ],
    );
    failed_saying(&out, "--legacy-version: the table");
    assert!(
        text(&out).contains("has no version 7; its latest is 1"),
        "{}",
        text(&out)
    );
}

#[test]
fn validate_names_the_delta_settings() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[companies.acme]\nname = \"Acme\"\n\n[sources.lake]\nkind = \"delta\"\nroot = \"lake\"\n\n\
        [sources.files]\nkind = \"files\"\n\n\
        [entities.no_table]\nsource = \"lake\"\n\n\
        [entities.shared]\nsource = \"lake\"\ntable = \"all\"\n\n\
        [entities.both]\nsource = \"lake\"\ntable = \"t_{company}\"\nversion = 1\ntimestamp = \"2026-01-01\"\n\n\
        [entities.bad_time]\nsource = \"lake\"\ntable = \"t_{company}\"\ntimestamp = \"last week\"\n\n\
        [entities.with_query]\nsource = \"lake\"\ntable = \"t_{company}\"\nquery = \"SELECT 1\"\n\n\
        [entities.stray]\nsource = \"files\"\nfiles = \"*.csv\"\nversion = 2\n";
    std::fs::write(dir.path().join("assay.toml"), config).unwrap();
    let out = assay(dir.path(), &["validate"]);
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    for want in [
        "`entities.no_table`: a delta source needs `table`",
        "`entities.shared.company_column`: is needed",
        "`entities.both.timestamp`: give `version` or `timestamp`, not both",
        "`entities.bad_time.timestamp`: `last week` is not a time",
        "`entities.with_query.query`: a delta source reads its `table` folder",
        "`entities.stray.version`: is read by delta sources only",
    ] {
        assert!(all.contains(want), "{want}\n{all}");
    }
    // A folder that is not a table, at extraction.
    let ok = "[companies.acme]\nname = \"Acme\"\n\n[sources.lake]\nkind = \"delta\"\nroot = \"lake\"\n\n\
        [entities.invoices]\nsource = \"lake\"\ntable = \"t_{company}\"\n";
    std::fs::write(dir.path().join("assay.toml"), ok).unwrap();
    std::fs::create_dir_all(dir.path().join("lake/t_acme")).unwrap();
    failed_saying(
        &assay(dir.path(), &["extract", "--all"]),
        "entities.invoices.table: ",
    );
    assert!(text(&assay(dir.path(), &["extract", "--all"]))
        .contains("is not a Delta table (it has no _delta_log folder)"));
}
