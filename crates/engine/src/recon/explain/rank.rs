//! Residual ranking: causes are picked greedily, each scored only on what the causes above
//! it left unexplained, per row class (so a small changed-rows cause is not drowned by a
//! large one-sided one). A candidate is a predicate of one to three dimension values; it
//! counts only when it concentrates its class's remaining rows (pure, or far more frequent
//! there than in the data), so "store = X" for every store of an evenly spread class is no
//! cause — the class is then one spread cause.

use std::collections::{HashMap, HashSet};

use super::cube::Cube;
use crate::recon::class::RowClass;

/// A dimension and one of its value codes.
pub type Term = (usize, u32);

/// The row classes causes are found in.
pub const CLASSES: [RowClass; 3] = [RowClass::OnlyNew, RowClass::OnlyLegacy, RowClass::Changed];

/// A candidate is a cause when its rows are at least this share of all rows it selects…
const PURE: f64 = 0.5;
/// …or this many times more frequent among the class's remaining rows than in the data.
const LIFT: f64 = 3.0;
/// Standard deviations (of a Poisson count) a candidate's rows must exceed the rows an even
/// spread would put there by.
const CHANCE: f64 = 4.0;
/// A cause of less than this share of the gap is noise, unless it is most of its class.
const MEANINGFUL: f64 = 0.005;
/// How many of the best single values (then pairs) are extended by another dimension.
const WIDEN: usize = 6;
/// A narrower predicate wins when it explains this much of a broader one's amount…
const NEARLY_ALL: f64 = 0.95;
/// …and is this much purer.
const PURER: f64 = 0.1;

#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub class: RowClass,
    /// Empty for a spread cause: no value of any dimension concentrates the class's rows.
    pub terms: Vec<Term>,
    /// In units of the measure's scale, after the causes above it.
    pub amount: i128,
    /// The rows' absolute deltas: what the cause was ranked by.
    pub weight: i128,
    pub rows: i64,
    /// Share of all rows the predicate selects (on the class's side) that are in it.
    pub purity: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    amount: i128,
    weight: i128,
    rows: i64,
    /// Rows on the class's side (matched and differing) the predicate selects.
    population: i64,
}

/// Whether a row of class `cell` is among the rows a rule for `class` would touch.
pub(super) fn on_side(class: RowClass, cell: RowClass) -> bool {
    match class {
        RowClass::OnlyNew => cell != RowClass::OnlyLegacy,
        RowClass::OnlyLegacy => cell != RowClass::OnlyNew,
        RowClass::Changed => matches!(cell, RowClass::Changed | RowClass::Matched),
        RowClass::Matched => false,
    }
}

fn matches(codes: &[u32], terms: &[Term]) -> bool {
    terms.iter().all(|&(d, v)| codes[d] == v)
}

struct Ranker<'a> {
    cube: &'a Cube,
    open: Vec<bool>,
}

impl Ranker<'_> {
    /// The class's open cells matching `fixed`, grouped by `vary`'s value.
    fn widen(&self, class: RowClass, fixed: &[Term], vary: usize) -> Vec<(Vec<Term>, Acc)> {
        let mut by: HashMap<u32, Acc> = HashMap::new();
        for (i, cell) in self.cube.cells.iter().enumerate() {
            let counted = self.open[i] && cell.class == class;
            let side = on_side(class, cell.class);
            if !(counted || side) || !matches(&cell.codes, fixed) {
                continue;
            }
            let acc = by.entry(cell.codes[vary]).or_default();
            if side {
                acc.population += cell.rows;
            }
            if counted {
                acc.amount += cell.delta;
                acc.weight += cell.weight;
                acc.rows += cell.rows;
            }
        }
        by.into_iter()
            .filter(|(_, a)| a.rows > 0)
            .map(|(v, acc)| {
                let mut terms = fixed.to_vec();
                terms.push((vary, v));
                terms.sort_unstable();
                (terms, acc)
            })
            .collect()
    }

    /// The class's open rows (amount, weight and rows) and the rows on its side.
    fn class_totals(&self, class: RowClass) -> (Acc, i64) {
        let (mut open, mut side) = (Acc::default(), 0);
        for (i, c) in self.cube.cells.iter().enumerate() {
            if self.open[i] && c.class == class {
                open.amount += c.delta;
                open.weight += c.weight;
                open.rows += c.rows;
            }
            if on_side(class, c.class) {
                side += c.rows;
            }
        }
        (open, side)
    }

    /// Every single value, the best singles widened to pairs, the best pairs to triples.
    fn candidates(&self, class: RowClass) -> Vec<(Vec<Term>, Acc)> {
        let k = self.cube.dims.len();
        let mut seen: HashSet<Vec<Term>> = HashSet::new();
        let mut all = Vec::new();
        let mut level: Vec<(Vec<Term>, Acc)> =
            (0..k).flat_map(|d| self.widen(class, &[], d)).collect();
        for depth in 1..=3 {
            level.retain(|(t, _)| seen.insert(t.clone()));
            // Ties in a deterministic order (the hash map's is not): earlier dimensions first.
            level.sort_by(|(ta, a), (tb, b)| b.weight.cmp(&a.weight).then(ta.cmp(tb)));
            all.extend(level.iter().cloned());
            if depth == 3 {
                break;
            }
            let mut next = Vec::new();
            for (terms, _) in level.iter().take(WIDEN) {
                for d in (0..k).filter(|d| terms.iter().all(|(t, _)| t != d)) {
                    next.extend(self.widen(class, terms, d));
                }
            }
            level = next;
        }
        all
    }

    /// The class's best cause among its open rows, if any candidate concentrates them.
    fn best(&self, class: RowClass, least: i128) -> Option<Pick> {
        let (open, side_rows) = self.class_totals(class);
        let open_rows = open.rows;
        let qualifies = |terms: &[Term], a: &Acc| {
            let purity = a.rows as f64 / a.population.max(1) as f64;
            // The rows the candidate would hold if the class were spread evenly: a few rows
            // more than that is chance among hundreds of candidates, not a rule.
            let expected = open_rows as f64 * a.population.max(1) as f64 / side_rows.max(1) as f64;
            let beyond_chance = a.rows as f64 >= expected + CHANCE * expected.sqrt() + 2.0;
            a.weight >= least.max(1)
                && (purity >= PURE || a.rows as f64 >= LIFT * expected)
                && beyond_chance
                && !terms.iter().all(|&(d, _)| self.cube.dims[d].scope_only)
        };
        let found: Vec<(Vec<Term>, Acc)> = self
            .candidates(class)
            .into_iter()
            .filter(|(t, a)| qualifies(t, a))
            .collect();
        let purity = |a: &Acc| a.rows as f64 / a.population.max(1) as f64;
        let mut ranked = found;
        ranked.sort_by(|(ta, a), (tb, b)| b.weight.cmp(&a.weight).then(ta.cmp(tb)));
        // The heaviest, unless one explaining nearly as much is clearly purer (the rule that
        // touches no rows that agree) or as pure and simpler.
        let mut chosen = ranked.first()?.clone();
        let top = chosen.1.weight as f64;
        for (terms, acc) in ranked.iter().skip(1) {
            if (acc.weight as f64) < NEARLY_ALL * top {
                break;
            }
            let gain = purity(acc) - purity(&chosen.1);
            let known = !terms.iter().any(|&(d, _)| self.cube.partial[d]);
            if (known && gain >= PURER) || (gain > -PURER && terms.len() < chosen.0.len()) {
                chosen = (terms.clone(), *acc);
            }
        }
        let (terms, acc) = chosen;
        Some(Pick {
            class,
            purity: purity(&acc),
            terms,
            amount: acc.amount,
            weight: acc.weight,
            rows: acc.rows,
        })
    }

    fn close(&mut self, pick: &Pick) {
        for (i, c) in self.cube.cells.iter().enumerate() {
            if c.class == pick.class && matches(&c.codes, &pick.terms) {
                self.open[i] = false;
            }
        }
    }
}

/// Ranks up to `top` causes of the cube's gap; `tolerance` (in units) is the gap the
/// comparison accepts: nothing up to it (a gap equal to it is within it, as the compare
/// says) is worth a cause.
pub fn rank(cube: &Cube, top: usize, tolerance: i128) -> Vec<Pick> {
    let mut r = Ranker {
        cube,
        open: cube
            .cells
            .iter()
            .map(|c| c.class != RowClass::Matched)
            .collect(),
    };
    let total = cube.total().abs();
    let initial: Vec<i128> = CLASSES
        .iter()
        .map(|c| r.class_totals(*c).0.weight)
        .collect();
    let mut picks = Vec::new();
    while picks.len() < top {
        let mut step: Option<Pick> = None;
        for (ci, &class) in CLASSES.iter().enumerate() {
            let (open, _) = r.class_totals(class);
            // Noise is a small share of the gap; but a class's own first cause counts when
            // it is most of that class (a rule on a few changed rows).
            let meaningful = ((MEANINGFUL * total as f64) as i128).min(initial[ci] / 2);
            let floor = tolerance.saturating_add(1).max(meaningful).max(1);
            if open.weight < floor {
                continue;
            }
            let pick = r.best(class, floor).unwrap_or_else(|| spread(class, open));
            if step.as_ref().is_none_or(|s| pick.weight > s.weight) {
                step = Some(pick);
            }
        }
        let Some(pick) = step else { break };
        r.close(&pick);
        picks.push(pick);
    }
    // Changed rows too small to be a cause are still summed up as one (their pattern says
    // how they differ), unless causes above already took some of them.
    let (open, _) = r.class_totals(RowClass::Changed);
    let none_yet = !picks.iter().any(|p| p.class == RowClass::Changed);
    if picks.len() < top && none_yet && open.weight > tolerance.max(0) {
        picks.push(spread(RowClass::Changed, open));
    }
    picks
}

/// The class's open rows as one cause: no value of any dimension concentrates them.
fn spread(class: RowClass, open: Acc) -> Pick {
    Pick {
        class,
        terms: Vec::new(),
        amount: open.amount,
        weight: open.weight,
        rows: open.rows,
        purity: 0.0,
    }
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
