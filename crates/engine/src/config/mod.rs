//! `assay.toml`: types, discovery, validation with key paths and line numbers.

mod duration;
pub mod fixed;
mod load;
mod locate;
mod model;
mod tables;
mod validate;
mod validate_tests;
mod zone;

pub use duration::Duration;
pub use fixed::{DualAs, FixedColumn, LegacyKind};
pub use load::{check, read_text, Workspace, CONFIG_FILE};
pub use model::*;
pub use tables::{table_problem, LAYERS};
pub use validate::{date_fields_known, infer_format, ENCODINGS};
pub use zone::offset_minutes;
