//! A row of a comparison's side-by-side view, as the workbench lists it.

use super::RowClass;

/// A row of the side-by-side view: both sides' cells as text (None: the side has no row).
#[derive(Debug, Clone, PartialEq)]
pub struct SideRow {
    pub class: RowClass,
    pub key: Vec<String>,
    pub differs: Vec<String>,
    pub legacy: Option<Vec<String>>,
    pub new: Option<Vec<String>>,
}

impl SideRow {
    /// The row as `shown` shows it (`columns`: legacy and new names, keys first).
    pub fn mask(&mut self, columns: &[(String, String)], shown: &crate::pii::Shown) {
        let name = |j: usize| columns.get(j).map(|(l, _)| l.as_str()).unwrap_or_default();
        for (j, k) in self.key.iter_mut().enumerate() {
            *k = shown.cell(name(j), k);
        }
        for side in self.legacy.iter_mut().chain(self.new.iter_mut()) {
            for (j, v) in side.iter_mut().enumerate() {
                *v = shown.cell(name(j), v);
            }
        }
    }
}
