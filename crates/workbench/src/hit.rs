//! Where lists drew their rows, so a click maps to the row under it: each list records a
//! `ListHit` while drawing (through `&self`, hence the cell).

use std::cell::Cell;

use ratatui::layout::Rect;

/// Where a list drew its rows: the rows' area (below any header) and the first row's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListHit {
    pub area: Rect,
    pub top: usize,
}

impl ListHit {
    /// The index of the row at (x, y), if it is one of the drawn rows.
    pub fn index(&self, x: u16, y: u16) -> Option<usize> {
        let inside = x >= self.area.x
            && x < self.area.x + self.area.width
            && y >= self.area.y
            && y < self.area.y + self.area.height;
        inside.then(|| self.top + usize::from(y - self.area.y))
    }
}

/// A list's record of where it drew, written while drawing through `&self`.
pub type HitCell = Cell<Option<ListHit>>;

/// The row under (x, y) of a list that recorded its hit area.
pub fn row_at(hit: &HitCell, x: u16, y: u16) -> Option<usize> {
    hit.get().and_then(|h| h.index(x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_maps_to_the_row_drawn_under_it() {
        let hit = ListHit {
            area: Rect::new(2, 5, 30, 4),
            top: 10,
        };
        assert_eq!(hit.index(2, 5), Some(10));
        assert_eq!(hit.index(31, 8), Some(13));
        assert_eq!(hit.index(32, 8), None, "right of the list");
        assert_eq!(hit.index(5, 9), None, "below the rows drawn");
        assert_eq!(hit.index(5, 4), None, "the header");
    }
}
