use super::*;
use crate::config::Tolerance;
use crate::decimal::Exact;
use crate::recon::class::RowClass;
use crate::recon::explain::Cause;
use crate::recon::summary::{RowClasses, Samples};
use crate::rules::file::{Kind, Status};
use crate::rules::signed::SignoffState;
use crate::rules::signoff::Signoff;
use crate::rules::ticket::{AcceptedView, Period, RuleView, Ticket};
use crate::rules::waterfall::{AcceptedStep, Step, Waterfall};

fn money(text: &str) -> Exact {
    Exact::parse(text).unwrap()
}

fn cause(predicate: &str, rows: i64, delta: &str, share: f64) -> Cause {
    Cause {
        dimension: "month".into(),
        value: "2024-12".into(),
        terms: vec![("month".into(), Some("2024-12".into()))],
        row_class: RowClass::OnlyNew,
        predicate: predicate.into(),
        delta: money(delta),
        share,
        cumulative_share: share,
        rows,
        purity: Some(1.0),
        spread: false,
        description: String::new(),
        rule: None,
        pattern: None,
    }
}

fn signoff(note: &str) -> Signoff {
    Signoff {
        by: "ana".into(),
        at: "2026-12-01T09:00:00Z".into(),
        note: note.into(),
        gap_before: "2014662.44".into(),
        remaining: "-0.004".into(),
        unexplained: "0.00".into(),
        digest: String::new(),
        company: None,
    }
}

/// A ticket shaped as the demo's: two rules, one accepted difference, a stale sign-off,
/// and people's text that tries Markdown and HTML.
fn ticket() -> Ticket {
    let step = |rule: &str, delta: &str, after: &str, rows, share| Step {
        rule: rule.into(),
        kind: Kind::Exclude,
        status: Status::Accepted,
        delta: money(delta),
        rows,
        gap_after: money(after),
        cumulative_share: share,
    };
    let accepted = AcceptedStep {
        name: "late-fees".into(),
        rows: 2431,
        delta: money("1200.50"),
        note: "agreed".into(),
        by: "bo".into(),
        at: "2026-12-02".into(),
    };
    let waterfall = Waterfall {
        comparison: "revenue".into(),
        measure: "net_amount".into(),
        gap_before: money("2014662.44"),
        steps: vec![
            step("cancelled", "1500000.00", "514662.44", 1200, 0.7446),
            step("intercompany", "514662.44", "1200.50", 310, 0.9994),
        ],
        remaining: money("1200.50"),
        accepted: vec![accepted],
        unexplained: money("0.00"),
        within_tolerance: true,
        proposed_included: false,
        legacy_total: money("10000000.00"),
        signoff: Some(SignoffState {
            signoff: signoff("ok"),
            state: "stale",
            changed: vec![crate::rules::signed::Change::Amount {
                what: "remaining",
                was: "0.00".into(),
                now: money("1200.50"),
            }],
        }),
        company: None,
    };
    Ticket {
        schema_version: 1,
        comparison: "revenue".into(),
        measure: "net_amount".into(),
        rules_file: "rules/revenue.toml".into(),
        generated_at: "2026-12-07T10:00:00Z".into(),
        companies: vec![],
        warnings: vec![],
        period: Some(Period {
            dimension: "month".into(),
            first: "2024-01".into(),
            last: "2024-12".into(),
        }),
        tolerance: Tolerance {
            absolute: exact("0.01"),
            relative: exact("0.001"),
            ..Tolerance::default()
        },
        waterfall,
        rules: vec![RuleView {
            name: "cancelled".into(),
            kind: Kind::Exclude,
            status: Status::Accepted,
            filter: "invoice_type = 'CANCELLED' OR note LIKE '%|%'".into(),
            set: Default::default(),
            note: "never counted <script>alert(1)</script>".into(),
            by: "ana".into(),
            at: "2026-12-01T08:00:00Z".into(),
        }],
        accepted: vec![AcceptedView {
            name: "late-fees".into(),
            filter: "fee_type = 'late'".into(),
            note: "agreed".into(),
            by: "bo".into(),
            at: "2026-12-02".into(),
        }],
        rows_after_rules: RowClasses {
            matched: 123456,
            changed: 2431,
            ..RowClasses::default()
        },
        remainder_causes: vec![cause("\"month\" = '2024-12'", 2431, "-0.004", -0.00001)],
        samples: Samples::default(),
        signoffs: vec![signoff("first"), signoff("agreed with finance")],
    }
}

/// The page's text as a reader sees it: tags dropped, entities read.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    for c in html.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[test]
fn the_html_has_no_raw_markdown() {
    let html = render(&ticket(), Format::Html);
    let body = html.split("<body>").nth(1).unwrap();
    let text = visible(body.split("<svg").next().unwrap())
        + &visible(body.split("</svg>").nth(1).unwrap());
    for raw in ["**", "|---", "`", "## ", "\\"] {
        assert!(!text.contains(raw), "`{raw}` in the page:\n{text}");
    }
    assert!(body.contains("<table>") && body.contains("<strong>cancelled</strong>"));
    assert!(body.contains("<code>invoice_type = 'CANCELLED' OR note LIKE '%|%'</code>"));
    // A note's HTML is text, and its Markdown is not emphasis.
    assert!(!body.contains("<script>") && text.contains("<script>alert(1)</script>"));
}

#[test]
fn numbers_are_grouped_and_shares_never_minus_zero() {
    let md = render(&ticket(), Format::Markdown);
    assert!(md.contains("| gap (new − legacy) | 2,014,662.44 |"), "{md}");
    assert!(md.contains("| 2,431 | -0.004 | 0.0 % |"), "{md}");
    assert!(!md.contains("-0.0 %"), "{md}");
    assert!(md.contains("123,456 matched, 2,431 changed"), "{md}");
    assert!(md.contains("(gap 2,014,662.44, remaining -0.004"), "{md}");
    assert!(
        md.contains("| 1,200 | 1,500,000.00 | 514,662.44 | 74.5 % closed |"),
        "{md}"
    );
}

fn exact(text: &str) -> Exact {
    Exact::parse(text).unwrap()
}

#[test]
fn a_tolerance_is_stated_as_configured() {
    let tol = |a: &str, r: &str| {
        crate::report::tolerance(&Tolerance {
            absolute: exact(a),
            relative: exact(r),
            ..Tolerance::default()
        })
    };
    // 0.05 %, not a share rounded to one place (0.1 %).
    assert_eq!(
        tol("0", "0.0005"),
        "±0.05 % of the legacy total on the unexplained gap"
    );
    assert_eq!(tol("0.29", "0"), "±0.29 on the unexplained gap");
    assert_eq!(tol("0", "0"), "none: the unexplained gap must be zero");
}

#[test]
fn the_header_states_period_tolerance_and_sign_off() {
    let md = render(&ticket(), Format::Markdown);
    assert!(md.contains("- Period: 2024-01 to 2024-12 (month)"), "{md}");
    assert!(
        md.contains("- Tolerance: ±0.01 or ±0.1 % of the legacy total, whichever allows more"),
        "{md}"
    );
    assert!(
        md.contains("- Result: **within tolerance**, unexplained 0.00"),
        "{md}"
    );
    assert!(
        md.contains("- Sign-off: **stale**: remaining 0.00 → 1,200.50"),
        "{md}"
    );
    assert!(
        md.contains("— superseded") && md.contains("— **stale**"),
        "{md}"
    );
}

#[test]
fn accepted_differences_are_named_apart_from_the_rules() {
    let t = ticket();
    let md = render(&t, Format::Markdown);
    let section = md.split("## Accepted differences").nth(1).unwrap();
    assert!(
        section.starts_with("\n\n- **late-fees** where `fee_type = 'late'`: 2,431 rows, 1,200.50. agreed — bo 2026-12-02"),
        "{section}"
    );
    let svg = render(&t, Format::Html);
    let svg = svg.split("<svg").nth(1).unwrap();
    let (rules, accepted) = svg.split_once(">Accepted differences<").unwrap();
    assert!(rules.contains(">rule cancelled<") && !rules.contains(">late-fees<"));
    assert!(accepted.contains(">late-fees<") && accepted.contains(">1,200.50<"));
    // Amounts beside the bars, and an axis with grouped ticks and the zero line.
    assert!(rules.contains(">2,014,662.44<") && rules.contains(">1,500,000.00<"));
    assert!(
        svg.contains("class=\"zero\"") && svg.contains(">2,000,000<"),
        "{svg}"
    );
}

#[test]
fn json_is_the_ticket() {
    let v: serde_json::Value = serde_json::from_str(&render(&ticket(), Format::Json)).unwrap();
    assert_eq!(v["period"]["first"], "2024-01");
    assert_eq!(v["tolerance"]["relative"], 0.001);
    assert_eq!(v["accepted"][0]["where"], "fee_type = 'late'");
}
