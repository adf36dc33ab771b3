//! `assay validate`

use std::path::PathBuf;

use crate::config::{check, CONFIG_FILE};
use crate::error::{ConfigIssue, Error, IoContext, Result};
use crate::frame::{self, text_column, Format};
use polars::prelude::{Column, DataFrame};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// How to print the problems (columns: file, key, line, column, message).
    #[arg(long, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

pub fn run(dir: Option<PathBuf>, args: ValidateArgs) -> Result<i32> {
    // Validation must work on a config too broken to load, so find the file, then check it.
    let start = match dir {
        Some(d) => d,
        None => std::env::current_dir().io_context(|| "current folder".into())?,
    };
    let root = start
        .canonicalize()
        .io_context(|| format!("cannot open folder {}", start.display()))?
        .ancestors()
        .find(|d| d.join(CONFIG_FILE).is_file())
        .map(PathBuf::from)
        .ok_or_else(|| {
            Error::Usage(format!(
                "no {CONFIG_FILE} in {} or any parent folder",
                start.display()
            ))
        })?;
    let path = root.join(CONFIG_FILE);
    let text = crate::config::read_text(&path)?;
    let (config, mut issues) = check(&path, &text, &root);
    if let Some(c) = &config {
        issues.extend(cache_issues(&path, &text, &root, c));
    }
    if args.format != Format::Table {
        let mut df = issues_frame(&issues)?;
        frame::write(&mut df, args.format, &mut std::io::stdout())?;
    } else if issues.is_empty() {
        let c = config.expect("no issues means the config was read");
        println!(
            "{} is valid: {} companies, {} sources, {} entities, {} legacy exports, {} comparisons.",
            path.display(),
            c.companies.len(),
            c.sources.len(),
            c.entities.len(),
            c.legacy.len(),
            c.comparisons.len()
        );
    } else {
        for issue in &issues {
            println!("{issue}");
        }
        eprintln!("{} problem(s) in {}", issues.len(), path.display());
    }
    Ok(if issues.is_empty() { 0 } else { 2 })
}

/// Columns marked `pii` that the cache's tables do not have (nothing before the cache
/// exists, or when nothing is marked).
fn cache_issues(
    path: &std::path::Path,
    text: &str,
    root: &std::path::Path,
    c: &crate::config::Config,
) -> Vec<ConfigIssue> {
    let cache = root.join(&c.workspace.cache);
    let marked = crate::config::pii_lists(c)
        .iter()
        .any(|(_, _, cols)| !cols.is_empty());
    if !marked || !cache.is_file() {
        return Vec::new();
    }
    let wait = crate::store::Wait::quiet(std::time::Duration::from_secs(10));
    let found = crate::store::Store::open_with(&cache, crate::store::Access::Read, &wait)
        .and_then(|store| crate::pii::unknown_columns(c, store.conn()));
    match found {
        Ok(findings) => crate::config::issues_at(path, text, findings),
        Err(e) => {
            eprintln!("note: personal columns not checked against the cache: {e}");
            Vec::new()
        }
    }
}

fn issues_frame(issues: &[ConfigIssue]) -> Result<DataFrame> {
    frame::from_columns(vec![
        text_column("file", issues, |i| i.file.display().to_string()),
        text_column("key", issues, |i| i.key.clone()),
        Column::new(
            "line".into(),
            issues.iter().map(|i| i.line as u64).collect::<Vec<u64>>(),
        ),
        Column::new(
            "column".into(),
            issues.iter().map(|i| i.column as u64).collect::<Vec<u64>>(),
        ),
        text_column("message", issues, |i| i.message.clone()),
    ])
}
