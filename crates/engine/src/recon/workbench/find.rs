//! Going to a key in a list of rows: the row's place in the list as the workbench pages it
//! (same cut, class and order), so the cursor can be put on it.

use duckdb::Connection;

use super::{first_order, key_order, DrillBase, Path};
use crate::error::Result;
use crate::recon::{ClassFilter, RowOrder};

impl DrillBase {
    /// The place (from 0) in the list `rows_page` gives of the first row whose key holds
    /// `text` (case aside): a row with one key column equal to it before one that only
    /// contains it. None when no row of the list has such a key. `text` is bound as a
    /// parameter, never written into the SQL.
    pub fn position_of(
        &self,
        conn: &Connection,
        path: &Path,
        (class, order): (ClassFilter, RowOrder),
        text: &str,
    ) -> Result<Option<u64>> {
        let keys: Vec<String> = (0..self.key_count).map(|j| format!("k{j}")).collect();
        let as_text: Vec<String> = keys
            .iter()
            .map(|k| format!("coalesce(CAST({k} AS VARCHAR), '')"))
            .collect();
        let sql = format!(
            "SELECT n FROM (SELECT row_number() OVER (ORDER BY {first}, {by}) - 1 AS n, \
                    [{texts}] AS key_texts \
                FROM {t}{w}) \
             WHERE list_bool_or([contains(lower(x), lower(?)) FOR x IN key_texts]) \
             ORDER BY list_bool_or([lower(x) = lower(?) FOR x IN key_texts]) DESC, n \
             LIMIT 1",
            first = first_order(order),
            by = key_order(self.key_count),
            texts = as_text.join(", "),
            t = self.table,
            w = self.where_sql(path, class, &["NOT grouped"]),
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([text, text])?;
        match rows.next()? {
            Some(row) => Ok(Some(row.get::<_, i64>(0)?.max(0) as u64)),
            None => Ok(None),
        }
    }
}
