//! Reconciliation: keyed compares of two relations, column classes, whole-row set
//! compares and schema differences. All work happens in SQL inside DuckDB; only summaries
//! and the rows asked for come back, as polars frames.

pub mod adhoc;
pub mod adhoc_delta;
pub mod breakdown;
pub mod class;
pub mod columns;
pub mod configured;
pub mod drill_row;
pub mod equality;
pub mod explain;
pub mod gate;
pub mod groups;
pub mod lookups;
pub mod narrow;
pub mod pushdown;
pub mod relation;
pub mod remote;
pub mod report;
pub mod reshape;
pub mod rows;
pub mod rows_out;
pub mod schema;
pub mod scope;
pub mod side_row;
pub mod spec;
pub mod summary;
pub mod waterfall;
pub mod workbench;

pub use class::{ClassFilter, RowClass, RowOrder};
pub use columns::KeyedPair;
pub use equality::Rules;
pub use relation::Relation;
