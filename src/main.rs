//! The `assay` binary: the command line, a thin driver of the engine (`assay-engine`) that
//! also opens the workbench (`assay-workbench`).

mod cli;

// The engine's and the workbench's modules under the names the CLI uses for them.
use assay_engine::{
    build, checks, config, console, demo, error, extract, frame, freshness, init, legacy, recon,
    rules, sql, store, trace, warehouse,
};
use assay_workbench as workbench;

fn main() {
    std::process::exit(cli::main());
}
