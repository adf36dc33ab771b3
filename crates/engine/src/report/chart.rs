//! The waterfall as an SVG chart a reader can take numbers from: one bar per step with its
//! amount written beside it, an axis with grouped ticks and the zero line, and the accepted
//! differences apart from the rules (they are decisions, not fixes). Positions are drawn
//! in floating point; every number written on the chart is the exact decimal.

use crate::decimal::Exact;
use crate::rules::ticket::Ticket;

/// One bar: from `from` to `to` (a total starts at zero).
struct Bar {
    label: String,
    from: Exact,
    to: Exact,
    /// What is written beside the bar.
    amount: Exact,
    kind: BarKind,
}

#[derive(Clone, Copy, PartialEq)]
enum BarKind {
    Total,
    Rule,
    Accepted,
    Unexplained { within: bool },
}

impl BarKind {
    fn class(self) -> &'static str {
        match self {
            BarKind::Total => "total",
            BarKind::Rule => "rule",
            BarKind::Accepted => "accepted",
            BarKind::Unexplained { within: true } => "within",
            BarKind::Unexplained { within: false } => "outside",
        }
    }
}

const WIDTH: f64 = 760.0;
const LABELS: f64 = 230.0;
const AMOUNTS: f64 = 120.0;
const ROW: f64 = 22.0;
const GAP: f64 = 6.0;
const HEADING: f64 = 20.0;
const AXIS: f64 = 28.0;

fn bars(t: &Ticket) -> (Vec<Bar>, Vec<Bar>) {
    let w = &t.waterfall;
    let total = |label: &str, to: Exact, kind| Bar {
        label: label.into(),
        from: Exact::ZERO,
        to,
        amount: to,
        kind,
    };
    let mut rules = vec![total("gap before any rule", w.gap_before, BarKind::Total)];
    let mut level = w.gap_before;
    for s in &w.steps {
        rules.push(Bar {
            label: format!("rule {}", s.rule),
            from: level,
            to: s.gap_after,
            amount: s.delta,
            kind: BarKind::Rule,
        });
        level = s.gap_after;
    }
    rules.push(total("gap after the rules", w.remaining, BarKind::Total));
    let mut accepted = Vec::new();
    for a in &w.accepted {
        let next = level.minus(a.delta).unwrap_or(level);
        accepted.push(Bar {
            label: a.name.clone(),
            from: level,
            to: next,
            amount: a.delta,
            kind: BarKind::Accepted,
        });
        level = next;
    }
    let within = w.within_tolerance;
    accepted.push(total(
        "unexplained",
        w.unexplained,
        BarKind::Unexplained { within },
    ));
    (rules, accepted)
}

/// A step of 1, 2 or 5 × 10ⁿ giving about five ticks over `span`.
fn tick_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

/// A tick's value, grouped, with as many decimals as the step needs.
fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as u32
    };
    let scaled = (value * 10f64.powi(decimals as i32)).round() as i128;
    Exact::from_scaled(scaled, decimals).grouped()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Maps amounts to x positions over the plot area.
struct Scale {
    lo: f64,
    span: f64,
}

impl Scale {
    fn of(all: &[&Bar]) -> Scale {
        let (lo, hi) = all.iter().fold((0.0f64, 0.0f64), |(lo, hi), b| {
            let (a, z) = (b.from.to_f64(), b.to.to_f64());
            (lo.min(a).min(z), hi.max(a).max(z))
        });
        let step = tick_step((hi - lo).max(1e-9));
        let lo = (lo / step).floor() * step;
        let hi = (hi / step).ceil() * step;
        Scale {
            lo,
            span: (hi - lo).max(step),
        }
    }

    fn x(&self, v: f64) -> f64 {
        LABELS + (v - self.lo) / self.span * (WIDTH - LABELS - AMOUNTS)
    }
}

fn bar_row(out: &mut String, scale: &Scale, bar: &Bar, y: f64) {
    let (a, b) = (bar.from.to_f64(), bar.to.to_f64());
    let (x0, x1) = (scale.x(a.min(b)), scale.x(a.max(b)));
    out.push_str(&format!(
        "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
        LABELS - 8.0,
        y + ROW * 0.68,
        esc(&bar.label)
    ));
    out.push_str(&format!(
        "<rect class=\"{}\" x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{ROW}\"><title>{}: {}</title></rect>",
        bar.kind.class(),
        (x1 - x0).max(1.0),
        esc(&bar.label),
        bar.amount.grouped()
    ));
    out.push_str(&format!(
        "<text class=\"amount\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
        WIDTH - 4.0,
        y + ROW * 0.68,
        bar.amount.grouped()
    ));
}

fn axis(out: &mut String, scale: &Scale, top: f64, bottom: f64) {
    let step = tick_step(scale.span);
    let mut v = scale.lo;
    while v <= scale.lo + scale.span + step * 1e-6 {
        let x = scale.x(v);
        let zero = v.abs() < step * 1e-6;
        out.push_str(&format!(
            "<line class=\"{}\" x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            if zero { "zero" } else { "grid" },
            bottom + 14.0,
            tick_label(if zero { 0.0 } else { v }, step)
        ));
        v += step;
    }
}

const STYLE: &str = "<style>text{font:12px sans-serif;fill:#222}.label{text-anchor:end}.amount{text-anchor:end;font-variant-numeric:tabular-nums}.tick{text-anchor:middle;font-size:10px;fill:#555}.heading{font-weight:bold}.grid{stroke:#ddd}.zero{stroke:#333}.total{fill:#4a6fa5}.rule{fill:#dd8452}.accepted{fill:#9e9e9e}.within{fill:#3a8a4f}.outside{fill:#c0392b}</style>";

/// The chart of the ticket's waterfall.
pub fn waterfall(t: &Ticket) -> String {
    let (rules, accepted) = bars(t);
    let all: Vec<&Bar> = rules.iter().chain(&accepted).collect();
    let scale = Scale::of(&all);
    let rows = (rules.len() + accepted.len()) as f64;
    let plot = 2.0 * HEADING + rows * (ROW + GAP);
    let height = plot + AXIS;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"waterfall of {}: the gap {} closed to {} by the rules, {} unexplained\">{STYLE}",
        esc(&t.comparison),
        t.waterfall.gap_before.grouped(),
        t.waterfall.remaining.grouped(),
        t.waterfall.unexplained.grouped()
    );
    let mut body = String::new();
    let mut y = 0.0;
    for (heading, group) in [("Rules", &rules), ("Accepted differences", &accepted)] {
        body.push_str(&format!(
            "<text class=\"heading\" x=\"4\" y=\"{:.1}\">{heading}</text>",
            y + 14.0
        ));
        y += HEADING;
        for bar in group {
            bar_row(&mut body, &scale, bar, y);
            y += ROW + GAP;
        }
    }
    axis(&mut out, &scale, 0.0, plot);
    out.push_str(&body);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_span() {
        let near = |a: f64, b: f64| (a - b).abs() < 1e-9 * b;
        assert!(near(tick_step(2_000_000.0), 500_000.0));
        assert!(near(tick_step(7.0), 2.0));
        assert!(near(tick_step(0.3), 0.1));
        assert_eq!(tick_label(1_500_000.0, 500_000.0), "1,500,000");
        assert_eq!(tick_label(-0.2, 0.1), "-0.2");
    }
}
