//! The history behind one row of Sources, drawn where the list was: what is wrong first
//! (alerts, failing tests with their rows), then the volumes, then every run.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::freshness::history::History;
use crate::grid::pad;
use crate::store::{Run, RunStatus};
use crate::text::{count, right};
use crate::theme::{Role, Theme};

/// Failing rows shown under a test that failed.
const SAMPLES: usize = 3;

pub fn render(f: &mut Frame, area: Rect, h: &History, scroll: u16, theme: &Theme) {
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" history · {} {} · Backspace: back ", h.company, h.table),
        theme.style(Role::Title),
    ));
    let width = block.inner(area).width as usize;
    let mut lines = alerts(h, theme);
    lines.extend(tests(h, width, theme));
    lines.push(volume(h, theme));
    lines.extend(runs(&h.runs, width, theme));
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), theme.style(Role::Header)))
}

fn alerts(h: &History, theme: &Theme) -> Vec<Line<'static>> {
    if h.alerts.is_empty() {
        return vec![Line::from(vec![
            Span::styled("alerts ", theme.style(Role::Header)),
            Span::styled("none standing", theme.style(Role::Dim)),
        ])];
    }
    let mut out = vec![heading("alerts (assay ack clears them)", theme)];
    out.extend(h.alerts.iter().map(|a| {
        Line::from(Span::styled(
            format!("  {}: {}", a.kind, a.message),
            theme.style(Role::Warn),
        ))
    }));
    out
}

fn tests(h: &History, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    if h.tests.is_empty() {
        return vec![Line::from(vec![
            Span::styled("tests ", theme.style(Role::Header)),
            Span::styled("none on this table", theme.style(Role::Dim)),
        ])];
    }
    let mut out = vec![heading("tests (latest run)", theme)];
    for t in &h.tests {
        let role = match t.status.as_str() {
            "pass" => Role::Ok,
            "warn" => Role::Warn,
            _ => Role::Error,
        };
        let mut said = format!("  {} {}", pad(&t.status, 5), t.test);
        if t.failing > 0 {
            said.push_str(&format!(": {} failing rows", count(t.failing)));
        }
        if let Some(e) = &t.error {
            said.push_str(&format!(": {e}"));
        }
        out.push(Line::from(Span::styled(
            clip(&said, width),
            theme.style(role),
        )));
        for row in t.samples.iter().take(SAMPLES) {
            out.push(Line::from(Span::styled(
                clip(&format!("      {row}"), width),
                theme.style(Role::Dim),
            )));
        }
    }
    out
}

fn volume(h: &History, theme: &Theme) -> Line<'static> {
    let v = &h.volume;
    let latest = v.rows.first().map_or_else(|| "—".into(), |n| count(*n));
    let median = v.median_before.map_or_else(
        || "no earlier run".into(),
        |m| format!("median before {}", count(m)),
    );
    Line::from(vec![
        Span::styled("volume ", theme.style(Role::Header)),
        Span::styled(
            format!("latest {latest} rows · {median} · {} ok runs", v.rows.len()),
            theme.style(Role::Text),
        ),
    ])
}

fn runs(runs: &[Run], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![heading(
        &format!(
            "{} {} {} status",
            pad("started (UTC)", 16),
            right("secs", 6),
            right("rows", 9),
        ),
        theme,
    )];
    for r in runs {
        let seconds = r.finished.map_or_else(
            || "—".into(),
            |f| format!("{:.1}", (f - r.started).num_milliseconds() as f64 / 1000.0),
        );
        let role = match r.status {
            RunStatus::Ok => Role::Text,
            RunStatus::Running => Role::Dim,
            RunStatus::Cancelled => Role::Warn,
            _ => Role::Error,
        };
        let line = format!(
            "{} {} {} {}",
            pad(&r.started.format("%Y-%m-%d %H:%M").to_string(), 16),
            right(&seconds, 6),
            right(&r.rows.map_or_else(|| "—".into(), count), 9),
            r.status.as_str(),
        );
        out.push(Line::from(Span::styled(
            clip(&line, width),
            theme.style(role),
        )));
        // The reason in full (a few lines), under the run it ended.
        if let Some(error) = &r.error {
            let error = error.replace('\n', " ");
            let pieces = wrap(&error, width.saturating_sub(4));
            for (i, piece) in pieces.iter().take(ERROR_LINES).enumerate() {
                let lead = if i == 0 { "  └ " } else { "    " };
                out.push(Line::from(Span::styled(
                    format!("{lead}{piece}"),
                    theme.style(role),
                )));
            }
        }
    }
    out
}

/// Lines of a run's error shown under it.
const ERROR_LINES: usize = 4;

/// `text` in lines of at most `width` characters, broken at spaces where it can be.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let rest: String = line.chars().skip(width).collect();
            lines.push(line.chars().take(width).collect());
            line = rest;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` cut to `width` characters, with … where it was cut.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn errors_wrap_at_spaces_and_long_words_are_cut() {
        assert_eq!(
            wrap("schema drift in orders for lumen", 16),
            vec!["schema drift in", "orders for lumen"]
        );
        let long = "x".repeat(25);
        assert_eq!(
            wrap(&long, 10),
            vec!["x".repeat(10), "x".repeat(10), "x".repeat(5)]
        );
    }
}
