//! `assay.toml`: types, discovery, validation with key paths and line numbers.

mod duration;
mod load;
mod locate;
mod model;
mod validate;
mod zone;

pub use duration::Duration;
pub use load::{check, read_text, Workspace, CONFIG_FILE};
pub use model::*;
pub use validate::{infer_format, table_problem, ENCODINGS, LAYERS};
pub use zone::offset_minutes;
