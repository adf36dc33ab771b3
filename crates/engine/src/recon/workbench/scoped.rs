//! Explain within a drill step. The causes panel beside a step scoped to one company (or a
//! branch, a month) ranks the causes of that step's gap: both sides of the comparison are
//! cut to the keys the step's rows hold, and explain runs on them as on the whole.

use super::{DrillBase, Path};
use crate::recon::class::ClassFilter;
use crate::recon::report::Spec;
use crate::recon::Relation;
use crate::sql::ident;

impl DrillBase {
    /// The comparison cut to the keyed rows within `path` (the whole of it for the top
    /// step). Rows known only as groups (a pushed-down compare's agreeing slices) have no
    /// keys: they agree, so they change no cause's amount.
    pub fn scoped_spec(&self, path: &Path) -> Spec {
        if path.is_empty() || self.key_count == 0 {
            return self.spec.clone();
        }
        let keys: Vec<String> = (0..self.key_count).map(|j| format!("k{j}")).collect();
        let within = format!(
            "(SELECT {} FROM {}{})",
            keys.join(", "),
            self.table,
            self.where_sql(path, ClassFilter::All, &["NOT grouped"])
        );
        let cut = |rel: &Relation, names: Vec<&str>| -> Relation {
            let on: Vec<String> = names
                .iter()
                .enumerate()
                .map(|(j, k)| {
                    format!(
                        "CAST(s.{} AS VARCHAR) IS NOT DISTINCT FROM p.k{j}",
                        ident(k)
                    )
                })
                .collect();
            Relation {
                sql: format!(
                    "(SELECT s.* FROM {} AS s SEMI JOIN {within} AS p ON {})",
                    rel.sql,
                    on.join(" AND ")
                ),
                columns: rel.columns.clone(),
                keep: rel.keep.clone(),
            }
        };
        let keys = &self.columns[..self.key_count];
        let mut spec = self.spec.clone();
        spec.legacy = cut(
            &self.spec.legacy,
            keys.iter().map(|(l, _)| l.as_str()).collect(),
        );
        spec.new = cut(
            &self.spec.new,
            keys.iter().map(|(_, n)| n.as_str()).collect(),
        );
        spec
    }
}
