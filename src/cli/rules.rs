//! `assay rules NAME [suggest | accept RULE | reject RULE]`: the rules lab from the shell.

use polars::prelude::Column;

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::frame::{self, exact_column, text_column, Format};
use crate::recon::configured;
use crate::recon::explain::{explain, lookups_of, Options};
use crate::rules::export::{Model, Target};
use crate::rules::{self, RulesFile, Status, Waterfall, Which};

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// A comparison of assay.toml; its rules live in rules/NAME.toml.
    pub name: String,
    #[command(subcommand)]
    pub action: Option<Action>,
    /// Apply proposed rules too, as if accepted.
    #[arg(long, global = true)]
    pub all: bool,
    /// Exit 0 when what remains is within the comparison's tolerance, 1 otherwise (CI).
    #[arg(long)]
    pub check: bool,
    /// The measure (the comparison's first by default).
    #[arg(long)]
    pub measure: Option<String>,
    /// One company's numbers only: its waterfall, its check, its sign-off.
    #[arg(long, value_name = "C")]
    pub company: Option<String>,
    #[arg(long, global = true, value_parser = super::format_parser(), default_value = "table")]
    pub format: Format,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Add explain's causes as proposed rules (never accepted automatically).
    Suggest {
        /// How many causes to turn into rules at most.
        #[arg(long, default_value_t = 15)]
        top: usize,
    },
    /// Accept a rule: it takes part in the waterfall and the check.
    Accept {
        rule: String,
        #[arg(long)]
        note: String,
    },
    /// Reject a rule: it stays in the file, out of the waterfall.
    Reject {
        rule: String,
        #[arg(long)]
        note: String,
    },
    /// Record a difference accepted rather than fixed: the new side's rows `--where`
    /// selects (after the rules), agreed as they are; counted apart from the rules.
    AcceptDifference {
        name: String,
        #[arg(long = "where", value_name = "SQL")]
        filter: String,
        #[arg(long)]
        note: String,
    },
    /// The accepted rules as SQL over the comparison's table: one SELECT to make the model
    /// agree with legacy, each rule's note as a comment.
    Export {
        #[arg(long, value_parser = ["duckdb", "clickhouse", "dbt"], default_value = "duckdb")]
        dialect: String,
    },
}

pub fn run(ws: &Workspace, args: RulesArgs) -> Result<i32> {
    let name = &args.name;
    if !ws.config.comparisons.contains_key(name) {
        return Err(Error::Usage(format!(
            "no comparison `{name}` in assay.toml"
        )));
    }
    let path = rules::path_of(&ws.root, name);
    let mut file = RulesFile::load(&path)?;
    match &args.action {
        Some(Action::Accept { rule, note }) => {
            return decide(ws, &path, rule, Status::Accepted, note)
        }
        Some(Action::Reject { rule, note }) => {
            return decide(ws, &path, rule, Status::Rejected, note)
        }
        Some(Action::Export { dialect }) => return export(ws, name, &file, dialect, args.all),
        _ => {}
    }
    let only: Vec<String> = args.company.iter().cloned().collect();
    if !only.is_empty() && args.action.is_some() {
        return Err(Error::Usage(
            "--company scopes the waterfall, --check and signoff; suggest, accept, reject and \
             accept-difference act on the whole comparison's rules file"
                .into(),
        ));
    }
    let store = super::open_for_compare(ws, name, &only)?;
    let fall = match &args.action {
        Some(Action::AcceptDifference {
            name: what,
            filter,
            note,
        }) => {
            let warehouse = super::connect_warehouse(ws)?;
            let difference = rules::decision::Difference {
                name: Some(what.clone()),
                filter: filter.clone(),
                note: note.clone(),
            };
            let (saved, fall) = rules::decision::accept_difference(
                ws,
                (&store, warehouse.as_ref()),
                (name, args.measure.as_deref()),
                &Which::of_all(args.all),
                &difference,
                &writers_wait(ws),
            )?;
            eprintln!("{}: difference `{saved}` accepted", path.display());
            fall
        }
        Some(Action::Suggest { top }) => {
            suggest(ws, &store, (name, args.measure.as_deref()), &mut file, *top)?;
            fall_of(
                ws,
                &store,
                (name, args.measure.as_deref()),
                &[],
                &file,
                args.all,
            )?
        }
        _ => fall_of(
            ws,
            &store,
            (name, args.measure.as_deref()),
            &only,
            &file,
            args.all,
        )?,
    };
    print(&fall, args.format)?;
    Ok(if args.check && !fall.within_tolerance {
        1
    } else {
        0
    })
}

/// How a writer of a rules file waits for another: told on stderr, for the workspace's wait.
fn writers_wait(ws: &Workspace) -> crate::store::Wait {
    crate::store::Wait::for_workspace(ws).notify(|m| eprintln!("note: {m}"))
}

/// explain's causes added to the rules file as proposed rules (`rules NAME suggest`); the
/// in-memory `file` follows, so the waterfall printed next shows them.
fn suggest(
    ws: &Workspace,
    store: &crate::store::Store,
    (name, measure): (&str, Option<&str>),
    file: &mut RulesFile,
    top: usize,
) -> Result<()> {
    let (spec, agreeing) = configured::prepare_with_groups(ws, store, name, &[])?;
    let m = spec.measure(measure)?;
    let opts = Options {
        top,
        lookups: lookups_of(store.conn(), &spec, ws, name)?,
        agreeing,
    };
    let causes = explain(store.conn(), &spec, &m.name, &opts)?.causes;
    let (by, at) = (rules::user(), rules::now());
    let done = rules::update(&file.path, &writers_wait(ws), |f| {
        Ok(rules::suggest(f, &causes, &by, &at))
    })?;
    *file = RulesFile::load(&file.path)?;
    eprintln!(
        "{}: {} proposed rule(s) added{}",
        file.path.display(),
        done.added.len(),
        if done.added.is_empty() {
            String::new()
        } else {
            format!(": {}", done.added.join(", "))
        }
    );
    for (predicate, why) in &done.passed_over {
        eprintln!("not suggested: {predicate}: {why}");
    }
    Ok(())
}

/// The waterfall, wherever the new side lives: the rules applied in the cache, or in the
/// ClickHouse warehouse.
fn fall_of(
    ws: &Workspace,
    store: &crate::store::Store,
    (name, measure_name): (&str, Option<&str>),
    only: &[String],
    file: &RulesFile,
    all: bool,
) -> Result<Waterfall> {
    let warehouse = super::connect_warehouse(ws)?;
    let which = Which::of_all(all);
    rules::waterfall_scoped(
        ws,
        (store, warehouse.as_ref()),
        (name, measure_name),
        only,
        file,
        &which,
    )
}

fn export(ws: &Workspace, name: &str, file: &RulesFile, dialect: &str, all: bool) -> Result<i32> {
    let target = Target::parse(dialect)
        .ok_or_else(|| Error::Usage(format!("--dialect {dialect}: duckdb, clickhouse or dbt")))?;
    let comparison = &ws.config.comparisons[name];
    let store = super::open_for_compare(ws, name, &[])?;
    let taking_part = rules::taking_part(file, all);
    let mut in_warehouse = None;
    let (table, columns) = match super::connect_warehouse(ws)? {
        Some(ch) => {
            let w = crate::recon::remote::in_warehouse(ws, &ch, &store, name, &[])?;
            if target == Target::ClickHouse {
                // Runnable on this warehouse as printed: the lookups the rules read are
                // uploaded there and named by its databases.
                in_warehouse = Some(rules::remote::for_warehouse(
                    &ch,
                    store.conn(),
                    &taking_part,
                )?);
            }
            (w.table, w.columns)
        }
        None => {
            let table = crate::recon::Relation::describe(
                store.conn(),
                &crate::sql::qualified(&comparison.table),
            )
            .map_err(|e| {
                Error::Usage(format!(
                    "comparisons.{name}.table: {e} (has it been built?)"
                ))
            })?;
            (comparison.table.clone(), table.columns)
        }
    };
    let keys: Vec<String> = comparison
        .keys
        .iter()
        .map(|k| {
            comparison
                .columns
                .get(k)
                .cloned()
                .unwrap_or_else(|| k.clone())
        })
        .collect();
    let model = Model {
        comparison: name,
        table: &table,
        columns: &columns,
        keys: &keys,
    };
    let chosen: Vec<&rules::Rule> = match &in_warehouse {
        Some(qualified) => qualified.iter().collect(),
        None => taking_part,
    };
    print!("{}", rules::export::export(&chosen, &model, target)?);
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub struct SignoffArgs {
    /// A comparison of assay.toml.
    pub name: String,
    /// What was agreed, and with whom.
    #[arg(long)]
    pub note: String,
    /// Sign one company's numbers (it goes stale when they move; others are unaffected).
    #[arg(long, value_name = "C")]
    pub company: Option<String>,
}

/// `assay signoff NAME --note …`: the current numbers (accepted rules only) signed.
pub fn signoff(ws: &Workspace, args: SignoffArgs) -> Result<i32> {
    let name = &args.name;
    if !ws.config.comparisons.contains_key(name) {
        return Err(Error::Usage(format!(
            "no comparison `{name}` in assay.toml"
        )));
    }
    let only: Vec<String> = args.company.iter().cloned().collect();
    let store = super::open_for_compare(ws, name, &only)?;
    let warehouse = super::connect_warehouse(ws)?;
    let signed = rules::decision::sign_off(
        ws,
        (&store, warehouse.as_ref()),
        (name, args.company.as_deref()),
        &args.note,
        &writers_wait(ws),
    )?;
    let of = signed
        .company
        .as_ref()
        .map_or(String::new(), |c| format!(" for {c}"));
    eprintln!(
        "{}: signed off{of} by {}: gap {}, remaining {}, unexplained {}",
        rules::path_of(&ws.root, name).display(),
        signed.by,
        signed.gap_before,
        signed.remaining,
        signed.unexplained
    );
    Ok(0)
}

fn decide(
    ws: &Workspace,
    path: &std::path::Path,
    rule: &str,
    status: Status,
    note: &str,
) -> Result<i32> {
    let (by, at) = (rules::user(), rules::now());
    rules::update(path, &writers_wait(ws), |f| {
        f.decide(rule, status, note, &by, &at)
    })?;
    eprintln!("{}: `{rule}` {}", path.display(), status.as_str());
    Ok(0)
}

fn print(fall: &Waterfall, format: Format) -> Result<()> {
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(fall).expect("plain JSON")
        );
        return Ok(());
    }
    let steps = &fall.steps;
    let mut df = frame::from_columns(vec![
        text_column("rule", steps, |s| s.rule.clone()),
        text_column("kind", steps, |s| s.kind.as_str().to_string()),
        text_column("status", steps, |s| s.status.as_str().to_string()),
        Column::new(
            "rows".into(),
            steps.iter().map(|s| s.rows).collect::<Vec<i64>>(),
        ),
        exact_column("delta", steps, |s| s.delta),
        exact_column("gap_after", steps, |s| s.gap_after),
        Column::new(
            "closed_pct".into(),
            steps
                .iter()
                .map(|s| (s.cumulative_share * 1000.0).round() / 10.0)
                .collect::<Vec<f64>>(),
        ),
    ])?;
    if format == Format::Table {
        let of = fall
            .company
            .as_ref()
            .map_or(String::new(), |c| format!(" ({c})"));
        println!(
            "{}{of} {}: gap before any rule {}",
            fall.comparison, fall.measure, fall.gap_before
        );
    }
    frame::write(&mut df, format, &mut std::io::stdout())?;
    if format == Format::Table {
        let verdict = if fall.within_tolerance {
            "within tolerance"
        } else {
            "out of tolerance"
        };
        let which = if fall.proposed_included {
            "accepted and proposed"
        } else {
            "accepted"
        };
        println!("remaining after the {which} rules: {}", fall.remaining);
        for a in &fall.accepted {
            println!(
                "accepted difference {}: {} rows, {} ({}; {}, {})",
                a.name, a.rows, a.delta, a.note, a.by, a.at
            );
        }
        println!("unexplained: {} ({verdict})", fall.unexplained);
        if let Some(s) = &fall.signoff {
            let how = if s.changed.is_empty() {
                "current".to_string()
            } else {
                format!("STALE: {}", rules::signed::Change::list(&s.changed, "; "))
            };
            println!(
                "signed off by {} at {} ({}): {how}",
                s.signoff.by, s.signoff.at, s.signoff.note
            );
        }
    }
    Ok(())
}
