//! assay's engine: audit data migrations by comparing legacy exports with the layers of a
//! new warehouse.
//!
//! Everything here is free of the terminal and of the command line: the workbench
//! (`assay-workbench`) and the CLI (the `assay` binary) are two drivers of this API.

pub mod build;
pub mod campaign;
pub mod cancel;
pub mod checks;
pub mod config;
pub mod console;
pub mod decimal;
pub mod delta;
pub mod demo;
pub mod dialect;
pub mod drift;
pub mod error;
pub mod extract;
pub mod frame;
pub mod freshness;
pub mod init;
pub mod legacy;
pub mod pii;
pub mod recon;
pub mod redact;
pub mod report;
pub mod rule_kind;
pub mod rules;
pub mod source;
pub mod sql;
pub mod store;
pub mod trace;
pub mod warehouse;
