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
    /// What changed since: amounts, the rules.
    pub changed: Vec<Change>,
}

/// One thing that moved since a sign-off. Shown to people grouped (`remaining 109,128.29 →
/// 120.00`); serialised ungrouped for machines (`remaining 109128.29 → 120.00`).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// An amount as signed (the file's text) and as it is now.
    Amount {
        what: &'static str,
        was: String,
        now: Exact,
    },
    /// The rules or accepted differences signed.
    Rules,
}

impl Change {
    /// The change with its amounts as `amount` writes them.
    fn text(&self, amount: fn(Exact) -> String) -> String {
        match self {
            Change::Amount { what, was, now } => {
                let was = Exact::parse(was).map_or_else(|| was.clone(), amount);
                format!("{what} {was} → {}", amount(*now))
            }
            Change::Rules => "the rules".into(),
        }
    }

    /// Every change, grouped, joined by `sep` (for a line on screen or in a report).
    pub fn list(changes: &[Change], sep: &str) -> String {
        let texts: Vec<String> = changes.iter().map(ToString::to_string).collect();
        texts.join(sep)
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Exact::grouped))
    }
}

impl Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text(|e| e.to_string()))
    }
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

/// Who signs what: the signer, when, the note, and the company (None: the whole comparison).
pub struct Signing<'a> {
    pub by: &'a str,
    pub at: &'a str,
    pub note: &'a str,
    pub company: Option<&'a str>,
}

pub fn of(fall: &Numbers, file: &RulesFile, who: &Signing) -> Signoff {
    let Signing {
        by,
        at,
        note,
        company,
    } = *who;
    Signoff {
        by: by.into(),
        at: at.into(),
        note: note.into(),
        gap_before: fall.gap_before.to_string(),
        remaining: fall.remaining.to_string(),
        unexplained: fall.unexplained.to_string(),
        digest: digest(file),
        company: company.map(str::to_string),
    }
}

/// The latest sign-off of `company` (None: of the whole comparison), current or stale
/// against today's numbers and rules. A company's sign-off moves only with its own numbers.
pub fn state(file: &RulesFile, company: Option<&str>, fall: &Numbers) -> Option<SignoffState> {
    let last = file
        .signoffs
        .iter()
        .rev()
        .find(|s| s.covers(company))?
        .clone();
    let mut changed = Vec::new();
    let same = |was: &str, now: Exact| Exact::parse(was).is_some_and(|w| w == now);
    for (what, was, now) in [
        ("gap", &last.gap_before, fall.gap_before),
        ("remaining", &last.remaining, fall.remaining),
        ("unexplained", &last.unexplained, fall.unexplained),
    ] {
        if !same(was, now) {
            changed.push(Change::Amount {
                what,
                was: was.clone(),
                now,
            });
        }
    }
    if last.digest != digest(file) {
        changed.push(Change::Rules);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// People read grouped amounts (a stale sign-off's line on screen, in the report);
    /// machines get them as the file has them.
    #[test]
    fn a_change_reads_grouped_and_serialises_exact() {
        let changes = vec![
            Change::Amount {
                what: "remaining",
                was: "109128.29".into(),
                now: Exact::parse("-1234567.50").unwrap(),
            },
            Change::Rules,
        ];
        assert_eq!(
            Change::list(&changes, "; "),
            "remaining 109,128.29 → -1,234,567.50; the rules"
        );
        let json = serde_json::to_string(&changes).unwrap();
        assert_eq!(json, r#"["remaining 109128.29 → -1234567.50","the rules"]"#);
        // A signed amount the file holds as something else is shown as it is.
        let odd = Change::Amount {
            what: "gap",
            was: "n/a".into(),
            now: Exact::parse("2.00").unwrap(),
        };
        assert_eq!(odd.to_string(), "gap n/a → 2.00");
    }
}
