//! Decisions that sign numbers, recorded in a comparison's rules file by any driver (the
//! CLI, the workbench): an accepted difference and a sign-off. Each is made only after
//! today's numbers were read with it, and written under the file's lock on the file as it
//! is then, so another engineer's change made meanwhile stays.

use super::file::Allowance;
use super::signoff::Signoff;
use super::{waterfall_scoped, waterfall_where, RulesFile, Waterfall, Which};
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::store::{Store, Wait};
use crate::warehouse::ClickHouse;

/// Where the numbers are read: the cache opened for the comparison, and the warehouse when
/// the new side lives there.
pub type Sides<'a> = (&'a Store, Option<&'a ClickHouse>);

/// A difference to accept: the new side's rows `filter` selects (after the rules), agreed
/// as they are. `name` None: one is made from the condition (`difference-branch-north`).
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub name: Option<String>,
    pub filter: String,
    pub note: String,
}

/// Accepts `difference` on comparison `name`: the waterfall is read with it first (a
/// `where` that does not apply to the comparison is refused, and the file is left as it
/// was), then it is saved. Returns the name it was saved under and the waterfall with it.
pub fn accept_difference(
    ws: &Workspace,
    sides: Sides,
    (name, measure): (&str, Option<&str>),
    which: &Which,
    difference: &Difference,
    wait: &Wait,
) -> Result<(String, Waterfall)> {
    if difference.filter.trim().is_empty() {
        return Err(Error::Usage(
            "an accepted difference needs a `where` condition".into(),
        ));
    }
    if difference.note.trim().is_empty() {
        return Err(Error::Usage(
            "an accepted difference needs a note: why it is agreed as it is".into(),
        ));
    }
    let path = super::path_of(&ws.root, name);
    let mut file = RulesFile::load(&path)?;
    let allowance = Allowance {
        name: difference
            .name
            .clone()
            .unwrap_or_else(|| difference_name(&difference.filter, &file)),
        filter: difference.filter.trim().to_string(),
        note: difference.note.trim().to_string(),
        by: super::user(),
        at: super::now(),
    };
    file.push_accepted(allowance.clone())?;
    let (store, warehouse) = sides;
    let fall = waterfall_where(ws, store, warehouse, (name, measure), &file, which)?;
    super::update(&path, wait, |now| now.push_accepted(allowance.clone()))?;
    Ok((allowance.name, fall))
}

/// Signs comparison `name`'s current numbers (the accepted rules and differences) with
/// `note`. Refused when the rules changed while the numbers were read: that would sign
/// numbers nobody saw.
pub fn sign_off(
    ws: &Workspace,
    sides: Sides,
    (name, company): (&str, Option<&str>),
    note: &str,
    wait: &Wait,
) -> Result<Signoff> {
    if note.trim().is_empty() {
        return Err(Error::Usage(
            "a sign-off needs a note: what was agreed, and with whom".into(),
        ));
    }
    let path = super::path_of(&ws.root, name);
    let file = RulesFile::load(&path)?;
    let only: Vec<String> = company.iter().map(|c| c.to_string()).collect();
    let fall = waterfall_scoped(ws, sides, (name, None), &only, &file, &Which::Accepted)?;
    let (by, at) = (super::user(), super::now());
    let who = super::signed::Signing {
        by: &by,
        at: &at,
        note: note.trim(),
        company,
    };
    let signed = super::signed::of(&fall.numbers(), &file, &who);
    super::update(&path, wait, |now| {
        if super::signed::digest(now) != signed.digest {
            return Err(Error::Usage(format!(
                "{}: the rules changed while the numbers were read; sign off again",
                path.display()
            )));
        }
        now.push_signoff(signed.clone())
    })?;
    Ok(signed)
}

/// A name for an accepted difference from its condition, unused in `file`:
/// `"branch" = 'north'` → `difference-branch-north`.
pub fn difference_name(filter: &str, file: &RulesFile) -> String {
    super::free_name("difference", filter, |n| file.name_taken(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_is_named_from_its_condition_and_never_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.toml");
        std::fs::write(
            &path,
            "[[accepted]]\nname = \"difference-branch-north\"\nwhere = \"branch = 'north'\"\n\
             note = \"agreed\"\nby = \"ana\"\nat = \"2026-12-01T10:00:00Z\"\n",
        )
        .unwrap();
        let file = RulesFile::load(&path).unwrap();
        assert_eq!(
            difference_name("\"invoice_type\" = 'VOID'", &file),
            "difference-invoice_type-void"
        );
        assert_eq!(
            difference_name("branch = 'north'", &file),
            "difference-branch-north-2"
        );
        assert_eq!(difference_name("  ", &file), "difference");
    }
}
