//! The ticket as one self-contained HTML page: the Markdown sections rendered with
//! pulldown-cmark (GitHub's tables), the waterfall chart under its heading, and a style
//! sheet that prints on A4. Raw HTML in people's text is shown as text, never run.

use pulldown_cmark::{html, Event, Options, Parser};

use super::chart;
use super::markdown::{sections, title, Part};
use crate::rules::ticket::Ticket;

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;color:#222;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.4}\
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}\
th{background:#f3f3f3}td[style*=right],th[style*=right]{font-variant-numeric:tabular-nums;white-space:nowrap}\
code{background:#f3f3f3;padding:0 .2em;border-radius:3px;font-size:.92em}\
svg{max-width:100%;height:auto;display:block;margin:.6em 0}\
@page{size:A4;margin:14mm}\
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}section{break-inside:avoid}\
tr{break-inside:avoid}h2{break-after:avoid}th,code{background:none}}";

/// Markdown to HTML; HTML written in the Markdown (a note with `<script>`) becomes text.
fn rendered(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        e => e,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

pub fn page(t: &Ticket) -> String {
    let mut body = format!("<h1>{}</h1>\n", inline(&title(t)));
    for s in sections(t) {
        body.push_str("<section>\n");
        if let Some(h) = s.heading {
            body.push_str(&format!("<h2>{}</h2>\n", inline(h)));
        }
        if s.part == Part::Waterfall {
            body.push_str(&chart::waterfall(t));
            body.push('\n');
        }
        body.push_str(&rendered(&s.body));
        body.push_str("</section>\n");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head>\n<body><main>\n{body}</main></body></html>\n",
        inline(&title(t))
    )
}

/// One line of Markdown rendered without its paragraph.
fn inline(markdown: &str) -> String {
    let html = rendered(markdown);
    html.trim()
        .trim_start_matches("<p>")
        .trim_end_matches("</p>")
        .to_string()
}
