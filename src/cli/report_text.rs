//! A compare report as sections of tables (table, csv, md); JSON is the report itself.

use polars::prelude::Column;

use crate::error::Result;
use crate::frame::{self, hundredths_column, text_column, Format};
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

/// Print every section; nested rows under `min_share` of the gap are left out (and counted).
pub fn print(name: &str, r: &Report, format: Format, min_share: f64) -> Result<()> {
    let mut out = std::io::stdout();
    let heading = |title: &str| match format {
        Format::Md => println!("\n### {name}: {title}\n"),
        Format::Csv => println!("# {name}: {title}"),
        _ => println!("\n{name}: {title}"),
    };
    heading("totals");
    let m = &r.measures;
    let mut df = frame::from_columns(vec![
        text_column("measure", m, |x| x.name.clone()),
        hundredths_column("legacy", m, |x| x.legacy),
        hundredths_column("new", m, |x| x.new),
        hundredths_column("delta", m, |x| x.delta),
        Column::new(
            "delta_pct".into(),
            m.iter()
                .map(|x| x.delta_pct.map(round2))
                .collect::<Vec<Option<f64>>>(),
        ),
        text_column("within_tolerance", m, |x| x.within_tolerance.to_string()),
    ])?;
    frame::write(&mut df, format, &mut out)?;

    heading("rows");
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
    let mut df = frame::from_columns(vec![
        text_column("class", &pairs, |p| p.0.to_string()),
        count_column("rows", &pairs, |p| p.1),
    ])?;
    frame::write(&mut df, format, &mut out)?;

    heading("columns (a = legacy, b = new)");
    let c = &r.columns;
    let mut df = frame::from_columns(vec![
        text_column("column", c, |x| x.name.clone()),
        count_column("perfect_match", c, |x| x.perfect_match),
        count_column("null_in_a", c, |x| x.null_in_a),
        count_column("null_in_b", c, |x| x.null_in_b),
        count_column("missing_from_a", c, |x| x.missing_from_a),
        count_column("missing_from_b", c, |x| x.missing_from_b),
        count_column("conflicting_values", c, |x| x.conflicting_values),
    ])?;
    frame::write(&mut df, format, &mut out)?;

    if !r.schema.is_empty() {
        heading("schema differences");
        let s = &r.schema;
        let mut df = frame::from_columns(vec![
            text_column("column", s, |x| x.column.clone()),
            text_column("change", s, |x| x.change.clone()),
            text_column("legacy_type", s, |x| {
                x.legacy_type.clone().unwrap_or_default()
            }),
            text_column("new_type", s, |x| x.new_type.clone().unwrap_or_default()),
            text_column("new_name", s, |x| x.new_name.clone().unwrap_or_default()),
        ])?;
        frame::write(&mut df, format, &mut out)?;
    }

    if !r.breakdown.is_empty() {
        heading("delta by dimension");
        let b = &r.breakdown;
        let mut df = frame::from_columns(vec![
            text_column("dimension", b, |x| x.dimension.clone()),
            text_column("value", b, |x| x.value.clone().unwrap_or_default()),
            text_column("measure", b, |x| x.measure.clone()),
            hundredths_column("legacy", b, |x| x.legacy),
            hundredths_column("new", b, |x| x.new),
            hundredths_column("delta", b, |x| x.delta),
            share_column(b, |x| x.share),
        ])?;
        frame::write(&mut df, format, &mut out)?;
    }

    if r.nested.iter().any(|n| n.path.len() > 1) {
        let shown: Vec<_> = r
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
        heading(&format!(
            "delta nested by {dims} ({} of {} groups at ≥ {}% of the gap; --min-share 0 shows all)",
            shown.len(),
            r.nested.len(),
            round2(100.0 * min_share)
        ));
        let indent = |n: &&crate::recon::breakdown::NestedRow| {
            let last = n
                .values
                .last()
                .cloned()
                .flatten()
                .unwrap_or_else(|| "NULL".into());
            format!("{}{last}", "  ".repeat(n.values.len().saturating_sub(1)))
        };
        let mut df = frame::from_columns(vec![
            text_column("group", &shown, indent),
            text_column("measure", &shown, |x| x.measure.clone()),
            hundredths_column("legacy", &shown, |x| x.legacy),
            hundredths_column("new", &shown, |x| x.new),
            hundredths_column("delta", &shown, |x| x.delta),
            share_column(&shown, |x| x.share),
        ])?;
        frame::write(&mut df, format, &mut out)?;
    }

    let s = &r.samples;
    for (class, rows) in [
        ("changed", &s.changed),
        ("only_legacy", &s.only_legacy),
        ("only_new", &s.only_new),
    ] {
        if rows.is_empty() {
            continue;
        }
        heading(&format!("sample rows: {class}"));
        let mut df = frame::from_columns(vec![
            text_column("key", rows, |x| object_text(&x.key)),
            text_column("legacy", rows, |x| side_text(x, true)),
            text_column("new", rows, |x| side_text(x, false)),
        ])?;
        frame::write(&mut df, format, &mut out)?;
    }

    if !r.wire.is_empty() {
        heading("on the wire (ClickHouse)");
        let mut df = frame::from_columns(vec![
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
        frame::write(&mut df, format, &mut out)?;
    }
    Ok(())
}

fn object_text(map: &serde_json::Map<String, serde_json::Value>) -> String {
    map.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            v => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn side_text(row: &SampleRow, legacy: bool) -> String {
    let side = if legacy { &row.legacy } else { &row.new };
    side.as_ref().map_or_else(|| "—".into(), object_text)
}
