//! Sign-offs (`[[signoff]]` in the rules file, kept in git with the rules they sign): who
//! agreed to which numbers, as the file stores them (`signed` compares them with today's).

use serde::Serialize;
use toml_edit::{value, DocumentMut, Item, Table};

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
    /// The company whose numbers were signed; none for the whole comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
}

impl Signoff {
    /// Whether this sign-off is about `company` (None: the whole comparison).
    pub fn covers(&self, company: Option<&str>) -> bool {
        self.company.as_deref() == company
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
            company: t
                .get("company")
                .and_then(|v| v.as_str())
                .map(str::to_string),
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
    if let Some(c) = &s.company {
        t["company"] = value(c.as_str());
    }
    doc.entry("signoff")
        .or_insert(Item::ArrayOfTables(Default::default()))
        .as_array_of_tables_mut()
        .ok_or_else(|| Error::Usage("`signoff` must be [[signoff]] tables".into()))?
        .push(t);
    Ok(())
}
