//! The rules lab: a comparison's candidate legacy rules (`rules/NAME.toml`), applied to the
//! new side to see the gap close, suggested from explain's causes, accepted or rejected with
//! who and when.

pub mod apply;
pub mod as_legacy;
pub mod by_company;
pub mod decision;
pub mod export;
pub mod file;
mod lint;
mod remainder;
pub mod remote;
pub mod render;
pub mod save;
pub mod signed;
pub mod signoff;
pub mod ticket;
pub mod waterfall;

pub use as_legacy::{causes_left, compare_as_legacy, waterfall_scoped, waterfall_where, AsLegacy};
pub use file::{path_of, Kind, Rule, RulesFile, Status};
pub use save::update;
pub use waterfall::{taking_part, waterfall, waterfall_of, Step, Waterfall, Which};

use std::path::Path;

use crate::recon::explain::{Cause, RuleKind};

/// Who records a decision: `$ASSAY_USER`, else git's `user.name`, else `$USER`.
pub fn user() -> String {
    let set = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    set(std::env::var("ASSAY_USER").ok())
        .or_else(|| {
            let out = std::process::Command::new("git")
                .args(["config", "user.name"])
                .output()
                .ok()?;
            set(String::from_utf8(out.stdout).ok())
        })
        .or_else(|| set(std::env::var("USER").ok()))
        .unwrap_or_else(|| "unknown".into())
}

/// The time a decision is recorded with: UTC, to the second.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn kind_of(k: RuleKind) -> Option<Kind> {
    // Rows legacy has that the new side lacks cannot be made by a rule on the new side.
    (k != Kind::Include).then_some(k)
}

/// A rule name from a cause: `exclude-invoice_type-cancelled`.
/// Free among the file's rules and its accepted differences alike (they share names).
fn name_for(kind: Kind, cause: &Cause, file: &RulesFile) -> String {
    let words = format!("{} {}", cause.dimension, cause.value);
    free_name(kind.as_str(), &words, |n| file.name_taken(n))
}

/// A name for a rule or an accepted difference: `prefix` and the words of `text`
/// (`exclude-invoice_type-cancelled`), at most 60 characters, then `-2`, `-3`… until
/// `taken` says it is free.
pub(crate) fn free_name(prefix: &str, text: &str, taken: impl Fn(&str) -> bool) -> String {
    let slug: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let words: Vec<&str> = slug.split('-').filter(|w| !w.is_empty()).collect();
    let base: String = match words.is_empty() {
        true => prefix.to_string(),
        false => format!("{prefix}-{}", words.join("-")),
    };
    let base: String = base.chars().take(60).collect();
    let base = base.trim_end_matches('-').to_string();
    let mut name = base.clone();
    let mut n = 2;
    while taken(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// A cause's rule selects at least this share of rows that differ, or it would change rows
/// that agree: it says where the rule is, not what it is.
const PURE_ENOUGH: f64 = 0.5;

/// What `suggest` did with explain's causes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Suggested {
    pub added: Vec<String>,
    /// (predicate, why) of causes not turned into rules.
    pub passed_over: Vec<(String, String)>,
    /// Rules of the file the causes were already (same kind, `where` and `set`).
    pub known: Vec<String>,
}

/// Adds explain's causes as proposed rules (never accepted), skipping those the file has
/// already (same kind and `where`), causes without a rule to apply, and causes whose
/// predicate would mostly touch rows that agree.
pub fn suggest(file: &mut RulesFile, causes: &[Cause], by: &str, at: &str) -> Suggested {
    let mut out = Suggested::default();
    for cause in causes {
        let Some(rule) = &cause.rule else { continue };
        if let Some(p) = cause.purity.filter(|p| *p < PURE_ENOUGH) {
            out.passed_over.push((
                rule.predicate.clone(),
                format!(
                    "only {:.0} % of the rows it selects differ; a narrower predicate or a \
                     lookup would name the rule",
                    p * 100.0
                ),
            ));
            continue;
        }
        let Some(kind) = kind_of(rule.kind) else {
            let why = "no kind of rule applies to it".to_string();
            out.passed_over.push((rule.predicate.clone(), why));
            continue;
        };
        if matches!(kind, Kind::Adjust | Kind::Shift) && rule.set.is_empty() {
            let why = "it says which rows differ, not what legacy computed for them (no set \
                       expression was found)";
            out.passed_over
                .push((rule.predicate.clone(), why.to_string()));
            continue;
        }
        let known = file
            .rules
            .iter()
            .find(|r| r.kind == kind && r.filter == rule.predicate && r.set == rule.set);
        if let Some(r) = known {
            out.known.push(r.name.clone());
            continue;
        }
        // A file lookup the rule names goes beside the rules first: the rule reads it in
        // every later process.
        let root = file
            .path
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        if let Err(e) = rule
            .keeps
            .iter()
            .try_for_each(|f| crate::recon::lookups::keep(root, f).map(drop))
        {
            out.passed_over
                .push((rule.predicate.clone(), e.to_string()));
            continue;
        }
        let name = name_for(kind, cause, file);
        let pushed = file.push(Rule {
            name: name.clone(),
            kind,
            filter: rule.predicate.clone(),
            set: rule.set.clone(),
            status: Status::Proposed,
            note: cause.description.clone(),
            by: by.to_string(),
            at: at.to_string(),
        });
        match pushed {
            Ok(()) => out.added.push(name),
            Err(e) => out
                .passed_over
                .push((rule.predicate.clone(), e.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::Exact;
    use crate::recon::explain::Rule as CauseRule;
    use crate::recon::RowClass;

    fn cause(kind: RuleKind, predicate: &str, set: &[(&str, &str)]) -> Cause {
        Cause {
            dimension: "invoice_type".into(),
            value: "VOID".into(),
            terms: vec![("invoice_type".into(), Some("VOID".into()))],
            row_class: RowClass::OnlyNew,
            predicate: predicate.into(),
            delta: Exact::ZERO,
            share: 0.5,
            cumulative_share: 0.5,
            rows: 3,
            purity: Some(1.0),
            spread: false,
            description: "3 rows".into(),
            rule: Some(CauseRule {
                kind,
                predicate: predicate.into(),
                expression: None,
                set: set
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                keeps: Vec::new(),
            }),
            pattern: None,
        }
    }

    /// Every cause not added says why: before, a cause without a set expression, an
    /// include, or one the file had came back as nothing at all, which the workbench could
    /// only report as "the file has it already".
    #[test]
    fn each_cause_not_turned_into_a_rule_says_why() {
        let mut file = RulesFile::load(std::path::Path::new("/nonexistent/rules/r.toml")).unwrap();
        let causes = [
            cause(RuleKind::Exclude, "kind = 'VOID'", &[]),
            cause(RuleKind::Adjust, "branch = 'north'", &[]),
            cause(RuleKind::Include, "kind = 'MANUAL'", &[]),
            cause(RuleKind::Exclude, "kind = 'VOID'", &[]),
        ];
        let done = suggest(&mut file, &causes, "ana", "2026-11-30T10:00:00Z");
        assert_eq!(done.added, ["exclude-invoice_type-void"]);
        let why: Vec<&str> = done.passed_over.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(why, ["branch = 'north'", "kind = 'MANUAL'"]);
        assert!(done.passed_over[0].1.contains("no set expression"));
        assert_eq!(done.known, ["exclude-invoice_type-void"]);
    }
}
