//! A compare report as sections of tables (table, csv, md); JSON is the report itself.

use polars::prelude::{Column, DataFrame};

use crate::error::Result;
use crate::frame::{self, exact_column, text_column, Format};
use crate::recon::breakdown::NestedRow;
use crate::recon::report::{Report, SampleRow};

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn share_column<T>(items: &[T], f: impl Fn(&T) -> Option<f64>) -> Column {
    Column::new(
        "share_pct".into(),
        items
            .iter()
            .map(|x| f(x).map(|s| round2(100.0 * s)))
            .collect::<Vec<Option<f64>>>(),
    )
}

fn count_column<T>(name: &str, items: &[T], f: impl Fn(&T) -> i64) -> Column {
    Column::new(name.into(), items.iter().map(f).collect::<Vec<i64>>())
}

/// A titled table of the report.
type Section = (String, DataFrame);

/// Print every section; nested rows under `min_share` of the gap are left out (and counted).
pub fn print(name: &str, r: &Report, format: Format, min_share: f64) -> Result<()> {
    let mut out = std::io::stdout();
    for w in &r.warnings {
        // On stderr too, so a cron job's log has it whatever it does with the report.
        eprintln!("warning: {name}: {w}");
        match format {
            Format::Csv => println!("# warning: {w}"),
            Format::Md => println!("> **Warning:** {w}\n"),
            _ => println!("warning: {w}"),
        }
    }
    for (title, mut df) in sections(r, min_share)? {
        match format {
            Format::Md => println!("\n### {name}: {title}\n"),
            Format::Csv => println!("# {name}: {title}"),
            _ => println!("\n{name}: {title}"),
        }
        frame::write(&mut df, format, &mut out)?;
    }
    Ok(())
}

/// The report's sections in print order; those with nothing to say are left out.
fn sections(r: &Report, min_share: f64) -> Result<Vec<Section>> {
    let mut all = vec![totals(r)?, rows(r)?, columns(r)?];
    if !r.schema.is_empty() {
        all.push(schema(r)?);
    }
    if !r.breakdown.is_empty() {
        all.push(breakdown(r)?);
    }
    if r.nested.iter().any(|n| n.path.len() > 1) {
        all.push(nested(r, min_share)?);
    }
    all.extend(samples(r)?);
    if !r.wire.is_empty() {
        all.push(wire(r)?);
    }
    Ok(all)
}

fn totals(r: &Report) -> Result<Section> {
    let m = &r.measures;
    let df = frame::from_columns(vec![
        text_column("measure", m, |x| x.name.clone()),
        exact_column("legacy", m, |x| x.legacy),
        exact_column("new", m, |x| x.new),
        exact_column("delta", m, |x| x.delta),
        Column::new(
            "delta_pct".into(),
            m.iter()
                .map(|x| x.delta_pct.map(round2))
                .collect::<Vec<Option<f64>>>(),
        ),
        text_column("within_tolerance", m, |x| x.within_tolerance.to_string()),
    ])?;
    Ok(("totals".into(), df))
}

fn rows(r: &Report) -> Result<Section> {
    let rows = &r.rows;
    let pairs = [
        ("legacy_rows", rows.legacy_rows),
        ("new_rows", rows.new_rows),
        ("matched", rows.matched),
        ("changed", rows.changed),
        ("only_legacy", rows.only_legacy),
        ("only_new", rows.only_new),
        ("duplicate_keys_legacy", rows.duplicate_keys_legacy),
        ("duplicate_keys_new", rows.duplicate_keys_new),
    ];
    let df = frame::from_columns(vec![
        text_column("class", &pairs, |p| p.0.to_string()),
        count_column("rows", &pairs, |p| p.1),
    ])?;
    Ok(("rows".into(), df))
}

fn columns(r: &Report) -> Result<Section> {
    let c = &r.columns;
    let df = frame::from_columns(vec![
        text_column("column", c, |x| x.name.clone()),
        count_column("perfect_match", c, |x| x.perfect_match),
        count_column("null_in_a", c, |x| x.null_in_a),
        count_column("null_in_b", c, |x| x.null_in_b),
        count_column("missing_from_a", c, |x| x.missing_from_a),
        count_column("missing_from_b", c, |x| x.missing_from_b),
        count_column("conflicting_values", c, |x| x.conflicting_values),
    ])?;
    Ok(("columns (a = legacy, b = new)".into(), df))
}

fn schema(r: &Report) -> Result<Section> {
    let s = &r.schema;
    let df = frame::from_columns(vec![
        text_column("column", s, |x| x.column.clone()),
        text_column("change", s, |x| x.change.clone()),
        text_column("legacy_type", s, |x| {
            x.legacy_type.clone().unwrap_or_default()
        }),
        text_column("new_type", s, |x| x.new_type.clone().unwrap_or_default()),
        text_column("new_name", s, |x| x.new_name.clone().unwrap_or_default()),
    ])?;
    Ok(("schema differences".into(), df))
}

fn breakdown(r: &Report) -> Result<Section> {
    let b = &r.breakdown;
    let df = frame::from_columns(vec![
        text_column("dimension", b, |x| x.dimension.clone()),
        text_column("value", b, |x| x.value.clone().unwrap_or_default()),
        text_column("measure", b, |x| x.measure.clone()),
        exact_column("legacy", b, |x| x.legacy),
        exact_column("new", b, |x| x.new),
        exact_column("delta", b, |x| x.delta),
        share_column(b, |x| x.share),
    ])?;
    Ok(("delta by dimension".into(), df))
}

/// The nested breakdown, each group indented under its parent.
fn nested(r: &Report, min_share: f64) -> Result<Section> {
    let shown: Vec<&NestedRow> = r
        .nested
        .iter()
        .filter(|n| n.share.is_some_and(|s| s.abs() >= min_share))
        .collect();
    let path = r.nested.iter().map(|n| n.path.len()).max().unwrap_or(0);
    let dims = r
        .nested
        .iter()
        .find(|n| n.path.len() == path)
        .map(|n| n.path.join(" → "))
        .unwrap_or_default();
    let title = format!(
        "delta nested by {dims} ({} of {} groups at ≥ {}% of the gap; --min-share 0 shows all)",
        shown.len(),
        r.nested.len(),
        round2(100.0 * min_share)
    );
    let indent = |n: &&NestedRow| {
        let last = n
            .values
            .last()
            .cloned()
            .flatten()
            .unwrap_or_else(|| "NULL".into());
        format!("{}{last}", "  ".repeat(n.values.len().saturating_sub(1)))
    };
    let df = frame::from_columns(vec![
        text_column("group", &shown, indent),
        text_column("measure", &shown, |x| x.measure.clone()),
        exact_column("legacy", &shown, |x| x.legacy),
        exact_column("new", &shown, |x| x.new),
        exact_column("delta", &shown, |x| x.delta),
        share_column(&shown, |x| x.share),
    ])?;
    Ok((title, df))
}

fn samples(r: &Report) -> Result<Vec<Section>> {
    let s = &r.samples;
    let mut out = Vec::new();
    for (class, rows) in [
        ("changed", &s.changed),
        ("only_legacy", &s.only_legacy),
        ("only_new", &s.only_new),
    ] {
        if rows.is_empty() {
            continue;
        }
        let df = frame::from_columns(vec![
            text_column("key", rows, |x| object_text(&x.key)),
            text_column("legacy", rows, |x| side_text(x, true)),
            text_column("new", rows, |x| side_text(x, false)),
        ])?;
        out.push((format!("sample rows: {class}"), df));
    }
    Ok(out)
}

fn wire(r: &Report) -> Result<Section> {
    let df = frame::from_columns(vec![
        text_column("step", &r.wire, |w| w.step.clone()),
        Column::new(
            "rows".into(),
            r.wire.iter().map(|w| w.rows as i64).collect::<Vec<i64>>(),
        ),
        Column::new(
            "bytes".into(),
            r.wire.iter().map(|w| w.bytes as i64).collect::<Vec<i64>>(),
        ),
    ])?;
    Ok(("on the wire (ClickHouse)".into(), df))
}

fn object_text(map: &crate::recon::summary::Fields) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn side_text(row: &SampleRow, legacy: bool) -> String {
    let side = if legacy { &row.legacy } else { &row.new };
    side.as_ref().map_or_else(|| "—".into(), object_text)
}
