//! Sign-offs (`[[signoff]]` in the rules file, kept in git with the rules they sign): who
//! agreed to which numbers, and whether the numbers are still those.

use serde::Serialize;
use toml_edit::{value, DocumentMut, Item, Table};

use super::file::RulesFile;
use super::waterfall::Waterfall;
use crate::decimal::Exact;
use crate::error::{Error, Result};

/// What a sign-off agreed to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signoff {
    pub by: String,
    pub at: String,
    pub note: String,
    pub gap_before: String,
    pub remaining: String,
    pub unexplained: String,
    /// The rules and accepted differences it signed (see `digest`).
    pub digest: String,
}

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
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub fn of(fall: &Waterfall, file: &RulesFile, by: &str, at: &str, note: &str) -> Signoff {
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

/// The sign-offs the file holds, oldest first.
pub fn read(doc: &DocumentMut) -> std::result::Result<Vec<Signoff>, String> {
    let Some(item) = doc.get("signoff") else {
        return Ok(Vec::new());
    };
    let tables = item
        .as_array_of_tables()
        .ok_or("`signoff` must be [[signoff]] tables")?;
    let field = |t: &Table, k: &str| {
        t.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Ok(tables
        .iter()
        .map(|t| Signoff {
            by: field(t, "by"),
            at: field(t, "at"),
            note: field(t, "note"),
            gap_before: field(t, "gap_before"),
            remaining: field(t, "remaining"),
            unexplained: field(t, "unexplained"),
            digest: field(t, "digest"),
        })
        .collect())
}

pub fn write(doc: &mut DocumentMut, s: &Signoff) -> Result<()> {
    let mut t = Table::new();
    for (k, v) in [
        ("by", &s.by),
        ("at", &s.at),
        ("note", &s.note),
        ("gap_before", &s.gap_before),
        ("remaining", &s.remaining),
        ("unexplained", &s.unexplained),
        ("digest", &s.digest),
    ] {
        t[k] = value(v.as_str());
    }
    doc.entry("signoff")
        .or_insert(Item::ArrayOfTables(Default::default()))
        .as_array_of_tables_mut()
        .ok_or_else(|| Error::Usage("`signoff` must be [[signoff]] tables".into()))?
        .push(t);
    Ok(())
}

/// The latest sign-off, current or stale against today's waterfall and rules.
pub fn state(file: &RulesFile, fall: &Waterfall) -> Option<SignoffState> {
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
