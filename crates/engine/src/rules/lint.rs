//! What a rules file may hold, checked on the text as written so every refusal names its
//! line: only `[[rule]]`, `[[accepted]]` and `[[signoff]]` tables with their own keys (a
//! `[[rules]]` table would otherwise be ignored, and the rules in it with it), and SQL that
//! is one expression (`dialect::check_expression`).

use toml_edit::{Document, Item, Table};

pub use crate::dialect::check_expression_in_any as check_any;

const RULE_KEYS: &[&str] = &["name", "kind", "where", "set", "status", "note", "by", "at"];
const ACCEPTED_KEYS: &[&str] = &["name", "where", "note", "by", "at"];
const SIGNOFF_KEYS: &[&str] = &[
    "by",
    "at",
    "note",
    "gap_before",
    "remaining",
    "unexplained",
    "digest",
    "company",
];

/// Every problem of the file's text as `line N: …`, in file order.
pub fn problems(text: &str) -> Vec<String> {
    let Ok(doc) = Document::parse(text) else {
        // The caller parses again and reports TOML's own error, which has its line.
        return Vec::new();
    };
    let line = |item: Option<std::ops::Range<usize>>| {
        item.map(|span| text[..span.start].matches('\n').count() + 1)
            .unwrap_or(0)
    };
    let mut out = Vec::new();
    for (key, item) in doc.as_table().iter() {
        let keys = match key {
            "rule" => RULE_KEYS,
            "accepted" => ACCEPTED_KEYS,
            "signoff" => SIGNOFF_KEYS,
            other => {
                let at = line(doc.as_table().key(other).and_then(|k| k.span()));
                let what = if item.is_table_like() || item.is_array_of_tables() {
                    "table"
                } else {
                    "key"
                };
                out.push(format!(
                    "line {at}: unknown {what} `{other}` (a rules file holds [[rule]], \
                     [[accepted]] and [[signoff]] tables)"
                ));
                continue;
            }
        };
        let Some(tables) = item.as_array_of_tables() else {
            continue; // the typed read names the wrong shape
        };
        for t in tables.iter() {
            for (k, _) in t.iter() {
                if !keys.contains(&k) {
                    let at = line(t.key(k).and_then(|k| k.span()));
                    out.push(format!(
                        "line {at}: unknown key `{k}` in [[{key}]] (it takes {})",
                        keys.join(", ")
                    ));
                }
            }
            if key != "signoff" {
                sql_problems(t, key, &line, &mut out);
            }
        }
    }
    out
}

/// The rule's `where` and `set` expressions, each one SQL expression.
fn sql_problems(
    t: &Table,
    table: &str,
    line: &dyn Fn(Option<std::ops::Range<usize>>) -> usize,
    out: &mut Vec<String>,
) {
    let dedupe = t.get("kind").and_then(Item::as_str) == Some("dedupe");
    if let Some(item) = t.get("where") {
        let text = item.as_str().unwrap_or_default();
        // A dedupe without a condition applies to every repeated key, on purpose.
        if !(dedupe && text.trim().is_empty()) {
            if let Err(why) = check_any(text) {
                out.push(format!(
                    "line {}: [[{table}]] `where`: {why}",
                    line(item.span())
                ));
            }
        }
    }
    let Some(set) = t.get("set") else { return };
    let values: Vec<(&str, &toml_edit::Value)> = match (set.as_inline_table(), set.as_table()) {
        (Some(i), _) => i.iter().collect(),
        (None, Some(t)) => t
            .iter()
            .filter_map(|(k, v)| v.as_value().map(|v| (k, v)))
            .collect(),
        _ => return,
    };
    let pairs = values.into_iter().map(|(k, v)| {
        (
            k.to_string(),
            v.as_str().map(str::to_string),
            line(v.span()),
        )
    });
    for (column, text, at) in pairs {
        if let Err(why) = check_any(text.as_deref().unwrap_or_default()) {
            out.push(format!("line {at}: [[{table}]] set.{column}: {why}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_tables_keys_and_escaping_sql_are_named_by_line() {
        let text = "[[rules]]\nname = \"x\"\n\n[[rule]]\nname = \"a\"\nkind = \"exclude\"\nwhere = \"1=1) OR (1=1\"\nwehre = \"x\"\n\n[[rule]]\nname = \"b\"\nkind = \"exclude\"\nwhere = \"\"\n\n[[rule]]\nname = \"c\"\nkind = \"dedupe\"\nwhere = \"\"\n\n[[accepted]]\nname = \"d\"\nwhere = \"x IN (SELECT * FROM read_csv('/etc/passwd'))\"\n";
        let p = problems(text);
        assert_eq!(p.len(), 5, "{p:#?}");
        assert!(
            p[0].starts_with("line 1: unknown table `rules`"),
            "{}",
            p[0]
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("line 7: [[rule]] `where`") && x.contains("follows")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("line 8: unknown key `wehre`")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("line 13: [[rule]] `where`") && x.contains("empty")),
            "{p:#?}"
        );
        assert!(
            p.iter().any(|x| x.starts_with("line 22: [[accepted]]")),
            "{p:#?}"
        );
    }

    #[test]
    fn set_expressions_are_checked_too() {
        let text = "[[rule]]\nname = \"a\"\nkind = \"adjust\"\nwhere = \"x > 1\"\nset = { amount = \"amount); DROP TABLE t; --\" }\n";
        let p = problems(text);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].starts_with("line 5: [[rule]] set.amount"), "{}", p[0]);
    }

    fn fragment() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let sql = prop::sample::select(vec![
            "x = 1",
            "",
            "1=1) OR (1=1",
            "a; DROP TABLE t",
            "x IN (SELECT id FROM lookups.l)",
            "x IN (SELECT * FROM read_csv('/etc/passwd'))",
            "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
            "y -- rest",
            "'unterminated",
            "\u{1b}]0;x\u{7}",
        ]);
        let line = prop_oneof![
            Just("[[rule]]".to_string()),
            Just("[[accepted]]".to_string()),
            Just("[[signoff]]".to_string()),
            Just("[[rules]]".to_string()),
            "[a-z]{1,6}".prop_map(|k| format!("name = \"{k}\"")),
            prop::sample::select(vec!["exclude", "dedupe", "adjust", "drop"])
                .prop_map(|k| format!("kind = \"{k}\"")),
            sql.clone()
                .prop_map(|w| format!("where = {}", toml_edit::Value::from(w))),
            sql.prop_map(|w| format!("set = {{ amount = {} }}", toml_edit::Value::from(w))),
            Just("status = \"accepted\"".to_string()),
            "[a-z]{1,5} = [0-9]{1,3}".prop_map(|l| l),
        ];
        prop::collection::vec(line, 0..14).prop_map(|lines| lines.join("\n"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any text as rule SQL: an answer, never a panic (deep nesting, lone quotes,
        /// control characters).
        #[test]
        fn any_text_is_checked_without_a_panic(text in "\\PC{0,80}") {
            let _ = check_any(&text);
        }

        /// Any rules file assembled from real and hostile pieces: loading it never panics,
        /// and whatever loads holds only rule SQL that is one expression reading tables.
        #[test]
        fn what_loads_is_confined(text in fragment()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("r.toml");
            std::fs::write(&path, &text).unwrap();
            if let Ok(file) = crate::rules::RulesFile::load(&path) {
                for r in &file.rules {
                    let dedupe_all =
                        r.kind == crate::rules::Kind::Dedupe && r.filter.trim().is_empty();
                    proptest::prop_assert!(dedupe_all || check_any(&r.filter).is_ok(), "{}", r.filter);
                    for e in r.set.values() {
                        proptest::prop_assert!(check_any(e).is_ok(), "{e}");
                    }
                }
                for a in &file.accepted {
                    proptest::prop_assert!(check_any(&a.filter).is_ok(), "{}", a.filter);
                }
            }
        }
    }
}
