//! The warehouse that holds bronze, silver and gold: the DuckDB cache itself (the embedded
//! default), or ClickHouse when the data outgrows one machine.

pub mod bronze;
pub mod clickhouse;

pub use self::clickhouse::{ClickHouse, Wire};
