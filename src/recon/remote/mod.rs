//! A configured comparison whose new side lives in a ClickHouse warehouse, computed without
//! pulling the table: each side sums its slices where it lives (ClickHouse for the new side,
//! the cache for the legacy export); slices whose sums agree are matched rows; only the rows
//! of the slices that differ are fetched into the cache, a page of slices at a time, and
//! compared there exactly as a local compare would. Totals, NULL counts and the breakdown
//! of the agreeing slices come from group sums. Every step records what crossed the wire.

pub mod canonical;
pub mod fetch;
pub mod slices;

use std::borrow::Cow;
use std::sync::Arc;

use canonical::{Dialect, Part};
use slices::SideShape;

use super::configured::{scope, Scope, COMPANY};
use super::equality::Rules;
use super::relation::Relation;
use super::report::{duplicate_keys, Beyond, Spec, WireStep};
use super::KeyedPair;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::extract::Cancel;
use crate::sql::{ident, literal};
use crate::store::Store;
use crate::trace::stage;
use crate::warehouse::clickhouse::{ident_ch, literal_ch};
use crate::warehouse::{qualify_layers, ClickHouse, Wire};

/// The cache's temporary table of fetched rows.
pub const FETCHED: &str = "assay_remote_new";
const DIFFERING: &str = "assay_remote_slices";
/// The cache's temporary table of the legacy rows of the differing slices.
const LEGACY_ROWS: &str = "assay_remote_legacy";
const GROUPS: &str = "assay_remote_groups";
/// Bytes of slice names per statement (ClickHouse's max_query_size is 256 KiB by default).
const ID_LIST_BYTES: usize = 128 * 1024;
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

/// The new side where it lives: `(SELECT … FROM db.table WHERE company IN …)`.
struct RemoteTable {
    /// Columns as fetched: the table's, its company column last and named `company`.
    columns: Vec<(String, String)>,
    from: String,
}

fn remote_table(ch: &ClickHouse, scope: &Scope) -> Result<RemoteTable> {
    let cmp = scope.comparison;
    let table = qualify_layers(ch.database(), &cmp.table);
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
            select.push(ident_ch(name));
        }
    }
    columns.push((COMPANY.to_string(), company_type));
    select.push(if company_col == COMPANY {
        ident_ch(COMPANY)
    } else {
        format!("{} AS {}", ident_ch(&company_col), ident_ch(COMPANY))
    });
    let list: Vec<String> = scope.companies.iter().map(|c| literal_ch(c)).collect();
    Ok(RemoteTable {
        from: format!(
            "(SELECT {} FROM {} WHERE {} IN ({}))",
            select.join(", "),
            ident_ch(&table),
            ident_ch(&company_col),
            list.join(", ")
        ),
        columns,
    })
}

/// Fetch what differs and describe the rest; see the module's comment. Once `cancel` is
/// set, the query in flight is abandoned and killed on the server.
pub fn prepare(
    ws: &Workspace,
    store: &Store,
    name: &str,
    only: &[String],
    cancel: Option<Arc<Cancel>>,
) -> Result<Pushed> {
    let scope = scope(ws, store, name, only)?;
    let ch = ClickHouse::connect(&ws.config.warehouse)?;
    ch.watch(cancel);
    let conn = store.conn();
    let remote = remote_table(&ch, &scope)?;
    fetch::create_table(conn, FETCHED, &remote.columns)?;
    let new = Relation::describe(conn, &ident(FETCHED))?;
    let full = scope.spec(scope.legacy.clone(), new.clone());
    scope.check_columns(conn, &full)?;
    let pair = full.keyed_pair()?;
    let rules = full.rules.clone();
    let mut wire = Vec::new();

    // Both sides described in their own dialect, column by column of the pair.
    let legacy_keys: Vec<&str> = full.keys.iter().map(String::as_str).collect();
    let new_key_names: Vec<String> = full.keys.iter().map(|k| full.new_name(k)).collect();
    let new_keys: Vec<&str> = new_key_names.iter().map(String::as_str).collect();
    let mut legacy_columns = Vec::new();
    let mut new_columns = Vec::new();
    for (x, y) in &pair.columns {
        let (tx, ty) = (
            KeyedPair::type_of(&full.legacy, x),
            KeyedPair::type_of(&new, y),
        );
        legacy_columns.push((Part::of(x, &tx, &ty), tx.clone()));
        new_columns.push((Part::of(y, &ty, &tx), ty));
    }
    let paired = |d: &String| {
        pair.columns
            .iter()
            .position(|(x, _)| x.eq_ignore_ascii_case(d))
    };
    let dim_at: Vec<usize> = full.dimensions.iter().filter_map(paired).collect();
    let legacy_side = SideShape {
        dialect: Dialect::DuckDb,
        from: full.legacy.sql.clone(),
        keys: legacy_keys,
        dims: dim_at.iter().map(|&i| legacy_columns[i].0).collect(),
        columns: legacy_columns.clone(),
        measures: full.measures.iter().map(String::as_str).collect(),
    };
    let new_measures: Vec<String> = full.measures.iter().map(|m| full.new_name(m)).collect();
    let new_side = SideShape {
        dialect: Dialect::ClickHouse,
        from: remote.from.clone(),
        keys: new_keys.clone(),
        dims: dim_at.iter().map(|&i| new_columns[i].0).collect(),
        columns: new_columns.clone(),
        measures: new_measures.iter().map(String::as_str).collect(),
    };

    // How finely to cut: the legacy side's rows per dimension slice, counted locally.
    let (legacy_rows, dimension_slices): (i64, i64) = conn.query_row(
        &format!(
            "SELECT count(*), count(DISTINCT {}) FROM {}",
            legacy_side.slice_id(0, &rules),
            legacy_side.from
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let chars = slices::bucket_chars(legacy_rows, dimension_slices, ROWS_PER_BUCKET);
    // What needs no answer from the other side runs at once: ClickHouse's share on a
    // thread (it mostly waits for the server), the cache's here.
    let (local_first, remote_first) = std::thread::scope(|s| {
        let on_server = s.spawn(|| -> Result<_> {
            let sums = stage("slices (ClickHouse)", || {
                slices::remote(&ch, &new_side, chars, &rules, None)
            })?;
            let dups = stage("duplicate keys (ClickHouse)", || {
                duplicate_keys_remote(&ch, &remote.from, &new_keys)
            })?;
            let candidates = stage("distinct values (ClickHouse)", || {
                low_cardinality_remote(&ch, &full, &remote)
            })?;
            Ok((sums, dups, candidates))
        });
        let here = (|| -> Result<_> {
            let sums = stage("slices (legacy)", || {
                slices::local(conn, &legacy_side, chars, &rules, None)
            })?;
            Ok((sums, duplicate_keys(conn, &full.legacy, &full.keys)?))
        })();
        let there = on_server
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (here, there)
    });
    let (legacy_sums, dup_legacy) = local_first?;
    let ((new_sums, w), (dup_new, dup_wire), (low_cardinality, distinct_wire)) = remote_first?;
    step(&mut wire, "slice sums", w);
    let mut verdict = slices::judge(&legacy_sums, &new_sums, pair.columns.len());
    let all_slices = verdict.slices;

    // Differences scattered over many rows make most slices differ: cut those finer, as
    // long as it pays, and fetch only the finer slices that still differ.
    let sides = Sides {
        legacy: legacy_side,
        new: new_side,
        rules,
    };
    let sums = (&legacy_sums, &new_sums);
    let to_fetch = slices_to_fetch(&ch, conn, &sides, &mut verdict, sums, chars, &mut wire)?;
    set_differing(conn, &to_fetch)?;
    let fetched = stage("rows of differing slices", || {
        fetch_differing(&ch, conn, &sides, &remote, &to_fetch)
    })?;
    let named: usize = to_fetch.values().map(Vec::len).sum();
    step(
        &mut wire,
        format!("rows of {named} differing slices (of {all_slices} at first)"),
        fetched,
    );

    step(&mut wire, "duplicate keys", dup_wire);
    let (groups, w) = stage("breakdown groups (ClickHouse)", || {
        agreeing_groups(&ch, conn, &full, &remote)
    })?;
    step(&mut wire, "breakdown groups", w);
    step(&mut wire, "distinct values", distinct_wire);

    // The legacy rows of the differing slices, once: the compare scans them several times.
    let named_here: Vec<String> = to_fetch
        .keys()
        .map(|&c| {
            format!(
                "{} IN (SELECT id FROM {} WHERE chars = {c})",
                sides.legacy.slice_id(c, &sides.rules),
                ident(DIFFERING)
            )
        })
        .collect();
    let restriction = if named_here.is_empty() {
        "false".to_string()
    } else {
        named_here.join(" OR ")
    };
    stage("legacy rows of differing slices", || {
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE {} AS SELECT * FROM {} WHERE {restriction}",
            ident(LEGACY_ROWS),
            full.legacy.sql,
        ))
    })?;
    let restricted = Relation::describe(conn, &ident(LEGACY_ROWS))?;
    let nulls = pair
        .columns
        .iter()
        .zip(&verdict.nulls)
        .map(|((x, _), (a, b))| (x.clone(), *a, *b))
        .collect();
    let measures = full.measures.len();
    let beyond = Beyond {
        legacy_totals: Some(slices::totals(&legacy_sums, measures)),
        new_totals: Some(slices::totals(&new_sums, measures)),
        duplicate_keys_legacy: Some(dup_legacy),
        duplicate_keys_new: Some(dup_new),
        matched: verdict.matched,
        nulls,
        agreeing_groups: groups,
        wire,
    };
    let mut spec = scope.spec(restricted, new);
    spec.dimension_candidates = Some(low_cardinality);
    Ok(Pushed { spec, beyond })
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
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    sides: &Sides,
    verdict: &mut slices::Verdict,
    sums: (&slices::Sums, &slices::Sums),
    mut chars: usize,
    wire: &mut Vec<WireStep>,
) -> Result<slices::Named> {
    let rules = &sides.rules;
    // The first sums are the caller's (it still needs them); finer ones are ours.
    let (mut sums_l, mut sums_n) = (Cow::Borrowed(sums.0), Cow::Borrowed(sums.1));
    let mut to_fetch = slices::Named::new();
    verdict.differing = slices::set_aside_one_sided(
        std::mem::take(&mut verdict.differing),
        &sums_l,
        &sums_n,
        chars,
        true,
        &mut to_fetch,
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
            for list in slices::id_lists(&verdict.differing, literal_ch, ID_LIST_BYTES) {
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
            &sums_l,
            &sums_n,
            chars,
            false,
            &mut to_fetch,
        );
    }
    to_fetch
        .entry(chars)
        .or_default()
        .extend(std::mem::take(&mut verdict.differing));
    Ok(to_fetch)
}

/// The new side's rows of the slices `to_fetch` into the cache's FETCHED table, a list of
/// slices at a time.
fn fetch_differing(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    sides: &Sides,
    remote: &RemoteTable,
    to_fetch: &slices::Named,
) -> Result<Wire> {
    let columns: Vec<String> = remote.columns.iter().map(|(n, _)| ident_ch(n)).collect();
    let mut fetched = Wire::default();
    for (&chars, ids) in to_fetch {
        for list in slices::id_lists(ids, literal_ch, ID_LIST_BYTES) {
            let sql = format!(
                "SELECT {} FROM {} WHERE {} IN ({list})",
                columns.join(", "),
                remote.from,
                sides.new.slice_id(chars, &sides.rules),
            );
            let w = fetch::append(ch, conn, FETCHED, &remote.columns, &sql)?;
            fetched.rows += w.rows;
            fetched.bytes += w.bytes;
        }
    }
    Ok(fetched)
}

/// The slices in hand, in the cache (the legacy side is restricted to them).
fn set_differing(conn: &duckdb::Connection, named: &slices::Named) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {} (chars INTEGER, id VARCHAR)",
        ident(DIFFERING)
    ))?;
    for (chars, ids) in named {
        for page in ids.chunks(1000) {
            let values: Vec<String> = page
                .iter()
                .map(|id| format!("({chars}, {})", literal(id)))
                .collect();
            conn.execute_batch(&format!(
                "INSERT INTO {} VALUES {}",
                ident(DIFFERING),
                values.join(", ")
            ))?;
        }
    }
    Ok(())
}

fn duplicate_keys_remote(ch: &ClickHouse, from: &str, keys: &[&str]) -> Result<(i64, Wire)> {
    let list: Vec<String> = keys.iter().map(|k| ident_ch(k)).collect();
    ch.query_number(&format!(
        "SELECT count() AS n FROM (SELECT {l} FROM {from} GROUP BY {l} HAVING count() > 1)",
        l = list.join(", ")
    ))
}

/// The rows of the agreeing slices as groups (the shape `Beyond::agreeing_groups` names):
/// ClickHouse's sums and counts by every dimension, less those of the fetched rows (whose
/// part the keyed join supplies). Agreeing rows hold the same amounts on both sides.
fn agreeing_groups(
    ch: &ClickHouse,
    conn: &duckdb::Connection,
    spec: &Spec,
    remote: &RemoteTable,
) -> Result<(Option<String>, Wire)> {
    if spec.dimensions.is_empty() || spec.measures.is_empty() {
        return Ok((None, Wire::default()));
    }
    let dims: Vec<String> = spec.dimensions.iter().map(|d| spec.new_name(d)).collect();
    let measures: Vec<String> = spec.measures.iter().map(|m| spec.new_name(m)).collect();
    let mut columns: Vec<(String, String)> = (0..dims.len())
        .map(|i| (format!("v{i}"), "Nullable(String)".to_string()))
        .collect();
    columns.extend((0..measures.len()).map(|k| (format!("m{k}"), "Float64".to_string())));
    columns.push(("n".to_string(), "UInt64".to_string()));
    let mut select: Vec<String> = dims
        .iter()
        .enumerate()
        .map(|(i, d)| format!("toString({}) AS v{i}", ident_ch(d)))
        .collect();
    select.extend(
        measures
            .iter()
            .enumerate()
            .map(|(k, m)| format!("sum(toFloat64({})) AS m{k}", ident_ch(m))),
    );
    select.push("count() AS n".into());
    let group: Vec<String> = (0..dims.len()).map(|i| format!("v{i}")).collect();
    fetch::create_table(conn, GROUPS, &columns)?;
    let wire = fetch::append(
        ch,
        conn,
        GROUPS,
        &columns,
        &format!(
            "SELECT {} FROM {} GROUP BY {}",
            select.join(", "),
            remote.from,
            group.join(", ")
        ),
    )?;
    let local_select: Vec<String> = dims
        .iter()
        .enumerate()
        .map(|(i, d)| format!("CAST({} AS VARCHAR) AS v{i}", ident(d)))
        .chain(
            measures
                .iter()
                .enumerate()
                .map(|(k, m)| format!("sum(CAST({} AS DOUBLE)) AS m{k}", ident(m))),
        )
        .chain(std::iter::once("count(*) AS n".to_string()))
        .collect();
    let on: Vec<String> = (0..dims.len())
        .map(|i| format!("g.v{i} IS NOT DISTINCT FROM f.v{i}"))
        .collect();
    let out: Vec<String> = (0..dims.len())
        .map(|i| format!("g.v{i}"))
        .chain((0..measures.len()).map(|k| format!("g.m{k} - coalesce(f.m{k}, 0) AS m{k}")))
        .chain(std::iter::once("g.n - coalesce(f.n, 0) AS n".to_string()))
        .collect();
    let sql = format!(
        "SELECT {out} FROM {groups} AS g LEFT JOIN (SELECT {local} FROM {fetched} GROUP BY ALL) AS f ON {on}",
        out = out.join(", "),
        groups = ident(GROUPS),
        local = local_select.join(", "),
        fetched = ident(FETCHED),
        on = on.join(" AND ")
    );
    Ok((Some(sql), wire))
}

/// The new side's text and date columns with 2–50 distinct values, counted by ClickHouse.
fn low_cardinality_remote(
    ch: &ClickHouse,
    spec: &Spec,
    remote: &RemoteTable,
) -> Result<(Vec<String>, Wire)> {
    let candidates: Vec<&String> = spec
        .new
        .columns
        .iter()
        .filter(|(n, t)| super::explain::may_explain(spec, n, t))
        .map(|(n, _)| n)
        .collect();
    if candidates.is_empty() {
        return Ok((Vec::new(), Wire::default()));
    }
    let select: Vec<String> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| format!("uniqExact({}) AS u{i}", ident_ch(c)))
        .collect();
    let (frame, wire) = ch.query_readonly(&format!(
        "SELECT {} FROM {}",
        select.join(", "),
        remote.from
    ))?;
    let counts = crate::frame::to_cells(&frame)
        .into_iter()
        .next()
        .unwrap_or_default();
    let chosen = candidates
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| {
            let n: i64 = n.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
            super::explain::few_enough(n)
        })
        .map(|(c, _)| c.clone())
        .collect();
    Ok((chosen, wire))
}
