//! assay: audit data migrations by comparing legacy exports with the layers of a new
//! warehouse.
//!
//! The engine (config, store, frame, extract, recon, browse, ...) knows nothing about the
//! terminal; `cli` (the command line) and `tui` (the workbench) are two drivers of it, and
//! only `tui` imports ratatui, crossterm or tui-textarea.

pub mod bench;
pub mod browse;
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
pub mod trace;
pub mod tui;
pub mod warehouse;
