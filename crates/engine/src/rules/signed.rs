//! Whether a sign-off still holds: today's numbers and rules against those signed.

use serde::Serialize;

use super::file::RulesFile;
use super::signoff::Signoff;
use crate::decimal::Exact;

/// The latest sign-off against today's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignoffState {
    #[serde(flatten)]
    pub signoff: Signoff,
    /// `current`, or `stale` when a number or the rules changed since.
    pub state: &'static str,
    /// What changed: `remaining 109128.29 → 120.00`, `the rules`.
    pub changed: Vec<String>,
}

/// A fingerprint of the rules and accepted differences (not notes' wording alone: every
/// field counts), FNV-1a over their text; it changes when anything signed changes.
pub fn digest(file: &RulesFile) -> String {
    let mut text = String::new();
    for r in &file.rules {
        text.push_str(&format!(
            "{}|{}|{}|{:?}|{}\n",
            r.name,
            r.kind.as_str(),
            r.filter,
            r.set,
            r.status.as_str()
        ));
    }
    for a in &file.accepted {
        text.push_str(&format!("{}|{}\n", a.name, a.filter));
    }
    format!("{:016x}", fnv1a(&text))
}

/// FNV-1a over `text`: a stable fingerprint (the same in every process and version, which
/// std's hasher does not promise), for digests written to files and names of folders.
pub(crate) fn fnv1a(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The numbers a sign-off is about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numbers {
    pub gap_before: Exact,
    pub remaining: Exact,
    pub unexplained: Exact,
}

pub fn of(fall: &Numbers, file: &RulesFile, by: &str, at: &str, note: &str) -> Signoff {
    Signoff {
        by: by.into(),
        at: at.into(),
        note: note.into(),
        gap_before: fall.gap_before.to_string(),
        remaining: fall.remaining.to_string(),
        unexplained: fall.unexplained.to_string(),
        digest: digest(file),
    }
}

/// The latest sign-off, current or stale against today's numbers and rules.
pub fn state(file: &RulesFile, fall: &Numbers) -> Option<SignoffState> {
    let last = file.signoffs.last()?.clone();
    let mut changed = Vec::new();
    let same = |was: &str, now: Exact| Exact::parse(was).is_some_and(|w| w == now);
    for (what, was, now) in [
        ("gap", &last.gap_before, fall.gap_before),
        ("remaining", &last.remaining, fall.remaining),
        ("unexplained", &last.unexplained, fall.unexplained),
    ] {
        if !same(was, now) {
            changed.push(format!("{what} {was} → {now}"));
        }
    }
    if last.digest != digest(file) {
        changed.push("the rules".into());
    }
    Some(SignoffState {
        state: if changed.is_empty() {
            "current"
        } else {
            "stale"
        },
        signoff: last,
        changed,
    })
}
