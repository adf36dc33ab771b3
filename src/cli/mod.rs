//! The command line: one file per subcommand, all of them thin drivers of the engine.

mod ack;
mod build;
mod campaign;
mod compare;
mod demo;
mod explain;
mod extract;
mod freshness;
mod init;
mod models;
mod progress;
mod report_text;
mod rules;
mod runs;
mod sides;
mod sql;
mod status;
mod test;
mod ticket;
mod tui;
mod validate;
mod waterfall;

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use crate::config::Workspace;
use crate::error::{Error, Result};

#[derive(Debug, Parser)]
#[command(
    name = "assay",
    version,
    about = "A terminal workbench for auditing data migrations",
    long_about = "assay puts legacy exports (CSV from spreadsheets, Qlik, pandas) beside the \
bronze, silver and gold layers of a new warehouse, and finds where and why their numbers differ.\n\n\
A workspace is a folder with an assay.toml; assay finds it by walking up from the current \
folder, like cargo, or takes it from -C DIR. Start with `assay demo ./demo` to get one.",
    after_help = "Exit codes: 0 ok, 1 a check failed or a measure is out of tolerance, \
2 usage or configuration error, 3 runtime error (source, server, I/O)."
)]
pub struct Cli {
    /// Run as if assay was started in DIR.
    #[arg(short = 'C', long = "dir", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a demo workspace: 8 companies, source data, legacy exports and models with a
    /// planted gap between legacy and gold.
    Demo(demo::DemoArgs),
    /// Propose an assay.toml for a folder of legacy exports (and the cache beside them):
    /// companies, formats, header renames, the comparison; each choice says why.
    Init(init::InitArgs),
    /// Extract company data from the sources into versioned bronze tables.
    Extract(extract::ExtractArgs),
    /// Build the silver and gold models in dependency order (or run layers.build_command).
    Build(build::BuildArgs),
    /// Every model (SQL files, or the dbt project's manifest) in build order: what it reads,
    /// its last build, its tests.
    Models(models::ModelsArgs),
    /// Freshness of every company × entity × layer from the catalog (exit 0 fresh, 1 warn,
    /// 2 error): made for cron over SSH.
    Freshness(freshness::FreshnessArgs),
    /// Every company's health on one screen: a row per company, a cell per entity and
    /// layer (`ok`, `warn 2d`, `ERR 3d`, `FAIL`), problems first (exit = the worst state).
    Status(status::StatusArgs),
    /// Acknowledge the schema and volume alerts (of a company, an entity, or all): quiet
    /// until a later load raises new ones.
    Ack(ack::AckArgs),
    /// The run history (extractions, builds, test runs), newest first.
    Runs(runs::RunsArgs),
    /// Run the data tests of assay.toml per company (exit 0 pass, 1 warn, 2 fail, 3 error).
    Test(test::TestArgs),
    /// Compare a legacy export with a layer table: totals, row and column classes, the
    /// delta by dimension (exit 1 when a measure is out of tolerance).
    Compare(compare::CompareArgs),
    /// The causes of a comparison's gap, found one after another on what the ones above
    /// leave, each with a candidate legacy rule; and what no cause explains.
    Explain(explain::ExplainArgs),
    /// A comparison's legacy rules (rules/NAME.toml): the gap after each accepted rule, the
    /// remainder (`--check`: exit 1 when out of tolerance); `suggest`, `accept`, `reject`.
    Rules(rules::RulesArgs),
    /// A comparison's recorded compares, newest first: totals, gap, unexplained, what changed
    /// between runs (rules accepted, legacy replaced, table rebuilt), the gap's trend.
    History(campaign::HistoryArgs),
    /// One row per comparison × company: latest numbers, tolerance, sign-off, trend (exit 0
    /// all within tolerance and signed off, 1 some open, 2 some stale or failing).
    Parity(campaign::ParityArgs),
    /// Sign off a comparison's current numbers (gap, rules, remainder) in its rules file; a
    /// later change shows the sign-off as stale.
    Signoff(rules::SignoffArgs),
    /// The ticket of a comparison: totals, the rules waterfall, each rule with its note and
    /// author, accepted differences, what remains, sample rows, sign-offs (md, html, json).
    Report(ticket::ReportArgs),
    /// Per company, rows, distinct keys and the measure at every layer a comparison's table
    /// is built through (extraction → bronze → silver → gold), beside legacy.
    Waterfall(waterfall::WaterfallArgs),
    /// Check assay.toml and list every problem with its key and line (exit 2 if any).
    Validate(validate::ValidateArgs),
    /// Run SQL on the cache, with the warehouse attached.
    Sql(sql::SqlArgs),
    /// Open the workbench (the same as `assay` with no command, in a workspace).
    Tui(tui::TuiArgs),
    /// Render every workbench screen on this workspace to SVG pictures (for the README).
    Screenshots(tui::ScreenshotsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Parse arguments, run the command, and return the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let json = cli.command.as_ref().is_some_and(Command::wants_json);
    let result = run(cli);
    for notice in crate::store::notice::take() {
        eprintln!(
            "note: {}",
            crate::frame::printable(&crate::redact::text(&notice), true)
        );
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            // A message can quote a URL (credentials masked) or a value from the data
            // (control characters shown, not obeyed).
            let message = crate::frame::printable(&crate::redact::text(&e.to_string()), true);
            eprintln!("error: {message}");
            if json {
                // A script reading the JSON gets the failure in it, not an empty stream.
                let body = serde_json::json!({
                    "error": {"message": message, "exit_code": e.exit_code()}
                });
                println!("{body}");
            }
            e.exit_code()
        }
    }
}

impl Command {
    /// Whether the command was asked for JSON output (`--format json`).
    fn wants_json(&self) -> bool {
        let format = match self {
            Command::Extract(a) => a.format,
            Command::Build(a) => a.format,
            Command::Models(a) => a.format,
            Command::Freshness(a) => a.format,
            Command::Status(a) => a.format,
            Command::Test(a) => a.format,
            Command::Runs(a) => a.format,
            Command::Compare(a) => a.format,
            Command::Explain(a) => a.format,
            Command::Validate(a) => a.format,
            Command::Waterfall(a) => a.format,
            Command::Sql(a) => a.format,
            Command::History(a) => a.format,
            Command::Parity(a) => a.format,
            _ => return false,
        };
        format == crate::frame::Format::Json
    }
}

fn run(cli: Cli) -> Result<i32> {
    let dir = cli.dir.clone();
    match cli.command {
        // In a workspace the workbench opens; elsewhere, the help says where to start.
        None => match workspace(dir) {
            // In a script (no terminal) there is nothing to open: show the commands instead.
            Ok(ws) if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
                tui::run(ws, tui::TuiArgs::default(), None)
            }
            Ok(_) => {
                Cli::command()
                    .print_help()
                    .map_err(|e| Error::Runtime(e.to_string()))?;
                Ok(0)
            }
            Err(Error::Usage(_)) => {
                Cli::command()
                    .print_help()
                    .map_err(|e| Error::Runtime(e.to_string()))?;
                Ok(0)
            }
            Err(e) => Err(e),
        },
        Some(Command::Tui(args)) => tui::open(dir, args),
        Some(Command::Screenshots(args)) => tui::screenshots(workspace(dir)?, args),
        Some(Command::Demo(args)) => demo::run(args),
        Some(Command::Init(args)) => init::run(args),
        Some(Command::Extract(args)) => extract::run(&workspace(dir.clone())?, args),
        Some(Command::Build(args)) => build::run(&workspace(dir.clone())?, args),
        Some(Command::Models(args)) => models::run(&workspace(dir.clone())?, args),
        Some(Command::Freshness(args)) => freshness::run(&workspace(dir.clone())?, args),
        Some(Command::Status(args)) => status::run(&workspace(dir.clone())?, args),
        Some(Command::Test(args)) => test::run(&workspace(dir.clone())?, args),
        Some(Command::Runs(args)) => runs::run(&workspace(dir.clone())?, args),
        Some(Command::Ack(args)) => ack::run(&workspace(dir.clone())?, args),
        Some(Command::Compare(args)) => compare::run(dir.clone(), args),
        Some(Command::Explain(args)) => explain::run(dir.clone(), args),
        Some(Command::Rules(args)) => rules::run(&workspace(dir.clone())?, args),
        Some(Command::History(args)) => campaign::history(&workspace(dir.clone())?, args),
        Some(Command::Parity(args)) => campaign::parity(&workspace(dir.clone())?, args),
        Some(Command::Signoff(args)) => rules::signoff(&workspace(dir.clone())?, args),
        Some(Command::Report(args)) => ticket::run(&workspace(dir.clone())?, args),
        Some(Command::Validate(args)) => validate::run(dir, args),
        Some(Command::Waterfall(args)) => waterfall::run(&workspace(dir)?, args),
        Some(Command::Sql(args)) => sql::run(&workspace(dir)?, args),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "assay", &mut std::io::stdout());
            Ok(0)
        }
    }
}

/// `--format`'s values, from the engine's list of report formats.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = crate::frame::Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(crate::frame::Format::ALL.map(|(_, name)| name))
        .try_map(|name| name.parse::<crate::frame::Format>())
}

/// The workspace for this invocation: `-C DIR` or the current folder and its parents.
pub fn workspace(dir: Option<PathBuf>) -> Result<Workspace> {
    let start = match dir {
        Some(d) => d,
        None => {
            std::env::current_dir().map_err(|e| Error::Runtime(format!("current folder: {e}")))?
        }
    };
    Workspace::discover(&start)
}

/// The workspace's cache opened for `access`. When another process's work holds it, the
/// command says so on stderr and waits its turn (`workspace.cache_wait`); `cancel`, when
/// given, ends the wait (Ctrl-C).
pub fn open_cache(
    ws: &Workspace,
    access: crate::store::Access,
    cancel: Option<std::sync::Arc<crate::extract::Cancel>>,
) -> Result<crate::store::Store> {
    let cancel = cancel.unwrap_or_else(interrupt);
    let wait = crate::store::Wait::for_workspace(ws)
        .notify(|m| eprintln!("note: {m}"))
        .cancel(cancel.clone());
    let store = crate::store::Store::open_with(&ws.cache_path(), access, &wait)?;
    // Ctrl-C interrupts the statement this connection runs: the command ends as cancelled
    // (exit 3) through its own error path, which records what it was doing.
    cancel.register(store.interrupt_handle());
    cap_memory(&store)?;
    // The lookups accepted rules read (`rules/lookups/`); a file that cannot be read is
    // said, and only the rules naming it fail.
    if let Err(e) = crate::recon::lookups::define_kept(store.conn(), &ws.root) {
        eprintln!("note: {e}");
    }
    Ok(store)
}

/// The process's Ctrl-C: the first press cancels the work (DuckDB statements interrupted,
/// ClickHouse queries killed, waits ended) so the command records what it was doing and
/// exits 3; a second press ends the process at once (exit 130), and the next open of the
/// cache recovers whatever was left `running`.
pub fn interrupt() -> std::sync::Arc<crate::extract::Cancel> {
    static HANDLER: std::sync::Once = std::sync::Once::new();
    HANDLER.call_once(|| {
        let on_interrupt = crate::cancel::process();
        let presses = std::sync::atomic::AtomicU32::new(0);
        let _ = ctrlc::set_handler(move || {
            if presses.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
                eprintln!("interrupted again: ending now");
                std::process::exit(130);
            }
            eprintln!("cancelling… (Ctrl-C again to end at once)");
            on_interrupt.cancel();
        });
    });
    crate::cancel::process()
}

/// The `[warehouse]` ClickHouse, when there is one, its queries killed on Ctrl-C.
pub fn connect_warehouse(ws: &Workspace) -> Result<Option<crate::warehouse::ClickHouse>> {
    let warehouse = crate::warehouse::connect(&ws.config.warehouse)?;
    if let Some(ch) = &warehouse {
        ch.watch(Some(interrupt()));
    }
    Ok(warehouse)
}

/// DuckDB's memory as `ASSAY_MEMORY_LIMIT` caps it (DuckDB's own default, 80% of the
/// machine's memory, otherwise): a cron job beside the workbench can be kept small.
pub fn cap_memory(store: &crate::store::Store) -> Result<()> {
    match std::env::var("ASSAY_MEMORY_LIMIT") {
        Ok(limit) if !limit.trim().is_empty() => {
            crate::store::set_memory_limit(store.conn(), &limit)
        }
        _ => Ok(()),
    }
}

/// The cache opened to compare `name`: read-only, after importing changed legacy files.
pub fn open_for_compare(
    ws: &Workspace,
    name: &str,
    only: &[String],
) -> Result<crate::store::Store> {
    crate::recon::configured::open_for_compare(ws, name, only, |access| {
        open_cache(ws, access, None)
    })
}
