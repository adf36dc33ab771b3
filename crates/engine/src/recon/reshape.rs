//! A change to the new side before it is compared: the rules lab's what-if, where the new
//! side is seen as legacy would have computed it. recon only knows the shape of such a
//! change (a relation in, a relation with the same columns out, in the cache or in the
//! warehouse); the rules module says what it is.

use duckdb::Connection;

use super::relation::Relation;
use crate::error::Result;

/// The new side of a comparison, changed. Both forms must keep the side's columns and
/// their types, so the compare, its fingerprints and the drill read it as before.
pub trait Reshape {
    /// The new side in the cache (`new`, a DuckDB relation) as the change leaves it;
    /// `keys` are the new side's key columns.
    fn in_cache(&self, conn: &Connection, new: &Relation, keys: &[String]) -> Result<Relation>;

    /// The new side in the warehouse: `from` is a parenthesised ClickHouse SELECT with
    /// `columns` (name, ClickHouse type); the answer is another parenthesised SELECT.
    fn in_warehouse(
        &self,
        from: &str,
        columns: &[(String, String)],
        keys: &[String],
    ) -> Result<String>;
}
