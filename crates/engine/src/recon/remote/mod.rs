//! A configured comparison whose new side lives in a ClickHouse warehouse, computed without
//! pulling the table: each side sums its slices where it lives (ClickHouse for the new side,
//! the cache for the legacy export); slices whose sums agree are matched rows; only the rows
//! of the slices that differ are fetched into the cache, a page of slices at a time, and
//! compared there exactly as a local compare would. Totals, NULL counts and the breakdown
//! of the agreeing slices come from group sums. Every step records what crossed the wire.

mod beyond;
pub mod canonical;
mod fetching;
pub mod slices;

use beyond::{agreeing_groups, duplicate_keys_remote, kept_counts, low_cardinality_remote};
use fetching::{fetch_differing, fetch_kept_samples, restrict_legacy, set_differing};

use std::borrow::Cow;

use canonical::{Dialect, Part};
use slices::SideShape;

use super::equality::Rules;
use super::relation::Relation;
use super::report::{duplicate_keys, Beyond, Spec, WireStep};
use super::reshape::Reshape;
use super::scope::{scope, Scope, COMPANY};
use super::spec::Measure;
use super::KeyedPair;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::sql::ident;
use crate::store::Store;
use crate::trace::stage;
use crate::warehouse::fetch;
use crate::warehouse::{layer_database, ClickHouse, Wire};

/// Written for ClickHouse.
const CH: Dialect = Dialect::ClickHouse;

/// The cache's temporary table of fetched rows.
pub const FETCHED: &str = "assay_remote_new";
const DIFFERING: &str = "assay_remote_slices";
/// The cache's temporary table of the legacy rows of the differing slices.
const LEGACY_ROWS: &str = "assay_remote_legacy";
const GROUPS: &str = "assay_remote_groups";
/// The cache's temporary table of the kept only-new slices' groups.
const KEPT: &str = "assay_remote_kept";
/// Bytes of slice names per statement (ClickHouse's max_query_size is 256 KiB by default).
const ID_LIST_BYTES: usize = 128 * 1024;
/// Bytes of kept slice names the queries over them may carry (the client raises
/// ClickHouse's `max_query_size` above it); beyond, their rows are fetched instead.
const KEPT_BYTES: usize = 4 << 20;
/// Rows a key-hash bucket should hold.
const ROWS_PER_BUCKET: i64 = 2_000;

/// A pushed-down comparison: the spec over the differing slices (with explain's candidate
/// dimensions counted by ClickHouse), and what is known beyond them.
pub struct Pushed {
    pub spec: Spec,
    pub beyond: Beyond,
}

fn step(wire: &mut Vec<WireStep>, what: impl Into<String>, w: Wire) {
    wire.push(WireStep {
        step: what.into(),
        rows: w.rows,
        bytes: w.bytes,
    });
}

/// A configured comparison's new side where it lives, for the rules lab (which sums it
/// there after each rule); the legacy side stays in the cache.
pub struct InWarehouse<'a> {
    pub scope: Scope<'a>,
    /// `(SELECT … FROM db.table WHERE company IN …)`, the company column named `company`.
    pub from: String,
    /// (name, ClickHouse type) of its columns.
    pub columns: Vec<(String, String)>,
    /// `<layer database>.table` (unquoted), the table the models wrote.
    pub table: String,
}

pub fn in_warehouse<'a>(
    ws: &'a Workspace,
    ch: &ClickHouse,
    store: &Store,
    name: &str,
    only: &[String],
) -> Result<InWarehouse<'a>> {
    let scope = scope(ws, store, name, only)?;
    let remote = remote_table(ch, &scope)?;
    Ok(InWarehouse {
        scope,
        from: remote.from,
        columns: remote.columns,
        table: remote.table,
    })
}

/// The new side where it lives: `(SELECT … FROM db.table WHERE company IN …)`.
struct RemoteTable {
    /// Columns as fetched: the table's, its company column last and named `company`.
    columns: Vec<(String, String)>,
    from: String,
    /// `<layer database>.table`, unquoted.
    table: String,
}

fn remote_table(ch: &ClickHouse, scope: &Scope) -> Result<RemoteTable> {
    let cmp = scope.comparison;
    // `layer.table` → `<layer database>.table`, unquoted: `describe` and `dotted_table`
    // quote each part.
    let table = match cmp.table.split_once('.') {
        Some((layer, name)) => format!("{}.{name}", layer_database(ch, layer)),
        None => cmp.table.clone(),
    };
    let described = ch.describe(&table).map_err(|e| {
        Error::Runtime(format!(
            "comparisons.{}.table: {e} (has it been built?)",
            scope.name
        ))
    })?;
    let company_col = scope.company_column(&described)?.to_string();
    let (mut columns, mut select) = (Vec::new(), Vec::new());
    let mut company_type = "String".to_string();
    for (name, ty) in &described {
        if name == &company_col {
            company_type = ty.clone();
        } else {
            columns.push((name.clone(), ty.clone()));
            select.push(CH.ident(name));
        }
    }
    columns.push((COMPANY.to_string(), company_type));
    select.push(if company_col == COMPANY {
        CH.ident(COMPANY)
    } else {
        format!("{} AS {}", CH.ident(&company_col), CH.ident(COMPANY))
    });
    let list: Vec<String> = scope.companies.iter().map(|c| CH.literal(c)).collect();
    Ok(RemoteTable {
        from: format!(
            "(SELECT {} FROM {} WHERE {} IN ({}))",
            select.join(", "),
            CH.dotted_table(&table),
            CH.ident(&company_col),
            list.join(", ")
        ),
        columns,
        table,
    })
}

/// Fetch what differs and describe the rest (see the module's comment), with the new side
/// changed by `reshape` in the warehouse first: every sum,
/// fingerprint and fetched row below reads the changed SELECT. With `keep`, the slices only
/// the new side has stay in the warehouse (every row there is only new): they are counted
/// and summed there, and come back as groups of `Beyond::agreeing_groups` of that class
/// (for callers that read the groups' classes: the report, the drill, explain over both).
pub fn prepare_as(
    ws: &Workspace,
    ch: &ClickHouse,
    store: &Store,
    name: &str,
    only: &[String],
    (reshape, keep): (Option<&dyn Reshape>, bool),
) -> Result<Pushed> {
    let scope = scope(ws, store, name, only)?;
    let conn = store.conn();
    let mut remote = remote_table(ch, &scope)?;
    fetch::create_table(conn, FETCHED, &remote.columns)?;
    let new = Relation::describe(conn, &ident(FETCHED))?;
    let full = scope.spec(scope.legacy.clone(), new.clone());
    scope.check_columns(conn, &full)?;
    if let Some(r) = reshape {
        let keys: Vec<String> = full.keys.iter().map(|k| full.new_name(k)).collect();
        remote.from = r.in_warehouse(&remote.from, &remote.columns, &keys)?;
    }
    let pair = full.keyed_pair()?;
    let names = NewNames::of(&full)?;
    let sides = sides(&full, &pair, &new, &remote, &names);
    let chars = bucket_chars(conn, &sides)?;
    let first = first_pass(ch, conn, &full, &remote, &sides, chars)?;
    let mut wire = Vec::new();
    step(&mut wire, "slice sums", first.sums_wire);
    let mut verdict = slices::judge(&first.legacy_sums, &first.new_sums, pair.columns.len());
    let all_slices = verdict.slices;

    // Differences scattered over many rows make most slices differ: cut those finer, as
    // long as it pays, and fetch only the finer slices that still differ.
    let sums = (&first.legacy_sums, &first.new_sums);
    // Kept only with groups to carry them (a comparison with dimensions and measures).
    let mut kept = slices::Named::new();
    let keeping =
        (keep && !full.dimensions.is_empty() && !names.measures.is_empty()).then_some(&mut kept);
    let mut to_fetch = slices_to_fetch(
        (ch, conn),
        &sides,
        (&mut verdict, sums, chars),
        &mut wire,
        keeping,
    )?;
    let mut kept_within = kept_predicate(&sides, &mut kept, &mut to_fetch);
    set_differing(conn, &to_fetch)?;
    let fetched = stage("rows of differing slices", || {
        fetch_differing(ch, conn, &sides, &remote, &to_fetch)
    })?;
    let named: usize = to_fetch.values().map(Vec::len).sum();
    step(
        &mut wire,
        format!("rows of {named} differing slices (of {all_slices} at first)"),
        fetched,
    );
    step(&mut wire, "duplicate keys", first.duplicates_wire);
    let (mut kept_rows, mut kept_nulls) = (0, vec![0; pair.columns.len()]);
    if let Some(within) = &mut kept_within {
        let (rest, w) = fetch_kept_samples(ch, conn, &remote, &names.keys, within)?;
        *within = rest;
        step(&mut wire, "samples of the only-new slices kept", w);
        let new_names: Vec<String> = pair.columns.iter().map(|(_, y)| y.clone()).collect();
        let ((rows, nulls), w) = kept_counts(ch, &remote, &new_names, within)?;
        (kept_rows, kept_nulls) = (rows, nulls);
        let slices: usize = kept.values().map(Vec::len).sum();
        step(
            &mut wire,
            format!("counts of {slices} only-new slices kept in the warehouse"),
            w,
        );
    }
    let (groups, w) = stage("breakdown groups (ClickHouse)", || {
        agreeing_groups(
            ch,
            conn,
            (&full, &names.measures),
            &remote,
            kept_within.as_deref(),
        )
    })?;
    step(&mut wire, "breakdown groups", w);
    step(&mut wire, "distinct values", first.distinct_wire);

    let restricted = restrict_legacy(conn, &full, &sides, &to_fetch)?;
    let beyond = Beyond {
        legacy_totals: Some(slices::totals(&first.legacy_sums, &names.measures)?),
        new_totals: Some(slices::totals(&first.new_sums, &names.measures)?),
        duplicate_keys_legacy: Some(first.duplicates_legacy),
        duplicate_keys_new: Some(first.duplicates_new),
        matched: verdict.matched,
        only_new: kept_rows,
        nulls: pair
            .columns
            .iter()
            .zip(verdict.nulls.iter().zip(&kept_nulls))
            .map(|((x, _), ((a, b), k))| (x.clone(), *a, b + k))
            .collect(),
        agreeing_groups: groups,
        wire,
    };
    let mut spec = scope.spec(restricted, new);
    spec.dimension_candidates = Some(first.low_cardinality);
    Ok(Pushed { spec, beyond })
}

/// The new side's names of the keys (the legacy's, unless mapped), and the measures as both
/// sides hold them.
struct NewNames {
    keys: Vec<String>,
    measures: Vec<Measure>,
}

impl NewNames {
    fn of(spec: &Spec) -> Result<NewNames> {
        Ok(NewNames {
            keys: spec.keys.iter().map(|k| spec.new_name(k)).collect(),
            measures: spec.measure_pairs()?,
        })
    }
}

/// Both sides described in their own dialect, column by column of the pair.
fn sides<'a>(
    full: &'a Spec,
    pair: &'a KeyedPair,
    new: &Relation,
    remote: &RemoteTable,
    names: &'a NewNames,
) -> Sides<'a> {
    let mut legacy_columns = Vec::new();
    let mut new_columns = Vec::new();
    for (x, y) in &pair.columns {
        let (tx, ty) = (
            KeyedPair::type_of(&full.legacy, x),
            KeyedPair::type_of(new, y),
        );
        legacy_columns.push((Part::of(x, &tx, &ty), tx.clone()));
        new_columns.push((Part::of(y, &ty, &tx), ty));
    }
    let dim_at: Vec<usize> = full
        .dimensions
        .iter()
        .filter_map(|d| {
            pair.columns
                .iter()
                .position(|(x, _)| x.eq_ignore_ascii_case(d))
        })
        .collect();
    let legacy = SideShape {
        dialect: Dialect::DuckDb,
        from: full.legacy.sql.clone(),
        keys: full.keys.iter().map(String::as_str).collect(),
        dims: dim_at.iter().map(|&i| legacy_columns[i].0).collect(),
        columns: legacy_columns,
        measures: names
            .measures
            .iter()
            .map(|m| (m.name.as_str(), m.legacy, m.scale))
            .collect(),
    };
    let new = SideShape {
        dialect: Dialect::ClickHouse,
        from: remote.from.clone(),
        keys: names.keys.iter().map(String::as_str).collect(),
        dims: dim_at.iter().map(|&i| new_columns[i].0).collect(),
        columns: new_columns,
        measures: names
            .measures
            .iter()
            .map(|m| (m.new_name.as_str(), m.new, m.scale))
            .collect(),
    };
    Sides {
        legacy,
        new,
        rules: full.rules.clone(),
    }
}

/// How finely to cut: from the legacy side's rows per dimension slice, counted locally.
fn bucket_chars(conn: &duckdb::Connection, sides: &Sides) -> Result<usize> {
    let (legacy_rows, dimension_slices): (i64, i64) = conn.query_row(
        &format!(
            "SELECT count(*), count(DISTINCT {}) FROM {}",
            sides.legacy.slice_id(0, &sides.rules),
            sides.legacy.from
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(slices::bucket_chars(
        legacy_rows,
        dimension_slices,
        ROWS_PER_BUCKET,
    ))
}

/// What each side computes before it needs the other's answer.
struct FirstPass {
    legacy_sums: slices::Sums,
    new_sums: slices::Sums,
    sums_wire: Wire,
    duplicates_legacy: i64,
    duplicates_new: i64,
    duplicates_wire: Wire,
    low_cardinality: crate::recon::spec::Candidates,
    distinct_wire: Wire,
}

/// ClickHouse's share on a thread (it mostly waits for the server), the cache's here.
fn first_pass(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    full: &Spec,
    remote: &RemoteTable,
    sides: &Sides,
    chars: usize,
) -> Result<FirstPass> {
    let (here, there) = std::thread::scope(|s| {
        let on_server = s.spawn(|| -> Result<_> {
            let sums = stage("slices (ClickHouse)", || {
                slices::remote(ch, &sides.new, chars, &sides.rules, None)
            })?;
            let dups = stage("duplicate keys (ClickHouse)", || {
                duplicate_keys_remote(ch, &remote.from, &sides.new.keys)
            })?;
            let candidates = stage("distinct values (ClickHouse)", || {
                low_cardinality_remote(ch, full, remote)
            })?;
            Ok((sums, dups, candidates))
        });
        let here = (|| -> Result<_> {
            let sums = stage("slices (legacy)", || {
                slices::local(conn, &sides.legacy, chars, &sides.rules, None)
            })?;
            Ok((sums, duplicate_keys(conn, &full.legacy, &full.keys)?))
        })();
        let there = on_server
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (here, there)
    });
    let (legacy_sums, duplicates_legacy) = here?;
    let (
        (new_sums, sums_wire),
        (duplicates_new, duplicates_wire),
        (low_cardinality, distinct_wire),
    ) = there?;
    Ok(FirstPass {
        legacy_sums,
        new_sums,
        sums_wire,
        duplicates_legacy,
        duplicates_new,
        duplicates_wire,
        low_cardinality,
        distinct_wire,
    })
}

/// Both sides' shapes and the rules their canonical text follows.
struct Sides<'a> {
    legacy: SideShape<'a>,
    new: SideShape<'a>,
    rules: Rules,
}

/// The slices whose rows must be fetched, by the digits they are named at. Slices only one
/// side has are set aside as they are (see `slices::set_aside_one_sided`); those both sides
/// have are cut 16 times finer, summing both sides within them only, for as long as
/// `slices::worth_refining` says it pays. `sums` (at `chars` digits) gave `verdict`, whose
/// matched rows and NULL counts grow with every finer slice that agrees.
fn slices_to_fetch(
    (ch, conn): (&ClickHouse, &duckdb::Connection),
    sides: &Sides,
    (verdict, sums, mut chars): (&mut slices::Verdict, (&slices::Sums, &slices::Sums), usize),
    wire: &mut Vec<WireStep>,
    mut keep: Option<&mut slices::Named>,
) -> Result<slices::Named> {
    let rules = &sides.rules;
    // The first sums are the caller's (it still needs them); finer ones are ours.
    let (mut sums_l, mut sums_n) = (Cow::Borrowed(sums.0), Cow::Borrowed(sums.1));
    let mut to_fetch = slices::Named::new();
    verdict.differing = slices::set_aside_one_sided(
        std::mem::take(&mut verdict.differing),
        (&sums_l, &sums_n),
        (chars, true),
        &mut to_fetch,
        keep.as_deref_mut(),
    );
    while slices::worth_refining(
        slices::rows_in(&sums_l, &sums_n, &verdict.differing),
        verdict.differing.len(),
        chars,
    ) {
        set_differing(
            conn,
            &slices::Named::from([(chars, verdict.differing.clone())]),
        )?;
        let within_local = format!(
            "{} IN (SELECT id FROM {})",
            sides.legacy.slice_id(chars, rules),
            ident(DIFFERING)
        );
        let finer_l = stage("finer slices (legacy)", || {
            slices::local(conn, &sides.legacy, chars + 1, rules, Some(&within_local))
        })?;
        let (mut finer_n, mut w) = (slices::Sums::new(), Wire::default());
        stage("finer slices (ClickHouse)", || -> Result<()> {
            for list in slices::id_lists(&verdict.differing, |v: &str| CH.literal(v), ID_LIST_BYTES)
            {
                let within = format!("{} IN ({list})", sides.new.slice_id(chars, rules));
                let (part, pw) = slices::remote(ch, &sides.new, chars + 1, rules, Some(&within))?;
                finer_n.extend(part);
                (w.rows, w.bytes) = (w.rows + pw.rows, w.bytes + pw.bytes);
            }
            Ok(())
        })?;
        step(
            wire,
            format!("finer sums of {} differing slices", verdict.differing.len()),
            w,
        );
        verdict.refine(slices::judge(&finer_l, &finer_n, verdict.nulls.len()));
        (sums_l, sums_n, chars) = (Cow::Owned(finer_l), Cow::Owned(finer_n), chars + 1);
        verdict.differing = slices::set_aside_one_sided(
            std::mem::take(&mut verdict.differing),
            (&sums_l, &sums_n),
            (chars, false),
            &mut to_fetch,
            keep.as_deref_mut(),
        );
    }
    to_fetch
        .entry(chars)
        .or_default()
        .extend(std::mem::take(&mut verdict.differing));
    Ok(to_fetch)
}

/// The ClickHouse condition admitting the rows of the `kept` slices, when there are any
/// and their names fit `KEPT_BYTES`; else they join `to_fetch` (their rows are fetched).
fn kept_predicate(
    sides: &Sides,
    kept: &mut slices::Named,
    to_fetch: &mut slices::Named,
) -> Option<String> {
    let mut terms = Vec::new();
    for (&chars, ids) in kept.iter() {
        let id = sides.new.slice_id(chars, &sides.rules);
        for list in slices::id_lists(ids, |v: &str| CH.literal(v), ID_LIST_BYTES) {
            terms.push(format!("{id} IN ({list})"));
        }
    }
    let size: usize = terms.iter().map(String::len).sum();
    if terms.is_empty() || size > KEPT_BYTES {
        for (chars, ids) in std::mem::take(kept) {
            to_fetch.entry(chars).or_default().extend(ids);
        }
        return None;
    }
    Some(format!("({})", terms.join(" OR ")))
}
