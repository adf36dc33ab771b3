//! `assay ack`: acknowledge the schema and volume alerts someone has looked at; they stay
//! quiet until a later load raises new ones.

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::freshness::alerts::{self, acknowledge};

#[derive(Debug, clap::Args)]
pub struct AckArgs {
    /// Only this company's alerts.
    #[arg(long)]
    pub company: Option<String>,
    /// Only this entity's alerts.
    #[arg(long)]
    pub entity: Option<String>,
}

/// Who acknowledges: `$ASSAY_USER`, else `$USER`.
fn who() -> String {
    std::env::var("ASSAY_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn run(ws: &Workspace, args: AckArgs) -> Result<i32> {
    // A name that is not one would acknowledge nothing and say "no alert", as if all were
    // quiet.
    if let Some(c) = &args.company {
        if !ws.config.companies.contains_key(c) {
            let known: Vec<&str> = ws.config.companies.keys().map(String::as_str).collect();
            return Err(Error::Usage(format!(
                "--company {c}: no such company in assay.toml (companies: {})",
                known.join(", ")
            )));
        }
    }
    if let Some(e) = &args.entity {
        // Alerts are raised on extracted entities and on built models (`silver.orders`).
        let models = crate::build::models::of_workspace(ws).unwrap_or_default();
        let known = ws.config.entities.contains_key(e)
            || models.iter().any(|m| m.qualified() == *e || m.name == *e);
        if !known {
            let mut names: Vec<String> = ws.config.entities.keys().cloned().collect();
            names.extend(models.iter().map(|m| m.qualified()));
            return Err(Error::Usage(format!(
                "--entity {e}: no such entity or model in this workspace (there are: {})",
                names.join(", ")
            )));
        }
    }
    let store = super::open_cache(ws, crate::store::Access::Write, None)?;
    let f = &ws.config.freshness;
    let current = alerts::alerts(
        store.conn(),
        f.volume_runs.unwrap_or(alerts::VOLUME_RUNS),
        f.volume_threshold.unwrap_or(alerts::VOLUME_THRESHOLD),
    )?;
    let done = acknowledge(
        store.conn(),
        &current,
        args.company.as_deref(),
        args.entity.as_deref(),
        &who(),
    )?;
    if done.is_empty() {
        println!("no alert to acknowledge");
    }
    for a in &done {
        println!(
            "acknowledged {} {} {}: {}",
            a.company, a.entity, a.kind, a.message
        );
    }
    Ok(0)
}
