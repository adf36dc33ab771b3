//! The ticket as Markdown sections: the one source of both the Markdown report (pasted into
//! a pull request) and the HTML one (the same sections rendered).

use super::text::{amount, cell_code, code, count, plain, share};
use crate::config::Tolerance;
use crate::decimal::Exact;
use crate::recon::summary::SampleRow;
use crate::rules::ticket::Ticket;

/// Where a section goes in the HTML page: the waterfall's chart follows its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Summary,
    Waterfall,
    Rules,
    Accepted,
    Remains,
    Signoffs,
}

pub struct Section {
    pub part: Part,
    /// None for the summary, which sits under the page's title.
    pub heading: Option<&'static str>,
    pub body: String,
}

pub fn title(t: &Ticket) -> String {
    let of = t
        .waterfall
        .company
        .as_ref()
        .map_or(String::new(), |c| format!(" · {}", plain(c)));
    format!(
        "{}{of} · {}: legacy parity",
        plain(&t.comparison),
        plain(&t.measure)
    )
}

/// The whole report as Markdown.
pub fn document(t: &Ticket) -> String {
    let mut s = format!("# {}\n\n", title(t));
    for section in sections(t) {
        if let Some(h) = section.heading {
            s.push_str(&format!("## {h}\n\n"));
        }
        s.push_str(&section.body);
        s.push('\n');
    }
    s
}

pub fn sections(t: &Ticket) -> Vec<Section> {
    let section = |part, heading, body| Section {
        part,
        heading,
        body,
    };
    vec![
        section(Part::Summary, None, summary(t)),
        section(
            Part::Waterfall,
            Some("Waterfall (accepted rules)"),
            waterfall(t),
        ),
        section(Part::Rules, Some("Rules"), rules(t)),
        section(Part::Accepted, Some("Accepted differences"), accepted(t)),
        section(Part::Remains, Some("What remains"), remains(t)),
        section(Part::Signoffs, Some("Sign-offs"), signoffs(t)),
    ]
}

/// The tolerance as a sentence: what the unexplained gap may be.
pub fn tolerance(tol: &Tolerance) -> String {
    let absolute = !tol.absolute.is_zero();
    let relative = !tol.relative.is_zero();
    // Exactly as configured: 0.0005 is 0.05 %, not a share rounded to 0.1 %.
    let percent = tol.relative.times(Exact::from_scaled(100, 0)).map_or_else(
        || share(tol.relative.to_f64()),
        |p| format!("{} %", p.trimmed()),
    );
    match (absolute, relative) {
        (false, false) => "none: the unexplained gap must be zero".into(),
        (true, false) => format!("±{} on the unexplained gap", tol.absolute),
        (false, true) => format!("±{percent} of the legacy total on the unexplained gap"),
        (true, true) => format!(
            "±{} or ±{percent} of the legacy total, whichever allows more, on the unexplained gap",
            tol.absolute
        ),
    }
}

fn summary(t: &Ticket) -> String {
    let w = &t.waterfall;
    let companies = match t.companies.is_empty() {
        true => "all".to_string(),
        false => plain(&t.companies.join(", ")),
    };
    let period = t.period.as_ref().map_or_else(
        || "not stated (no period dimension)".to_string(),
        |p| {
            format!(
                "{} to {} ({})",
                plain(&p.first),
                plain(&p.last),
                plain(&p.dimension)
            )
        },
    );
    let verdict = match w.within_tolerance {
        true => "**within tolerance**",
        false => "**OUT OF TOLERANCE**",
    };
    let new = w.legacy_total.plus(w.gap_before).unwrap_or(w.gap_before);
    let warnings: String = t
        .warnings
        .iter()
        .map(|m| format!("- **Warning:** {}\n", plain(m)))
        .collect();
    format!(
        "Generated {} from {}.\n\n- Companies: {companies}\n- Period: {period}\n- Tolerance: {}\n- Result: {verdict}, unexplained {}\n- Sign-off: {}\n{warnings}\n| | {} |\n|---|---:|\n| legacy | {} |\n| new | {} |\n| gap (new − legacy) | {} |\n| after the accepted rules | {} |\n| unexplained (after accepted differences) | {} |\n",
        plain(&t.generated_at),
        code(&t.rules_file),
        tolerance(&t.tolerance),
        w.unexplained.grouped(),
        signoff_state(t),
        plain(&t.measure),
        w.legacy_total.grouped(),
        new.grouped(),
        w.gap_before.grouped(),
        w.remaining.grouped(),
        w.unexplained.grouped(),
    )
}

fn signoff_state(t: &Ticket) -> String {
    match &t.waterfall.signoff {
        None => "none yet".into(),
        Some(st) if st.changed.is_empty() => "current".into(),
        Some(st) => format!(
            "**stale**: {}",
            plain(&crate::rules::signed::Change::list(&st.changed, "; "))
        ),
    }
}

fn waterfall(t: &Ticket) -> String {
    let w = &t.waterfall;
    let mut s = String::from("| step | rows | effect | gap after | |\n|---|---:|---:|---:|---|\n");
    let mut row = |label: String, rows: String, effect: String, after: String, note: String| {
        s.push_str(&format!(
            "| {label} | {rows} | {effect} | {after} | {note} |\n"
        ));
    };
    let none = String::new;
    row(
        "gap before any rule".into(),
        none(),
        none(),
        w.gap_before.grouped(),
        none(),
    );
    for st in &w.steps {
        row(
            format!("rule {} ({})", plain(&st.rule), st.kind.as_str()),
            count(st.rows),
            st.delta.grouped(),
            st.gap_after.grouped(),
            format!("{} closed", share(st.cumulative_share)),
        );
    }
    for a in &w.accepted {
        row(
            format!("accepted difference {}", plain(&a.name)),
            count(a.rows),
            a.delta.grouped(),
            none(),
            plain(&a.note),
        );
    }
    let verdict = match w.within_tolerance {
        true => "within tolerance",
        false => "OUT OF TOLERANCE",
    };
    row(
        "unexplained".into(),
        none(),
        none(),
        w.unexplained.grouped(),
        verdict.into(),
    );
    s
}

/// Who decided and when: `— ana 2026-12-07T10:00:00Z`.
fn decided(by: &str, at: &str) -> String {
    let by = if by.is_empty() { "no author" } else { by };
    format!("— {} {}", plain(by), plain(at))
}

fn rules(t: &Ticket) -> String {
    if t.rules.is_empty() {
        return "No rules yet (`assay rules NAME suggest`).\n".into();
    }
    let mut s = String::new();
    for r in &t.rules {
        let set: Vec<String> = r
            .set
            .iter()
            .map(|(c, e)| code(&format!("{c} = {e}")))
            .collect();
        let set = match set.is_empty() {
            true => String::new(),
            false => format!(", set {}", set.join(", ")),
        };
        s.push_str(&format!(
            "- **{}** ({}, {}): where {}{set}. {} {}\n",
            plain(&r.name),
            r.kind.as_str(),
            r.status.as_str(),
            code(&r.filter),
            plain(&r.note),
            decided(&r.by, &r.at)
        ));
    }
    s
}

fn accepted(t: &Ticket) -> String {
    if t.accepted.is_empty() {
        return "None (`assay rules NAME accept-difference NAME --where … --note …`).\n".into();
    }
    let mut s = String::new();
    for a in &t.accepted {
        let step = t.waterfall.accepted.iter().find(|s| s.name == a.name);
        let size = step.map_or_else(String::new, |st| {
            format!(": {} rows, {}", count(st.rows), st.delta.grouped())
        });
        s.push_str(&format!(
            "- **{}** where {}{size}. {} {}\n",
            plain(&a.name),
            code(&a.filter),
            plain(&a.note),
            decided(&a.by, &a.at)
        ));
    }
    s
}

fn remains(t: &Ticket) -> String {
    let rows = &t.rows_after_rules;
    let covered: i64 = t.waterfall.accepted.iter().map(|a| a.rows).sum();
    let mut s = format!(
        "After the accepted rules: {} matched, {} changed, {} only in legacy, {} only in new",
        count(rows.matched),
        count(rows.changed),
        count(rows.only_legacy),
        count(rows.only_new)
    );
    match covered {
        0 => s.push_str(".\n\n"),
        n => s.push_str(&format!(
            "; accepted differences cover {} new rows, left out of the causes below.\n\n",
            count(n)
        )),
    }
    if t.remainder_causes.is_empty() {
        s.push_str("No cause left to name.\n");
    } else {
        s.push_str("| cause | rows | delta | share |\n|---|---:|---:|---:|\n");
        for c in &t.remainder_causes {
            s.push_str(&format!(
                "| {} ({}) | {} | {} | {} |\n",
                match c.spread {
                    true => "spread evenly (no column concentrates them)".to_string(),
                    false => cell_code(&c.predicate),
                },
                c.row_class,
                count(c.rows),
                c.delta.grouped(),
                share(c.share)
            ));
        }
    }
    s.push_str(&samples(t));
    s
}

fn sample_line(r: &SampleRow, changed: bool) -> String {
    let key: Vec<String> = r.key.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let differs = match r.differs.is_empty() || !changed {
        true => String::new(),
        false => format!(" (differs: {})", plain(&r.differs.join(", "))),
    };
    format!("{}{differs}", code(&key.join(", ")))
}

fn samples(t: &Ticket) -> String {
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

fn signoffs(t: &Ticket) -> String {
    if t.signoffs.is_empty() {
        return "None yet (`assay signoff NAME --note …`).\n".into();
    }
    let mut s = String::new();
    for (i, so) in t.signoffs.iter().enumerate() {
        let state = match (&t.waterfall.signoff, i + 1 == t.signoffs.len()) {
            (Some(st), true) if st.changed.is_empty() => "current".to_string(),
            (Some(st), true) => format!(
                "**stale**: {}",
                plain(&crate::rules::signed::Change::list(&st.changed, "; "))
            ),
            _ => "superseded".into(),
        };
        s.push_str(&format!(
            "- {} at {}: {} (gap {}, remaining {}, unexplained {}) — {state}\n",
            plain(&so.by),
            plain(&so.at),
            plain(&so.note),
            amount(&so.gap_before),
            amount(&so.remaining),
            amount(&so.unexplained)
        ));
    }
    s
}
