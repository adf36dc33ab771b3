//! One module per screen: its state, what its keys do, and how it draws.

pub mod compare;
pub mod drill;
mod drill_causes;
pub mod history;
pub mod layers;
pub mod models;
pub mod rules;
pub mod sources;
pub mod sql;
pub mod waterfall;

pub use crate::prompt::Prompt;
