//! `assay report NAME --format md|html|json`: the ticket of a comparison, as Markdown to
//! paste into a pull request, one self-contained HTML file (the waterfall as an inline SVG
//! chart), or JSON.

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::recon::summary::SampleRow;
use crate::rules::ticket::{ticket, Ticket};
use crate::rules::{self, RulesFile};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A comparison of assay.toml.
    pub name: String,
    #[arg(long, value_parser = ["md", "html", "json"], default_value = "md")]
    pub format: String,
}

pub fn run(ws: &Workspace, args: ReportArgs) -> Result<i32> {
    let name = &args.name;
    if !ws.config.comparisons.contains_key(name) {
        return Err(Error::Usage(format!(
            "no comparison `{name}` in assay.toml"
        )));
    }
    let file = RulesFile::load(&rules::path_of(&ws.root, name))?;
    let warehouse = super::connect_warehouse(ws)?;
    let store = super::open_for_compare(ws, name, &[])?;
    let t = ticket(ws, &store, warehouse.as_ref(), (name, &file), &rules::now())?;
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&t).expect("plain JSON")),
        "html" => print!("{}", html(&t)),
        _ => print!("{}", markdown(&t)),
    }
    Ok(0)
}

/// One line of the waterfall: label, rows, effect, gap after, note.
struct Line {
    label: String,
    rows: String,
    effect: String,
    after: String,
    note: String,
}

fn lines(t: &Ticket) -> Vec<Line> {
    let w = &t.waterfall;
    let mut out = vec![Line {
        label: "gap before any rule".into(),
        rows: String::new(),
        effect: String::new(),
        after: w.gap_before.grouped(),
        note: String::new(),
    }];
    for s in &w.steps {
        out.push(Line {
            label: format!("rule {} ({})", s.rule, s.kind.as_str()),
            rows: s.rows.to_string(),
            effect: s.delta.grouped(),
            after: s.gap_after.grouped(),
            note: format!("{:.1} % closed", s.cumulative_share * 100.0),
        });
    }
    for a in &w.accepted {
        out.push(Line {
            label: format!("accepted difference {}", a.name),
            rows: a.rows.to_string(),
            effect: a.delta.grouped(),
            after: String::new(),
            note: a.note.clone(),
        });
    }
    out.push(Line {
        label: "unexplained".into(),
        rows: String::new(),
        effect: String::new(),
        after: w.unexplained.grouped(),
        note: if w.within_tolerance {
            "within tolerance"
        } else {
            "OUT OF TOLERANCE"
        }
        .into(),
    });
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(t: &Ticket) -> String {
    let w = &t.waterfall;
    let mut s = format!(
        "# {} · {}: legacy parity\n\nGenerated {} from `{}`.\n\n| | {} |\n|---|---:|\n| legacy | {} |\n| new | {} |\n| gap (new − legacy) | {} |\n\n",
        t.comparison,
        t.measure,
        t.generated_at,
        t.rules_file,
        t.measure,
        w.legacy_total.grouped(),
        w.legacy_total.plus(w.gap_before).unwrap_or(w.gap_before).grouped(),
        w.gap_before.grouped()
    );
    s.push_str("## Waterfall (accepted rules)\n\n| step | rows | effect | gap after | |\n|---|---:|---:|---:|---|\n");
    for l in lines(t) {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            md_cell(&l.label),
            l.rows,
            l.effect,
            l.after,
            md_cell(&l.note)
        ));
    }
    s.push_str("\n## Rules\n\n");
    if t.rules.is_empty() {
        s.push_str("No rules yet (`assay rules NAME suggest`).\n");
    }
    for r in &t.rules {
        let set: Vec<String> = r.set.iter().map(|(c, e)| format!("`{c} = {e}`")).collect();
        s.push_str(&format!(
            "- **{}** ({}, {}): where `{}`{}. {} — {} {}\n",
            r.name,
            r.kind.as_str(),
            r.status.as_str(),
            r.filter,
            if set.is_empty() {
                String::new()
            } else {
                format!(", set {}", set.join(", "))
            },
            md_cell(&r.note),
            if r.by.is_empty() { "no author" } else { &r.by },
            r.at
        ));
    }
    s.push_str("\n## What remains\n\n");
    let rows = &t.rows_after_rules;
    s.push_str(&format!(
        "After the accepted rules: {} matched, {} changed, {} only in legacy, {} only in new.\n\n",
        rows.matched, rows.changed, rows.only_legacy, rows.only_new
    ));
    if !t.remainder_causes.is_empty() {
        s.push_str("| cause | rows | delta | share |\n|---|---:|---:|---:|\n");
        for c in &t.remainder_causes {
            s.push_str(&format!(
                "| {} ({}) | {} | {} | {:.1} % |\n",
                md_cell(&c.headline()),
                c.row_class,
                c.rows,
                c.delta.grouped(),
                c.share * 100.0
            ));
        }
    }
    s.push_str(&samples_md(t));
    s.push_str("\n## Sign-offs\n\n");
    if t.signoffs.is_empty() {
        s.push_str("None yet (`assay signoff NAME --note …`).\n");
    }
    for (i, so) in t.signoffs.iter().enumerate() {
        let state = match (&w.signoff, i + 1 == t.signoffs.len()) {
            (Some(st), true) if st.changed.is_empty() => "current".to_string(),
            (Some(st), true) => format!("**stale**: {}", st.changed.join("; ")),
            _ => "superseded".into(),
        };
        s.push_str(&format!(
            "- {} at {}: {} (gap {}, remaining {}, unexplained {}) — {state}\n",
            so.by,
            so.at,
            md_cell(&so.note),
            so.gap_before,
            so.remaining,
            so.unexplained
        ));
    }
    s
}

fn sample_line(r: &SampleRow, changed: bool) -> String {
    let key: Vec<String> = r.key.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let differs = if r.differs.is_empty() || !changed {
        String::new()
    } else {
        format!(" (differs: {})", r.differs.join(", "))
    };
    format!("`{}`{differs}", key.join(", "))
}

fn samples_md(t: &Ticket) -> String {
    let mut s = String::new();
    for (class, rows) in [
        ("changed", &t.samples.changed),
        ("only in legacy", &t.samples.only_legacy),
        ("only in new", &t.samples.only_new),
    ] {
        if !rows.is_empty() {
            // A one-sided row differs in every column; only changed rows say which.
            let list: Vec<String> = rows
                .iter()
                .map(|r| sample_line(r, class == "changed"))
                .collect();
            s.push_str(&format!("\nSample rows {class}: {}\n", list.join("; ")));
        }
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The waterfall as floating bars: each step from the gap before it to the gap after it.
fn svg(t: &Ticket) -> String {
    let w = &t.waterfall;
    let mut points = vec![("gap".to_string(), 0.0, w.gap_before.to_f64())];
    let mut level = w.gap_before.to_f64();
    for s in &w.steps {
        points.push((s.rule.clone(), level, s.gap_after.to_f64()));
        level = s.gap_after.to_f64();
    }
    for a in &w.accepted {
        let next = level - a.delta.to_f64();
        points.push((format!("accepted: {}", a.name), level, next));
        level = next;
    }
    points.push(("unexplained".into(), 0.0, level));
    let (lo, hi) = points.iter().fold((0.0f64, 0.0f64), |(lo, hi), (_, a, b)| {
        (lo.min(*a).min(*b), hi.max(*a).max(*b))
    });
    let span = (hi - lo).max(1.0);
    let (width, bar, left) = (720.0, 24.0, 260.0);
    let x = |v: f64| left + (v - lo) / span * (width - left - 10.0);
    let mut out = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"waterfall\">", points.len() as f64 * (bar + 6.0) + 6.0);
    for (i, (label, a, b)) in points.iter().enumerate() {
        let y = 6.0 + i as f64 * (bar + 6.0);
        let (x0, x1) = (x(a.min(*b)), x(a.max(*b)));
        out.push_str(&format!(
            "<text x=\"4\" y=\"{:.1}\" font-size=\"12\">{}</text><rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar}\" fill=\"{}\"/>",
            y + bar * 0.7,
            esc(label),
            (x1 - x0).max(1.0),
            if i == 0 || i + 1 == points.len() { "#4a6fa5" } else { "#c0504d" }
        ));
    }
    out.push_str("</svg>");
    out
}

fn html(t: &Ticket) -> String {
    let mut rows = String::new();
    for l in lines(t) {
        rows.push_str(&format!("<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td></tr>", esc(&l.label), l.rows, l.effect, l.after, esc(&l.note)));
    }
    // The Markdown's other sections, each line a paragraph: one source for both forms.
    let md = markdown(t);
    let rest: String = md
        .split("\n## Rules\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.strip_prefix("## ") {
            Some(h) => format!("<h2>{}</h2>", esc(h)),
            None => format!("<p>{}</p>", esc(l)),
        })
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{c} · {m}</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px}}.n{{text-align:right;font-variant-numeric:tabular-nums}}</style></head><body><h1>{c} · {m}: legacy parity</h1><p>Generated {g} from <code>{f}</code>.</p><h2>Waterfall (accepted rules)</h2>{svg}<table><tr><th>step</th><th>rows</th><th>effect</th><th>gap after</th><th></th></tr>{rows}</table><h2>Rules</h2>{rest}</body></html>\n",
        c = esc(&t.comparison),
        m = esc(&t.measure),
        g = esc(&t.generated_at),
        f = esc(&t.rules_file),
        svg = svg(t),
    )
}
