//! How the numbers moved: a gap's trend as a sparkline, and what changed between two runs
//! (rules accepted, a legacy export replaced, the table rebuilt) so a jump can be read.

use serde::Serialize;

use super::record::Run;
use crate::decimal::Exact;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The size of each amount (oldest first) as a bar of eight heights, against the largest;
/// zero is the lowest bar, so a gap closing to nothing reads as a falling line.
pub fn sparkline(values: &[Exact]) -> String {
    let sizes: Vec<f64> = values.iter().map(|v| v.abs().to_f64()).collect();
    let top = sizes.iter().cloned().fold(0.0_f64, f64::max);
    sizes
        .iter()
        .map(|&s| {
            if top == 0.0 {
                return BARS[0];
            }
            let i = ((s / top) * (BARS.len() - 1) as f64).round() as usize;
            BARS[i.min(BARS.len() - 1)]
        })
        .collect()
}

/// One thing that differs between a run and the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    RulesAccepted(Vec<String>),
    RulesWithdrawn(Vec<String>),
    DifferencesAccepted(Vec<String>),
    DifferencesWithdrawn(Vec<String>),
    /// The rules changed without a rule coming or going (a condition edited).
    RulesEdited,
    LegacyReplaced(Vec<String>),
    Rebuilt {
        run_id: i64,
        finished: String,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::RulesAccepted(n) => write!(f, "rules accepted: {}", n.join(", ")),
            Change::RulesWithdrawn(n) => write!(f, "rules withdrawn: {}", n.join(", ")),
            Change::DifferencesAccepted(n) => {
                write!(f, "differences accepted: {}", n.join(", "))
            }
            Change::DifferencesWithdrawn(n) => {
                write!(f, "differences withdrawn: {}", n.join(", "))
            }
            Change::RulesEdited => f.write_str("rules edited"),
            Change::LegacyReplaced(c) => write!(f, "legacy replaced: {}", c.join(", ")),
            Change::Rebuilt { run_id, finished } => {
                write!(f, "table rebuilt (run {run_id}, {finished})")
            }
        }
    }
}

impl Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

fn added(before: &[String], after: &[String]) -> Vec<String> {
    after
        .iter()
        .filter(|n| !before.contains(n))
        .cloned()
        .collect()
}

/// What changed from `before` to `after` (a failed run knows only its rules).
pub fn changes(before: &Run, after: &Run) -> Vec<Change> {
    let (b, a) = (&before.rules, &after.rules);
    let mut out = Vec::new();
    let lists = [
        (
            added(&b.accepted_rules, &a.accepted_rules),
            Change::RulesAccepted as fn(Vec<String>) -> Change,
        ),
        (
            added(&a.accepted_rules, &b.accepted_rules),
            Change::RulesWithdrawn,
        ),
        (
            added(&b.accepted_differences, &a.accepted_differences),
            Change::DifferencesAccepted,
        ),
        (
            added(&a.accepted_differences, &b.accepted_differences),
            Change::DifferencesWithdrawn,
        ),
    ];
    for (names, make) in lists {
        if !names.is_empty() {
            out.push(make(names));
        }
    }
    if out.is_empty() && b.digest != a.digest {
        out.push(Change::RulesEdited);
    }
    let replaced: Vec<String> = after
        .companies
        .iter()
        .filter(|c| {
            let was = before.company(&c.company).and_then(|p| p.legacy.as_ref());
            matches!((was, &c.legacy), (Some(w), Some(n)) if w.fingerprint != n.fingerprint)
        })
        .map(|c| c.company.clone())
        .collect();
    if !replaced.is_empty() {
        out.push(Change::LegacyReplaced(replaced));
    }
    if let (Some(was), Some(now)) = (&before.build, &after.build) {
        if was.run_id != now.run_id {
            out.push(Change::Rebuilt {
                run_id: now.run_id,
                finished: now.finished.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_gap_reads_as_a_falling_line() {
        let values: Vec<Exact> = ["-2000.00", "1000.00", "250.00", "0.00"]
            .iter()
            .map(|v| Exact::parse(v).unwrap())
            .collect();
        assert_eq!(sparkline(&values), "█▅▂▁");
        assert_eq!(sparkline(&[Exact::default(); 2]), "▁▁");
        assert_eq!(sparkline(&[]), "");
    }
}
