//! The cube explain ranks causes on: every joined row grouped by all dimensions and its row
//! class, with row counts and the exact sum of its delta. One pass over the join; matched
//! rows are kept because a cause's purity is measured against every row it would touch.

use std::collections::HashMap;

use duckdb::Connection;

use super::dims::Dim;
use crate::decimal::Numeric;
use crate::error::{Error, Result};
use crate::recon::class::RowClass;
use crate::recon::groups::AgreeingGroups;

/// The value of a dimension on rows not fetched, when their groups do not carry it.
const NOT_FETCHED: &str = "\u{1}not fetched";

/// One group of the cube.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Per dimension, the code of its value in `Cube::values`.
    pub codes: Vec<u32>,
    pub class: RowClass,
    pub rows: i64,
    /// The delta's sum in units of the measure's scale.
    pub delta: i128,
    /// The sum of the rows' absolute deltas: what ranks causes, so a rule's rows of both
    /// signs (sales and returns) count in full instead of cancelling.
    pub weight: i128,
}

#[derive(Debug, Default)]
pub struct Cube {
    pub dims: Vec<Dim>,
    /// Per dimension, its values by code (None: NULL).
    pub values: Vec<Vec<Option<String>>>,
    pub cells: Vec<Cell>,
    /// Per dimension: rows were counted without its values (agreeing rows not fetched),
    /// so its purity is overstated and must not decide between causes.
    pub partial: Vec<bool>,
}

impl Cube {
    pub fn new(dims: Vec<Dim>) -> Cube {
        Cube {
            values: vec![Vec::new(); dims.len()],
            partial: vec![false; dims.len()],
            dims,
            cells: Vec::new(),
        }
    }

    /// Adds a group, coding its values (tests build cubes by hand this way).
    #[cfg(test)]
    pub fn push(&mut self, values: &[Option<&str>], class: RowClass, rows: i64, delta: i128) {
        self.push_weighted(values, class, rows, (delta, delta.abs()));
    }

    #[cfg(test)]
    pub fn push_weighted(
        &mut self,
        values: &[Option<&str>],
        class: RowClass,
        rows: i64,
        (delta, weight): (i128, i128),
    ) {
        let mut codes = Vec::with_capacity(values.len());
        for (d, v) in values.iter().enumerate() {
            let known = &mut self.values[d];
            let code = match known.iter().position(|k| k.as_deref() == *v) {
                Some(c) => c,
                None => {
                    known.push(v.map(str::to_string));
                    known.len() - 1
                }
            };
            codes.push(code as u32);
        }
        self.cells.push(Cell {
            codes,
            class,
            rows,
            delta,
            weight,
        });
    }

    pub fn value(&self, dim: usize, code: u32) -> Option<&str> {
        self.values[dim][code as usize].as_deref()
    }

    /// Rows explain saw only as groups (a pushed-down compare's agreeing slices, and the
    /// only-new slices it kept in the warehouse). Matched ones count in every cause's
    /// purity; only-new ones bring their amounts of measure `measure` (its index among the
    /// groups' measures, and its scale) as delta and weight. A dimension the groups do not
    /// carry gets a value of its own no cause can select.
    pub fn add_agreeing(
        &mut self,
        conn: &Connection,
        groups: &AgreeingGroups,
        by: &[Option<usize>],
        measure: Option<(usize, u32)>,
    ) -> Result<i64> {
        let k = groups.dimensions;
        let cols: String = (0..k)
            .map(|i| format!("{}, ", groups.dimension(i)))
            .collect();
        let amounts = match measure {
            Some((m, _)) => format!(
                "CAST({} AS VARCHAR), CAST({} AS VARCHAR)",
                groups.measure(m),
                groups.weight(m)
            ),
            None => "NULL, NULL".into(),
        };
        let sql = format!(
            "SELECT {cols}CAST({} AS BIGINT), {}, {amounts} FROM {}",
            groups.rows(),
            groups.class(),
            groups.from()
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let unseen: Vec<u32> = (0..self.dims.len())
            .map(|d| {
                self.values[d].push(Some(NOT_FETCHED.to_string()));
                (self.values[d].len() - 1) as u32
            })
            .collect();
        for (d, g) in by.iter().enumerate() {
            self.partial[d] = g.is_none();
        }
        let units = |text: Option<String>| -> Result<i128> {
            let scale = measure.map_or(0, |(_, s)| s);
            Numeric::read(text.as_deref(), scale)
                .and_then(|e| e.units_at(scale))
                .ok_or_else(|| Error::Runtime(format!("a group's amount `{text:?}` does not read")))
        };
        let mut total = 0;
        while let Some(r) = rows.next()? {
            let mut codes = unseen.clone();
            for (d, g) in by.iter().enumerate() {
                if let Some(g) = g {
                    let v: Option<String> = r.get(*g)?;
                    codes[d] = self.code(d, v);
                }
            }
            let n: i64 = r.get(k)?;
            let class: String = r.get(k + 1)?;
            total += n;
            let (class, delta, weight) = match (class.as_str(), measure) {
                ("only_new", Some(_)) => (
                    RowClass::OnlyNew,
                    units(r.get(k + 2)?)?,
                    units(r.get(k + 3)?)?,
                ),
                ("only_new", None) => (RowClass::OnlyNew, 0, 0),
                _ => (RowClass::Matched, 0, 0),
            };
            self.cells.push(Cell {
                codes,
                class,
                rows: n,
                delta,
                weight,
            });
        }
        Ok(total)
    }

    fn code(&mut self, d: usize, v: Option<String>) -> u32 {
        match self.values[d].iter().position(|k| *k == v) {
            Some(c) => c as u32,
            None => {
                self.values[d].push(v);
                (self.values[d].len() - 1) as u32
            }
        }
    }

    pub fn total(&self) -> i128 {
        self.cells.iter().map(|c| c.delta).sum()
    }
}

/// A classed join the cube reads: SQL (a `classed` CTE) selecting `v0…`, `row_class` and
/// `d` (the delta at the measure's scale); or, `matched`, rows the fingerprints matched,
/// counted as matched with no delta whatever their class there says.
#[derive(Debug, Clone, Copy)]
pub struct Source<'s> {
    pub sql: &'s str,
    pub matched: bool,
}

impl Source<'_> {
    /// The source's rows as `v…`, `day…` (`days`), `d` and `row_class`, for a query over
    /// `rows`.
    pub fn rows(&self, columns: &str) -> String {
        match self.matched {
            false => format!("{} SELECT {columns}, d, row_class FROM classed", self.sql),
            true => format!(
                "{} SELECT {columns}, 0 AS d, 'matched' AS row_class FROM classed",
                self.sql
            ),
        }
    }
}

/// Reads the cube from its sources, each grouped by every dimension and row class.
pub fn read(conn: &Connection, dims: Vec<Dim>, sources: &[Source], scale: u32) -> Result<Cube> {
    let k = dims.len();
    let mut cube = Cube::new(dims);
    let mut codes: Vec<HashMap<Option<String>, u32>> = vec![HashMap::new(); k];
    for source in sources {
        read_source(conn, &mut cube, &mut codes, *source, scale)?;
    }
    Ok(cube)
}

fn read_source(
    conn: &Connection,
    cube: &mut Cube,
    codes: &mut [HashMap<Option<String>, u32>],
    source: Source,
    scale: u32,
) -> Result<()> {
    let k = codes.len();
    let groups: Vec<String> = (0..k).map(|i| format!("v{i}")).collect();
    let columns = match groups.is_empty() {
        true => "1 AS none".to_string(),
        false => groups.join(", "),
    };
    let lead: String = groups.iter().map(|g| format!("{g}, ")).collect();
    let sql = format!(
        "SELECT {lead}row_class, count(*), CAST(sum(d) AS VARCHAR), \
         CAST(sum(abs(d)) AS VARCHAR) FROM ({}) GROUP BY ALL",
        source.rows(&columns)
    );
    let mut stmt = conn
        .prepare(&sql)
        .map_err(|e| Error::Runtime(format!("grouping the differences: {e}")))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let mut cell_codes = Vec::with_capacity(k);
        for (d, seen) in codes.iter_mut().enumerate() {
            let v: Option<String> = r.get(d)?;
            let next = seen.len() as u32;
            let code = *seen.entry(v.clone()).or_insert_with(|| {
                cube.values[d].push(v);
                next
            });
            cell_codes.push(code);
        }
        let class: String = r.get(k)?;
        let class = RowClass::parse(&class)
            .ok_or_else(|| Error::Runtime(format!("`{class}` is not a row class")))?;
        let units = |i: usize| -> Result<i128> {
            let sum: Option<String> = r.get(i)?;
            let exact = Numeric::read_sum(sum.as_deref(), scale, "a group's delta")?;
            exact
                .units_at(scale)
                .ok_or_else(|| Error::Runtime(format!("a delta of {exact} overflows")))
        };
        cube.cells.push(Cell {
            codes: cell_codes,
            class,
            rows: r.get(k + 1)?,
            delta: units(k + 2)?,
            weight: units(k + 3)?,
        });
    }
    Ok(())
}
