//! A comparison's rules file (`rules/NAME.toml`): the candidate legacy rules, made to be
//! read in review and kept in git. Read into typed rules; written back through `toml_edit`,
//! so comments, order and formatting people added stay as they were.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{value, DocumentMut, InlineTable, Item, Table};

use crate::error::{Error, Result};

pub use crate::rule_kind::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Proposed,
    Accepted,
    Rejected,
}

impl Status {
    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "proposed" => Status::Proposed,
            "accepted" => Status::Accepted,
            "rejected" => Status::Rejected,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
        }
    }
}

/// A change to a rule's SQL, made in the workbench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A new `where`.
    Where(String),
    /// A new expression for `set.<column>` (adjust and shift rules).
    Set { column: String, expr: String },
}

/// One rule as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub kind: Kind,
    /// A predicate on the new side's rows (`where`).
    pub filter: String,
    /// Column → legacy's expression over the new row (adjust, shift).
    pub set: BTreeMap<String, String>,
    pub status: Status,
    pub note: String,
    pub by: String,
    pub at: String,
}

/// A difference accepted rather than fixed (`[[accepted]]`): the new side's rows `filter`
/// selects (after the rules), with the legacy rows of the same keys, agreed as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Allowance {
    pub name: String,
    pub filter: String,
    pub note: String,
    pub by: String,
    pub at: String,
}

impl Rule {
    /// The rule with `edit` made.
    pub fn edited(&self, edit: &Edit) -> Rule {
        let mut r = self.clone();
        match edit {
            Edit::Where(filter) => r.filter = filter.clone(),
            Edit::Set { column, expr } => {
                r.set.insert(column.clone(), expr.clone());
            }
        }
        r
    }
}

/// The file, as typed rules and as the document they were read from.
pub struct RulesFile {
    pub path: PathBuf,
    pub rules: Vec<Rule>,
    pub accepted: Vec<Allowance>,
    pub signoffs: Vec<super::signoff::Signoff>,
    doc: DocumentMut,
}

/// `rules/NAME.toml` under the workspace.
pub fn path_of(root: &Path, comparison: &str) -> PathBuf {
    root.join("rules").join(format!("{comparison}.toml"))
}

impl RulesFile {
    /// Reads the file; a file that is not there is an empty one (written on first save).
    pub fn load(path: &Path) -> Result<RulesFile> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::Usage(format!("{}: {e}", path.display()))),
        };
        let doc: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| Error::Usage(format!("{}: {e}", path.display())))?;
        let problems = super::lint::problems(&text);
        if !problems.is_empty() {
            return Err(Error::Usage(format!(
                "{}:\n  {}",
                path.display(),
                problems.join("\n  ")
            )));
        }
        let mut rules = Vec::new();
        if let Some(item) = doc.get("rule") {
            let tables = item.as_array_of_tables().ok_or_else(|| {
                Error::Usage(format!(
                    "{}: `rule` must be [[rule]] tables",
                    path.display()
                ))
            })?;
            for (i, t) in tables.iter().enumerate() {
                rules.push(read_rule(t).map_err(|e| {
                    Error::Usage(format!("{}: rule {} ({e})", path.display(), i + 1))
                })?);
            }
        }
        let accepted =
            read_allowances(&doc).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        let mut names = std::collections::HashSet::new();
        let all = rules
            .iter()
            .map(|r| &r.name)
            .chain(accepted.iter().map(|a| &a.name));
        for name in all {
            if !names.insert(name.as_str()) {
                return Err(Error::Usage(format!(
                    "{}: two rules are named `{name}`",
                    path.display()
                )));
            }
        }
        let signoffs = super::signoff::read(&doc)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        Ok(RulesFile {
            path: path.to_path_buf(),
            rules,
            accepted,
            signoffs,
            doc,
        })
    }

    /// Records a sign-off (a new `[[signoff]]` table at the end).
    pub fn push_signoff(&mut self, s: super::signoff::Signoff) -> Result<()> {
        super::signoff::write(&mut self.doc, &s)
            .map_err(|e| Error::Usage(format!("{}: {e}", self.path.display())))?;
        self.signoffs.push(s);
        Ok(())
    }

    /// Records an accepted difference (a new `[[accepted]]` table at the end).
    /// Whether a rule or an accepted difference has `name` (they share names).
    pub fn name_taken(&self, name: &str) -> bool {
        self.rules.iter().any(|r| r.name == name) || self.accepted.iter().any(|a| a.name == name)
    }

    pub fn push_accepted(&mut self, a: Allowance) -> Result<()> {
        if self.name_taken(&a.name) {
            return Err(Error::Usage(format!(
                "{}: `{}` is taken",
                self.path.display(),
                a.name
            )));
        }
        checked(&a.name, "where", &a.filter)?;
        let mut t = Table::new();
        t["name"] = value(&a.name);
        t["where"] = value(&a.filter);
        t["note"] = value(&a.note);
        t["by"] = value(&a.by);
        t["at"] = value(&a.at);
        self.doc
            .entry("accepted")
            .or_insert(Item::ArrayOfTables(Default::default()))
            .as_array_of_tables_mut()
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{}: `accepted` must be [[accepted]] tables",
                    self.path.display()
                ))
            })?
            .push(t);
        self.accepted.push(a);
        Ok(())
    }

    /// Appends a rule (a new `[[rule]]` table at the end), its SQL checked first.
    pub fn push(&mut self, rule: Rule) -> Result<()> {
        if !(rule.kind == Kind::Dedupe && rule.filter.trim().is_empty()) {
            checked(&rule.name, "where", &rule.filter)?;
        }
        for (column, expr) in &rule.set {
            checked(&rule.name, &format!("set.{column}"), expr)?;
        }
        let tables = self
            .doc
            .entry("rule")
            .or_insert(Item::ArrayOfTables(Default::default()))
            .as_array_of_tables_mut()
            .expect("checked when loaded");
        tables.push(write_rule(&rule));
        self.rules.push(rule);
        Ok(())
    }

    /// The index of the rule named `name`, and its table in the document.
    fn rule_mut(&mut self, name: &str) -> Result<(usize, &mut Table)> {
        let i = self
            .rules
            .iter()
            .position(|r| r.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.rules.iter().map(|r| r.name.as_str()).collect();
                Error::Usage(format!(
                    "{}: no rule named `{name}` (there are: {})",
                    self.path.display(),
                    known.join(", ")
                ))
            })?;
        let t = self
            .doc
            .get_mut("rule")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|a| a.get_mut(i))
            .expect("the typed rules mirror the document");
        Ok((i, t))
    }

    /// Records a decision on the rule named `name`: its status, note, who and when.
    pub fn decide(
        &mut self,
        name: &str,
        status: Status,
        note: &str,
        by: &str,
        at: &str,
    ) -> Result<()> {
        let (i, t) = self.rule_mut(name)?;
        t["status"] = value(status.as_str());
        t["note"] = value(note);
        t["by"] = value(by);
        t["at"] = value(at);
        let r = &mut self.rules[i];
        (r.status, r.note, r.by, r.at) = (status, note.into(), by.into(), at.into());
        Ok(())
    }

    /// Changes the SQL of the rule named `name`.
    pub fn edit(&mut self, name: &str, edit: &Edit) -> Result<()> {
        match edit {
            Edit::Where(filter) => checked(name, "where", filter)?,
            Edit::Set { column, expr } => checked(name, &format!("set.{column}"), expr)?,
        }
        let path = self.path.display().to_string();
        let (i, t) = self.rule_mut(name)?;
        match edit {
            Edit::Where(filter) => t["where"] = value(filter),
            Edit::Set { column, expr } => {
                let set = t
                    .get_mut("set")
                    .and_then(|s| s.as_inline_table_mut())
                    .filter(|s| s.contains_key(column))
                    .ok_or_else(|| {
                        Error::Usage(format!("{path}: rule `{name}` has no set.{column}"))
                    })?;
                set.insert(column, expr.as_str().into());
            }
        }
        self.rules[i] = self.rules[i].edited(edit);
        Ok(())
    }

    /// The file's text as it is to be written (`save::update` writes it, whole and under
    /// the file's lock).
    pub(super) fn text(&self) -> String {
        self.doc.to_string()
    }
}

/// One SQL expression (a rule's `where` or `set`), or a usage error naming the rule.
fn checked(name: &str, what: &str, text: &str) -> Result<()> {
    super::lint::check_any(text)
        .map_err(|why| Error::Usage(format!("rule `{name}`: its {what}: {why}")))
}

fn read_allowances(doc: &DocumentMut) -> std::result::Result<Vec<Allowance>, String> {
    let Some(item) = doc.get("accepted") else {
        return Ok(Vec::new());
    };
    let tables = item
        .as_array_of_tables()
        .ok_or("`accepted` must be [[accepted]] tables")?;
    tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let at = |e: String| format!("accepted {} ({e})", i + 1);
            Ok(Allowance {
                name: text(t, "name", true).map_err(at)?,
                filter: text(t, "where", true).map_err(at)?,
                note: text(t, "note", false).map_err(at)?,
                by: text(t, "by", false).map_err(at)?,
                at: text(t, "at", false).map_err(at)?,
            })
        })
        .collect()
}

fn text(t: &Table, key: &str, required: bool) -> std::result::Result<String, String> {
    match t.get(key) {
        Some(v) => v
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("`{key}` must be a string")),
        None if required => Err(format!("`{key}` is missing")),
        None => Ok(String::new()),
    }
}

fn read_rule(t: &Table) -> std::result::Result<Rule, String> {
    let name = text(t, "name", true)?;
    let kind = text(t, "kind", true)?;
    let kind = Kind::parse(&kind).ok_or_else(|| {
        format!("`{name}`: kind `{kind}` is not exclude, include, adjust, shift or dedupe")
    })?;
    let status = match text(t, "status", false)?.as_str() {
        "" => Status::Proposed,
        s => Status::parse(s).ok_or_else(|| {
            format!("`{name}`: status `{s}` is not proposed, accepted or rejected")
        })?,
    };
    let mut set = BTreeMap::new();
    if let Some(item) = t.get("set") {
        let table = item
            .as_inline_table()
            .map(|i| {
                i.iter()
                    .map(|(k, v)| (k.to_string(), v.as_str().map(str::to_string)))
                    .collect::<Vec<_>>()
            })
            .or_else(|| {
                item.as_table().map(|i| {
                    i.iter()
                        .map(|(k, v)| (k.to_string(), v.as_str().map(str::to_string)))
                        .collect()
                })
            })
            .ok_or_else(|| format!("`{name}`: `set` must be a table of column = \"expression\""))?;
        for (k, v) in table {
            set.insert(
                k.clone(),
                v.ok_or_else(|| format!("`{name}`: set.{k} must be a string"))?,
            );
        }
    }
    if matches!(kind, Kind::Adjust | Kind::Shift) && set.is_empty() {
        return Err(format!("`{name}`: an {} rule needs `set`", kind.as_str()));
    }
    Ok(Rule {
        filter: text(t, "where", kind != Kind::Dedupe)?,
        note: text(t, "note", false)?,
        by: text(t, "by", false)?,
        at: text(t, "at", false)?,
        name,
        kind,
        set,
        status,
    })
}

fn write_rule(r: &Rule) -> Table {
    let mut t = Table::new();
    t["name"] = value(&r.name);
    t["kind"] = value(r.kind.as_str());
    t["where"] = value(&r.filter);
    if !r.set.is_empty() {
        let mut set = InlineTable::new();
        for (k, v) in &r.set {
            set.insert(k, v.as_str().into());
        }
        t["set"] = value(set);
    }
    t["status"] = value(r.status.as_str());
    t["note"] = value(&r.note);
    t["by"] = value(&r.by);
    t["at"] = value(&r.at);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_keeps_comments_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules/revenue.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = "# Agreed with finance, 2026-11.\n[[rule]]\nname = \"cancelled\"  # the big one\nkind = \"exclude\"\nwhere = \"invoice_type = 'CANCELLED'\"\n";
        std::fs::write(&path, text).unwrap();
        let mut f = RulesFile::load(&path).unwrap();
        assert_eq!(f.rules[0].status, Status::Proposed);
        f.decide(
            "cancelled",
            Status::Accepted,
            "as legacy did",
            "ana",
            "2026-11-30T10:00:00Z",
        )
        .unwrap();
        f.push(Rule {
            name: "lumen-net".into(),
            kind: Kind::Adjust,
            filter: "company = 'lumen'".into(),
            set: [(
                "net_amount".to_string(),
                "net_amount - tax_amount".to_string(),
            )]
            .into(),
            status: Status::Proposed,
            note: String::new(),
            by: "ana".into(),
            at: "2026-11-30T10:01:00Z".into(),
        })
        .unwrap();
        std::fs::write(&f.path, f.text()).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(
            written.starts_with("# Agreed with finance, 2026-11.\n"),
            "{written}"
        );
        assert!(
            written.contains("name = \"cancelled\"  # the big one"),
            "{written}"
        );
        assert!(
            written.contains("set = { net_amount = \"net_amount - tax_amount\" }"),
            "{written}"
        );
        let again = RulesFile::load(&path).unwrap();
        assert_eq!(again.rules.len(), 2);
        assert_eq!(again.rules[0].status, Status::Accepted);
        assert_eq!(again.rules[0].by, "ana");
        assert!(f.decide("nope", Status::Accepted, "", "", "").is_err());
        let set = Edit::Set {
            column: "net_amount".into(),
            expr: "net_amount - 2 * tax_amount".into(),
        };
        f.edit("lumen-net", &set).unwrap();
        f.edit("cancelled", &Edit::Where("invoice_type = 'VOID'".into()))
            .unwrap();
        let wrong = Edit::Set {
            column: "nope".into(),
            expr: "1".into(),
        };
        assert!(f
            .edit("lumen-net", &wrong)
            .unwrap_err()
            .to_string()
            .contains("no set.nope"));
        std::fs::write(&f.path, f.text()).unwrap();
        let edited = std::fs::read_to_string(&path).unwrap();
        assert!(
            edited.contains("set = { net_amount = \"net_amount - 2 * tax_amount\" }"),
            "{edited}"
        );
        assert!(
            edited.contains("where = \"invoice_type = 'VOID'\""),
            "{edited}"
        );
        assert!(edited.contains("# the big one"), "comments stay: {edited}");
    }

    #[test]
    fn bad_rules_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.toml");
        for (text, says) in [
            ("[[rule]]\nkind = \"exclude\"\n", "`name` is missing"),
            ("[[rule]]\nname = \"x\"\nkind = \"drop\"\nwhere = \"1\"\n", "kind `drop`"),
            ("[[rule]]\nname = \"x\"\nkind = \"adjust\"\nwhere = \"1\"\n", "needs `set`"),
            ("[[rule]]\nname = \"x\"\nkind = \"exclude\"\nwhere = \"a\"\n[[rule]]\nname = \"x\"\nkind = \"exclude\"\nwhere = \"b\"\n", "two rules"),
            ("rule = 3\n", "[[rule]] tables"),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = RulesFile::load(&path).err().expect(text).to_string();
            assert!(e.contains(says) && e.contains("r.toml"), "{e}");
        }
    }
}
