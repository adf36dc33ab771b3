//! assay: audit data migrations by comparing legacy exports with the layers of a new
//! warehouse.
//!
//! The engine (config, store, frame, demo, ...) knows nothing about the terminal; `cli`
//! drives it from the command line.

pub mod bench;
pub mod build;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod frame;
pub mod freshness;
pub mod legacy;
pub mod recon;
pub mod source;
pub mod sql;
pub mod store;
