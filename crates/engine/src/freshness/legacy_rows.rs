//! Legacy exports in the freshness report (layer `legacy`): each company's export, as old
//! as its newest file, with the rows last imported, judged by the export's own
//! `warn_after`/`error_after` (none: never stale, since a retired system's export may be
//! meant to stay as it is).

use chrono::NaiveDateTime;
use duckdb::Connection;

use super::{judge, Row, Status};
use crate::config::Workspace;
use crate::error::Result;
use crate::legacy::age;

/// The companies an export is compared for: those of the comparisons reading it, or every
/// company when none does.
fn companies_of(ws: &Workspace, export: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cmp in ws
        .config
        .comparisons
        .values()
        .filter(|c| c.legacy == export)
    {
        let of = match cmp.companies.is_empty() {
            true => ws.config.companies.keys().cloned().collect(),
            false => cmp.companies.clone(),
        };
        for c in of {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    if out.is_empty() {
        out = ws.config.companies.keys().cloned().collect();
    }
    out.sort();
    out
}

pub fn rows(ws: &Workspace, conn: &Connection, now: NaiveDateTime) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for (export, def) in &ws.config.legacy {
        for company in companies_of(ws, export) {
            let a = age::of(ws, conn, export, &company)?;
            let mut row = Row {
                company: company.clone(),
                entity: export.clone(),
                layer: "legacy".into(),
                table: format!("legacy.{export}"),
                loaded_at: a.newest,
                age_seconds: a.newest.map(|t| (now - t).num_seconds().max(0)),
                rows: a.rows,
                status: Status::Ok,
                note: String::new(),
                last_attempt: None,
            };
            match row.age_seconds {
                Some(s) => {
                    row.status = judge(s, def.warn_after, def.error_after);
                    if a.rows.is_none() {
                        row.note = "not imported yet (a compare imports it)".into();
                    }
                }
                None if def.source.is_some() => {
                    row.note = "read from its source at every compare; not read yet".into();
                }
                None => {
                    row.status = Status::Error;
                    row.note = format!(
                        "no file matches {}",
                        def.files.replace("{company}", &company)
                    );
                }
            }
            out.push(row);
        }
    }
    Ok(out)
}
