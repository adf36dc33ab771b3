//! What the accepted rules leave, taken from the last record when nothing it rests on has
//! changed: the same rules and settings, the same build of the table, the same legacy
//! files, the same totals per company. A cron compare with nothing new then pays nothing for the rules (one
//! pass over the new side, and a join per accepted difference: 1.7 s at 6M rows).
//!
//! A rule that reads another table (`IN (SELECT … FROM lookups.blocklist)`) could give
//! other numbers with nothing here changed, so such rules are always applied again.

use std::collections::BTreeMap;

use super::history::{self, Filter};
use super::record::{BuildRead, CompanyRun};
use crate::config::Workspace;
use crate::decimal::Exact;
use crate::dialect::guard::reads_tables;
use crate::error::Result;
use crate::rules::{self, RulesFile};

/// Per company, (remaining, unexplained) from the latest good record of `name`, when it
/// was made on exactly what `now` was read from; None when anything differs.
pub fn unchanged(
    ws: &Workspace,
    (name, cmp): (&str, &crate::config::Comparison),
    file: &RulesFile,
    (build, now): (&Option<BuildRead>, &[CompanyRun]),
) -> Result<Option<BTreeMap<String, (Exact, Exact)>>> {
    if reads_other_tables(file) || build.is_none() {
        return Ok(None);
    }
    let runs = history::load(ws, name, &Filter::default())?;
    let Some(last) = runs.iter().find(|r| r.ok()) else {
        return Ok(None);
    };
    let same = last.rules.digest == rules::signed::digest(file)
        && last.build == *build
        && last.settings == super::record::settings_of(cmp);
    if !same {
        return Ok(None);
    }
    let mut out = BTreeMap::new();
    for c in now {
        let Some(was) = last.company(&c.company) else {
            return Ok(None);
        };
        let same_files = matches!((&was.legacy, &c.legacy), (Some(a), Some(b)) if a.fingerprint == b.fingerprint);
        if !same_files || was.measures != c.measures {
            return Ok(None);
        }
        out.insert(c.company.clone(), (was.remaining, was.unexplained));
    }
    Ok(Some(out))
}

/// Whether a taking-part rule or an accepted difference reads a table in its SQL.
fn reads_other_tables(file: &RulesFile) -> bool {
    let rules = rules::taking_part(file, false);
    let texts = rules
        .iter()
        .flat_map(|r| std::iter::once(&r.filter).chain(r.set.values()))
        .chain(file.accepted.iter().map(|a| &a.filter));
    texts.into_iter().any(|t| reads_tables(t))
}
