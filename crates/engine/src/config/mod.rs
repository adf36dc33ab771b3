//! `assay.toml`: types, discovery, validation with key paths and line numbers.

mod comparison;
pub mod duration;
pub mod fixed;
mod gate;
mod instant;
mod load;
mod locate;
mod model;
mod tables;
mod validate;
mod validate_delta;
mod validate_legacy;
mod validate_pii;
mod validate_sources;
mod validate_tests;
mod zone;

pub use comparison::*;
pub use duration::Duration;
pub use fixed::{DualAs, FixedColumn, LegacyKind};
pub use gate::Gate;
pub use instant::parse_timestamp;
pub use load::{check, issues_at, read_text, Workspace, CONFIG_FILE};
pub use model::*;
pub use tables::{table_problem, LAYERS};
pub use validate::{date_fields_known, infer_format, ENCODINGS};
pub use validate_pii::lists as pii_lists;
pub use zone::offset_minutes;
