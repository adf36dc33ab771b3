//! The config as a user meets it: the documented example, and each kind of mistake with
//! the message and line it must produce.

use std::path::Path;

use assay_engine::config::{check, Config, CONFIG_FILE};
use assay_engine::error::ConfigIssue;

fn workspace_with(text: &str) -> (tempfile::TempDir, Option<Config>, Vec<ConfigIssue>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("models/gold")).unwrap();
    std::fs::write(dir.path().join("models/gold/fct_sales.sql"), "SELECT 1").unwrap();
    std::fs::write(dir.path().join(CONFIG_FILE), text).unwrap();
    let (config, issues) = check(&dir.path().join(CONFIG_FILE), text, dir.path());
    (dir, config, issues)
}

fn example() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
        .unwrap()
}

#[test]
fn the_documented_example_is_valid_and_complete() {
    let (_dir, config, issues) = workspace_with(&example());
    assert!(issues.is_empty(), "{issues:#?}");
    let c = config.unwrap();
    assert_eq!(c.companies.len(), 2);
    assert_eq!(
        c.entities["invoices"].overrides["acme"].rename["customerId"],
        "customer_id"
    );
    assert_eq!(
        c.legacy["sales"].hints_for("lumen").decimal.as_deref(),
        Some(",")
    );
    assert_eq!(
        c.legacy["sales"].hints_for("acme").decimal.as_deref(),
        Some(".")
    );
    assert_eq!(
        c.comparisons["revenue"].tolerance.relative.to_string(),
        "0.0005"
    );
    assert_eq!(c.freshness.error_after.unwrap().seconds, 3 * 86_400);
}

/// Every key the config types know appears in the example, so the example documents them all.
#[test]
fn the_example_mentions_every_key() {
    let text = example();
    let serialised = toml::to_string(&toml::from_str::<Config>(&text).unwrap()).unwrap();
    let value: toml::Value = toml::from_str(&serialised).unwrap();
    let mut keys = Vec::new();
    collect_keys(&value, &mut keys);
    for key in keys {
        let documented = [
            format!("{key} ="),
            format!("\"{key}\" ="),
            format!(".{key}]"),
            // A key with a dot in it (a model's `layer.name`) is quoted.
            format!(".\"{key}\"]"),
            format!("[{key}]"),
            format!("[{key}."),
            format!(".{key}."),
        ]
        .iter()
        .any(|form| text.contains(form.as_str()));
        assert!(documented, "config.example.toml does not document `{key}`");
    }
}

fn collect_keys(v: &toml::Value, out: &mut Vec<String>) {
    if let toml::Value::Table(t) = v {
        for (k, inner) in t {
            out.push(k.clone());
            collect_keys(inner, out);
        }
    }
}

fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "example lacks `{from}`");
    text.replacen(from, to, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn an_unknown_key_names_its_path_and_line() {
    let text = replace(&example(), "decimal = \".\"", "decimel = \".\"");
    let (_d, _c, issues) = workspace_with(&text);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].key, "legacy.sales.format.decimel");
    assert_eq!(issues[0].line, line_of(&text, "decimel"));
    assert!(issues[0].message.contains("unknown field `decimel`"));
}

#[test]
fn a_wrong_type_names_its_path_and_line() {
    let text = replace(&example(), "parallelism = 4", "parallelism = \"four\"");
    let (_d, _c, issues) = workspace_with(&text);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].key, "workspace.parallelism");
    assert_eq!(issues[0].line, line_of(&text, "parallelism"));
}

#[test]
fn dangling_references_are_all_reported() {
    let mut text = replace(&example(), "legacy = \"sales\"", "legacy = \"salez\"");
    text = replace(
        &text,
        "table = \"gold.fct_sales\"",
        "table = \"gold.fct_revenue\"",
    );
    text = replace(
        &text,
        "companies = [\"acme\", \"lumen\"]",
        "companies = [\"acme\", \"zenith\"]",
    );
    text = replace(&text, "source = \"crm\"", "source = \"crn\"");
    text = replace(
        &text,
        "[legacy.sales.overrides.lumen]",
        "[legacy.sales.overrides.lumens]",
    );
    let (_d, _c, issues) = workspace_with(&text);
    let found: Vec<(String, usize)> = issues.iter().map(|i| (i.key.clone(), i.line)).collect();
    assert_eq!(
        found,
        vec![
            (
                "entities.customers.source".to_string(),
                line_of(&text, "source = \"crn\"")
            ),
            (
                "legacy.sales.overrides.lumens".to_string(),
                line_of(&text, "overrides.lumens")
            ),
            (
                "comparisons.revenue.legacy".to_string(),
                line_of(&text, "salez")
            ),
            (
                "comparisons.revenue.table".to_string(),
                line_of(&text, "fct_revenue")
            ),
            (
                "comparisons.revenue.companies".to_string(),
                line_of(&text, "zenith")
            ),
        ],
        "{issues:#?}"
    );
    assert!(issues[0]
        .message
        .contains("unknown source `crn`; known: crm, erp_db, erp_files"));
    assert!(issues[3]
        .message
        .contains("no model `fct_revenue` in layer gold"));
    assert!(issues[4].message.contains("unknown company `zenith`"));
}

#[test]
fn a_source_without_its_connection_is_reported() {
    let text = replace(&example(), "path = \"sources/erp.duckdb\"", "");
    let (_d, _c, issues) = workspace_with(&text);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].key, "sources.erp_db");
    assert!(issues[0].message.contains("a duckdb source needs `path`"));
    assert_eq!(issues[0].line, line_of(&text, "[sources.erp_db]"));
}

#[test]
fn bad_values_are_reported() {
    let mut text = replace(&example(), "delimiter = \";\"", "delimiter = \";;\"");
    text = replace(&text, "encoding = \"utf-8\"", "encoding = \"ebcdic\"");
    text = replace(&text, "warn_after = \"26h\"", "warn_after = \"26 hours\"");
    text = replace(
        &text,
        "timezone = \"+01:00\"",
        "timezone = \"Europe/Berlin\"",
    );
    let (_d, _c, issues) = workspace_with(&text);
    let keys: Vec<&str> = issues.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "freshness.warn_after",
            "legacy.sales.format.encoding",
            "legacy.sales.overrides.lumen.delimiter",
            "comparisons.revenue.timezone"
        ],
        "{issues:#?}"
    );
    let tz = issues
        .iter()
        .find(|i| i.key == "comparisons.revenue.timezone")
        .unwrap();
    assert!(tz.message.contains("fixed offset like +02:00"), "{tz:?}");
}

mod fuzz {
    //! The loader on mangled configs: lines dropped, repeated or cut, bytes inserted. It
    //! never panics, and every problem it reports points at a line of the text it read.
    use super::*;
    use proptest::prelude::*;

    fn mangle(text: &str, ops: &[(u8, usize, String)]) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (op, at, junk) in ops {
            if lines.is_empty() {
                break;
            }
            let i = at % lines.len();
            match op % 5 {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let copy = lines[i].clone();
                    lines.insert(i, copy);
                }
                2 => {
                    let cut = lines[i].char_indices().nth(at % 7).map_or(0, |(b, _)| b);
                    lines[i].truncate(cut);
                }
                3 => lines[i].push_str(junk),
                _ => lines.insert(i, junk.clone()),
            }
        }
        lines.join("\n")
    }

    proptest! {
        // PROPTEST_CASES=100000 runs it longer, as a fuzzer would.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
        ))]

        #[test]
        fn a_mangled_config_is_reported_never_a_panic(
            ops in prop::collection::vec(
                (any::<u8>(), any::<usize>(), "[a-z_\\.=\"\\[\\]{}, 0-9#-]{0,12}"),
                1..6,
            )
        ) {
            let text = mangle(&example(), &ops);
            let (_dir, config, issues) = workspace_with(&text);
            let lines = text.lines().count() + 1;
            for issue in &issues {
                prop_assert!(issue.line <= lines, "{issue} beyond {lines} lines");
            }
            prop_assert!(config.is_some() || !issues.is_empty());
        }
    }
}

#[test]
fn a_delimiter_must_be_one_ascii_character() {
    // "€" is one character but three bytes: the structure check would split on its first.
    let text = replace(&example(), "delimiter = \",\"", "delimiter = \"€\"");
    let (_d, _c, issues) = workspace_with(&text);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].key, "legacy.sales.format.delimiter");
    assert!(
        issues[0].message.contains("not an ASCII character"),
        "{issues:#?}"
    );
}
