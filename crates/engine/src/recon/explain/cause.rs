//! A ranked cause as people and the rules lab read it: its predicate, amount, shares, the
//! candidate legacy rule, and for changed rows how they differ.

use std::collections::BTreeMap;

use duckdb::Connection;
use serde::Serialize;

use super::columns::ColumnChange;
use super::cube::Cube;
use super::cutoff::Cutoff;
use super::dims::DimKind;
use super::patterns::{self, Pattern, PatternKind, Rows};
use super::rank::{Pick, Term};
use crate::decimal::Exact;
use crate::error::Result;
use crate::recon::class::RowClass;
use crate::sql::ident;

/// A dimension (by index) and its value (None: NULL).
type Valued = (usize, Option<String>);

/// The kind of a candidate rule: the rules file's own kind.
pub use crate::rule_kind::Kind as RuleKind;

/// A candidate legacy rule, to be tried in the rules lab.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub kind: RuleKind,
    /// On the new side's rows.
    pub predicate: String,
    /// `"amount" = "amount" - "tax_amount"`, for an adjust whose form is known.
    pub expression: Option<String>,
    /// The same as column → expression.
    pub set: BTreeMap<String, String>,
    /// Files of the lookups the predicate names (`lookups.NAME`), to keep beside the rules
    /// when the rule is saved: not part of the JSON, which names the lookup as given.
    #[serde(skip)]
    pub keeps: Vec<std::path::PathBuf>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cause {
    /// `invoice_type`, or `invoice_type, branch` for a combination; empty when spread.
    pub dimension: String,
    pub value: String,
    /// The same, typed: each column the cause is in and its value (None: NULL), for a
    /// driver to go to the cause's rows (the joined labels cannot be split back when a
    /// value holds a comma).
    #[serde(skip)]
    pub terms: Vec<(String, Option<String>)>,
    pub row_class: RowClass,
    /// A predicate on the new side selecting these rows (empty for a spread cause).
    pub predicate: String,
    /// Exact, at the measure's scale: this cause's own amount, after the causes above it.
    pub delta: Exact,
    pub share: f64,
    /// Share of the gap this cause and those above it explain.
    pub cumulative_share: f64,
    pub rows: i64,
    /// Of the rows the predicate selects on the class's side, the share in the cause: near
    /// 1, the rule touches nothing that agrees; low, it is where the rule is, not the rule
    /// (None for a spread cause or a changed column).
    pub purity: Option<f64>,
    /// No value of any dimension concentrates these rows.
    pub spread: bool,
    /// The sentence for people.
    pub description: String,
    pub rule: Option<Rule>,
    pub pattern: Option<Pattern>,
}

/// Explain's JSON: the causes of one comparison's gap.
#[derive(Debug, Serialize)]
pub struct Explained<'a> {
    pub schema_version: u32,
    pub comparison: &'a str,
    pub measure: &'a str,
    pub total: Exact,
    pub causes: &'a [Cause],
    pub remaining: Exact,
    pub rows_not_fetched: i64,
}

impl Cause {
    /// One line for a table or a panel: the predicate, or for a spread cause what it is.
    pub fn headline(&self) -> String {
        if self.spread {
            format!(
                "{} {}, spread evenly (no column concentrates them)",
                row_count(self.rows),
                class_words(self.row_class)
            )
        } else {
            self.predicate.clone()
        }
    }
}

/// "1 row", "3 rows".
fn row_count(n: i64) -> String {
    match n {
        1 => "1 row".into(),
        n => format!("{n} rows"),
    }
}

fn class_words(class: RowClass) -> &'static str {
    match class {
        RowClass::OnlyNew => "only in new",
        RowClass::OnlyLegacy => "only in legacy",
        RowClass::Changed => "changed",
        RowClass::Matched => "matched",
    }
}

/// Causes from the ranked picks, each with its cut-off where a day replaces its month;
/// `rows` (the differing rows) gives changed causes patterns.
pub fn build(
    conn: &Connection,
    cube: &Cube,
    (picks, cutoffs): (&[Pick], &[Option<Cutoff>]),
    total: Exact,
    rows: Option<&Rows>,
) -> Result<Vec<Cause>> {
    let gap = cube.total();
    let share = |e: i128| if gap == 0 { 0.0 } else { e as f64 / gap as f64 };
    let mut running = 0i128;
    let mut out = Vec::new();
    for (i, picked) in picks.iter().enumerate() {
        let cut = cutoffs.get(i).and_then(Option::as_ref);
        let p = &at_cutoff(picked, cut);
        running += p.amount;
        let pattern = match (p.class, rows) {
            (RowClass::Changed, Some(rows)) => {
                patterns::find(conn, rows, &patterns::filter(&values(cube, &p.terms)))?
            }
            _ => None,
        };
        let predicate = cut.map_or_else(|| predicate(cube, &p.terms), |c| c.predicate.clone());
        let (dimension, value) = labels(cube, &p.terms);
        let delta = Exact::from_scaled(p.amount, total.scale());
        let spread = p.terms.is_empty();
        let description = if spread {
            let over: Vec<String> = cube.dims.iter().map(|d| d.label()).collect();
            format!(
                "{} {}, spread evenly over {}: the rule is not in these columns",
                row_count(p.rows),
                class_words(p.class),
                over.join(", ")
            )
        } else {
            format!(
                "{} {} where {predicate}",
                row_count(p.rows),
                class_words(p.class)
            )
        };
        let description = match (&pattern, cut) {
            (Some(pat), _) => format!("{description}; {}", pat.text),
            (None, Some(_)) => format!(
                "{description}: a cut-off within {}, whose rows on the other days agree",
                value
            ),
            (None, None) => description,
        };
        out.push(Cause {
            rule: rule(cube, p, &predicate, pattern.as_ref()),
            terms: p
                .terms
                .iter()
                .map(|&(d, v)| (cube.dims[d].label(), cube.value(d, v).map(str::to_string)))
                .collect(),
            dimension,
            value,
            row_class: p.class,
            predicate,
            delta,
            share: share(p.amount),
            cumulative_share: share(running),
            rows: p.rows,
            purity: (!spread).then_some(p.purity),
            spread,
            description,
            pattern,
        });
    }
    Ok(out)
}

/// The pick as its cut-off has it: the rows and amount within the day range, and its
/// purity there.
fn at_cutoff(p: &Pick, cut: Option<&Cutoff>) -> Pick {
    match cut {
        Some(c) => Pick {
            amount: c.amount,
            rows: c.rows,
            purity: c.purity,
            ..p.clone()
        },
        None => p.clone(),
    }
}

/// A changed column as a cause: it moves no amount of the measure (its rows' deltas, if
/// any, are with the causes above), so its delta is zero; it says how the rows differ.
pub fn of_column(cube: &Cube, change: ColumnChange, above: &[Cause], total: Exact) -> Cause {
    let p = change.pattern;
    let predicate = change
        .terms
        .iter()
        .map(|(d, v)| cube.dims[*d].predicate(v.as_deref()))
        .chain(change.condition.clone())
        .collect::<Vec<_>>()
        .join(" AND ");
    let join =
        |f: &dyn Fn(&Valued) -> String| change.terms.iter().map(f).collect::<Vec<_>>().join(", ");
    let kind = if p.kind == PatternKind::DateShift {
        RuleKind::Shift
    } else {
        RuleKind::Adjust
    };
    let mut set = BTreeMap::new();
    let expression = p.expression.as_ref().map(|e| {
        set.insert(p.column.clone(), e.clone());
        format!("{} = {e}", ident(&p.column))
    });
    let rule = (p.kind != PatternKind::Scattered).then(|| Rule {
        kind,
        predicate: if predicate.is_empty() {
            "true".into()
        } else {
            predicate.clone()
        },
        expression,
        set,
        keeps: Vec::new(),
    });
    let place = if predicate.is_empty() {
        String::new()
    } else {
        format!(", all where {predicate}")
    };
    Cause {
        terms: change
            .terms
            .iter()
            .map(|(d, v)| (cube.dims[*d].label(), v.clone()))
            .collect(),
        dimension: join(&|(d, _)| cube.dims[*d].label()),
        value: join(&|(_, v)| v.clone().unwrap_or_else(|| "NULL".into())),
        row_class: RowClass::Changed,
        description: format!("{}{place}", p.text),
        predicate,
        delta: Exact::from_scaled(0, total.scale()),
        share: 0.0,
        cumulative_share: above.last().map_or(0.0, |c| c.cumulative_share),
        rows: p.rows,
        purity: None,
        spread: false,
        rule,
        pattern: Some(p),
    }
}

fn values(cube: &Cube, terms: &[Term]) -> Vec<(usize, Option<String>)> {
    terms
        .iter()
        .map(|&(d, v)| (d, cube.value(d, v).map(str::to_string)))
        .collect()
}

fn predicate(cube: &Cube, terms: &[Term]) -> String {
    terms
        .iter()
        .map(|&(d, v)| cube.dims[d].predicate(cube.value(d, v)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn labels(cube: &Cube, terms: &[Term]) -> (String, String) {
    let join = |f: &dyn Fn(&Term) -> String| terms.iter().map(f).collect::<Vec<_>>().join(", ");
    (
        join(&|&(d, _)| cube.dims[d].label()),
        join(&|&(d, v)| cube.value(d, v).unwrap_or("NULL").to_string()),
    )
}

fn rule(cube: &Cube, p: &Pick, predicate: &str, pattern: Option<&Pattern>) -> Option<Rule> {
    if p.terms.is_empty() && p.class != RowClass::Changed {
        return None;
    }
    let repeat = p
        .terms
        .iter()
        .any(|&(d, _)| matches!(cube.dims[d].kind, DimKind::Repeat { .. }));
    let kind = match p.class {
        RowClass::OnlyNew if repeat => RuleKind::Dedupe,
        RowClass::OnlyNew => RuleKind::Exclude,
        RowClass::OnlyLegacy => RuleKind::Include,
        _ => RuleKind::Adjust,
    };
    let mut set = BTreeMap::new();
    let mut expression = None;
    if let Some(pat) = pattern.filter(|x| x.kind != PatternKind::Scattered) {
        if let Some(e) = &pat.expression {
            set.insert(pat.column.clone(), e.clone());
            expression = Some(format!("{} = {e}", ident(&pat.column)));
        }
    }
    let keeps = p
        .terms
        .iter()
        .filter_map(|&(d, _)| match &cube.dims[d].kind {
            DimKind::Lookup(l) => l.file.clone(),
            _ => None,
        })
        .collect();
    Some(Rule {
        kind,
        predicate: if predicate.is_empty() {
            "true".into()
        } else {
            predicate.to_string()
        },
        expression,
        set,
        keeps,
    })
}
