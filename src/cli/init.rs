//! `assay init`: propose an `assay.toml` for a folder of legacy exports; on a terminal each
//! choice of the comparison is asked about first, `--yes` takes the proposals.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::init::{Choice, InitOptions, Plan};

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The workspace folder (default: the current one).
    pub dir: Option<PathBuf>,
    /// The folder of legacy exports, relative to the workspace (default: `legacy` if there
    /// is one, else the workspace itself).
    #[arg(long, value_name = "FOLDER")]
    pub from: Option<String>,
    /// The layer table to compare with (`gold.fct_sales`); found by its columns otherwise.
    #[arg(long, value_name = "SCHEMA.TABLE")]
    pub table: Option<String>,
    /// A ClickHouse warehouse holding the layers (HTTP URL), instead of the cache beside the
    /// exports.
    #[arg(long, value_name = "URL", requires = "clickhouse_database")]
    pub clickhouse_url: Option<String>,
    /// The warehouse's database (its layers are <name>_silver, <name>_gold).
    #[arg(long, value_name = "NAME")]
    pub clickhouse_database: Option<String>,
    /// Take every proposal without asking.
    #[arg(long)]
    pub yes: bool,
    /// Replace an existing assay.toml.
    #[arg(long)]
    pub force: bool,
}

/// Show `label` and why, ask `question`, and read the answer (trimmed).
fn answer(label: &str, why: &str, question: &str) -> Result<String> {
    let mut err = std::io::stderr();
    let _ = writeln!(err, "\n{label}\n  why: {why}");
    let _ = write!(err, "  keep? [{question}] ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Runtime(format!("reading the answer: {e}")))?;
    Ok(line.trim().to_string())
}

/// Ask about one choice: Enter keeps it, `n` drops it (when it may be dropped), other text
/// replaces it.
fn ask<T: Clone>(
    label: &str,
    choice: &mut Choice<T>,
    shown: &str,
    parse: &dyn Fn(&str) -> Option<T>,
) -> Result<()> {
    let answer = answer(
        &format!("{label} = {shown}"),
        &choice.why,
        "Enter = yes, or type a replacement",
    )?;
    let answer = answer.as_str();
    if answer.is_empty() || answer.eq_ignore_ascii_case("y") {
        return Ok(());
    }
    match parse(answer) {
        Some(v) => {
            choice.value = v;
            choice.why = "given at `assay init`".into();
            Ok(())
        }
        None => Err(Error::Usage(format!(
            "{label}: `{answer}` is not a value for it"
        ))),
    }
}

/// A comma-separated list; `n` or `none` for none.
fn names(text: &str) -> Option<Vec<String>> {
    if ["n", "no", "none"].contains(&text.to_ascii_lowercase().as_str()) {
        return Some(Vec::new());
    }
    let v: Vec<String> = text
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some(v)
}

/// Ask whether to keep something that may only be kept or left out (Enter keeps it).
fn keep(label: &str, why: &str) -> Result<bool> {
    let said = answer(label, why, "Enter = yes, n = leave it out")?;
    Ok(!matches!(said.to_ascii_lowercase().as_str(), "n" | "no"))
}

fn review(plan: &mut Plan) -> Result<()> {
    for e in &mut plan.exports {
        let mut kept = std::collections::BTreeMap::new();
        for (company, o) in std::mem::take(&mut e.overrides) {
            if keep(&format!("[legacy.{}.overrides.{company}]", e.name), &o.why)? {
                kept.insert(company, o);
            }
        }
        e.overrides = kept;
    }
    for c in &mut plan.comparisons {
        let name = c.name.clone();
        let t = c.table.value.clone();
        ask(
            &format!("comparisons.{name}.table"),
            &mut c.table,
            &t,
            &|s| Some(s.to_string()),
        )?;
        let shown = c.keys.value.join(", ");
        ask(
            &format!("comparisons.{name}.keys"),
            &mut c.keys,
            &shown,
            &names,
        )?;
        let shown = c.measures.value.join(", ");
        ask(
            &format!("comparisons.{name}.measures"),
            &mut c.measures,
            &shown,
            &names,
        )?;
        let shown = c.dimensions.value.join(", ");
        ask(
            &format!("comparisons.{name}.dimensions"),
            &mut c.dimensions,
            &shown,
            &names,
        )?;
        let shown = c.normalize_text.value.to_string();
        ask(
            &format!("comparisons.{name}.normalize_text"),
            &mut c.normalize_text,
            &shown,
            &|s| match s.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "n" | "no" | "false" => Some(false),
                _ => None,
            },
        )?;
    }
    Ok(())
}

pub fn run(args: InitArgs) -> Result<i32> {
    let root = super::sides::base_dir(args.dir)?;
    let path = root.join(crate::config::CONFIG_FILE);
    if path.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} exists; --force replaces it",
            path.display()
        )));
    }
    let folder = args.from.unwrap_or_else(|| {
        if root.join("legacy").is_dir() {
            "legacy".into()
        } else {
            ".".into()
        }
    });
    let warehouse = args.clickhouse_url.as_ref().map(|url| {
        let database = args.clickhouse_database.as_deref().unwrap_or("default");
        crate::config::Warehouse::clickhouse(url, database, 300)
    });
    let opts = InitOptions {
        folder,
        table: args.table,
        warehouse,
    };
    let mut plan = crate::init::propose(&root, &opts)?;
    if !args.yes && std::io::stdin().is_terminal() {
        review(&mut plan)?;
    }
    let text = crate::init::to_toml(&plan);
    let (config, issues) = crate::config::check(&path, &text, &root);
    if config.is_none() || !issues.is_empty() {
        let listed: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        return Err(Error::Runtime(format!(
            "the proposal does not validate (a bug; nothing written):\n{}\n---\n{text}",
            listed.join("\n")
        )));
    }
    std::fs::write(&path, &text)
        .map_err(|e| Error::Runtime(format!("cannot write {}: {e}", path.display())))?;
    println!(
        "Wrote {}: {} companies, {} exports, {} comparisons.",
        path.display(),
        plan.companies.value.len(),
        plan.exports.len(),
        plan.comparisons.len()
    );
    for c in &plan.comparisons {
        println!("Next: assay compare {}", c.name);
    }
    Ok(0)
}
