//! `assay report`: the ticket finance reads. The HTML form is rendered in headless Chromium
//! (Debian's `chromium`, installed by scripts/test.sh) and printed to PDF; the printed
//! page's text (pdftotext) must read as a document, with no Markdown left in it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The demo with the two suggested rules accepted, the December cut-off accepted as a
/// difference, and a sign-off.
fn decided_demo() -> (tempfile::TempDir, PathBuf) {
    let (tmp, ws) = built_demo("20000", "5");
    let run = |args: &[&str]| run_as(&ws, "ana", args);
    run(&["rules", "revenue", "suggest"]);
    for (rule, note) in [
        ("exclude-invoice_type-cancelled", "never counted"),
        ("exclude-invoice_type-intercompany", "internal <i>only</i>"),
    ] {
        run(&["rules", "revenue", "accept", rule, "--note", note]);
    }
    run(&[
        "rules",
        "revenue",
        "accept-difference",
        "late",
        "--where",
        "month = '2024-12-01'",
        "--note",
        "after the cut-off",
    ]);
    run(&["signoff", "revenue", "--note", "agreed with finance"]);
    (tmp, ws)
}

fn report(ws: &Path, format: &str) -> String {
    let out = assay(ws, &["report", "revenue", "--format", format]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    stdout(&out)
}

/// Before: the December cut-off, accepted as a difference, was listed again under What
/// remains as the open cause at 100 %.
#[test]
fn an_accepted_difference_is_not_an_open_cause() {
    let (_tmp, ws) = decided_demo();
    let md = report(&ws, "md");
    let remains = md.split("## What remains").nth(1).unwrap();
    let remains = remains.split("## Sign-offs").next().unwrap();
    assert!(!remains.contains("'2024-12-01'"), "{remains}");
    assert!(remains.contains("accepted differences cover "), "{remains}");
    let accepted = md.split("## Accepted differences").nth(1).unwrap();
    assert!(
        accepted.contains("- **late** where `month = '2024-12-01'`: "),
        "{accepted}"
    );
    assert!(!md.contains("-0.0 %"), "{md}");
}

/// A command with a time limit (Chromium can wait on a broken setup forever).
fn run_limited(program: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new("timeout")
        .arg("120")
        .arg(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (scripts/test.sh installs it)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_html_report_reads_as_a_document_in_chromium() {
    let (tmp, ws) = decided_demo();
    let page = tmp.path().join("report.html");
    std::fs::write(&page, report(&ws, "html")).unwrap();
    let pdf = tmp.path().join("report.pdf");
    run_limited(
        "chromium",
        &[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
            &format!("file://{}", page.display()),
        ],
    );
    let txt = tmp.path().join("report.txt");
    run_limited(
        "pdftotext",
        &[&pdf.to_string_lossy(), &txt.to_string_lossy()],
    );
    let text = std::fs::read_to_string(&txt).unwrap();
    for raw in ["**", "|---", "---:", "`", "## ", "\\"] {
        assert!(!text.contains(raw), "`{raw}` in the printed page:\n{text}");
    }
    for heading in [
        "revenue · net_amount: legacy parity",
        "Waterfall (accepted rules)",
        "Accepted differences",
        "What remains",
        "Sign-offs",
    ] {
        assert!(text.contains(heading), "no `{heading}`:\n{text}");
    }
    // The header states what the numbers are judged by; the chart names its amounts.
    assert!(
        text.contains("Tolerance:") && text.contains("Period:"),
        "{text}"
    );
    assert!(
        text.contains("gap before any rule") && text.contains("unexplained"),
        "{text}"
    );
    // A note's HTML is shown as the characters typed, not run.
    assert!(text.contains("internal <i>only</i>"), "{text}");
}
