//! The frame around the screens: tabs, the screen itself, a status line with a spinner,
//! the footer of the screen's keys, and the help overlay, all from the keymap.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::app::App;
use super::keymap::Context;
use super::theme::Role;

const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

/// Below this the screens cannot show what they are for; a notice says so instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "assay needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this terminal is {}×{}. Enlarge it (q quits).",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .style(app.theme.style(Role::Warn)),
            area,
        );
        return;
    }
    let [tabs, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    draw_tabs(f, tabs, app);
    let theme = app.theme.clone();
    app.screens[app.screen].render(f, body, &theme, &app.shared);
    draw_status(f, status, app);
    draw_footer(f, footer, app);
    if app.help {
        draw_help(f, app);
    }
}

/// A tab's text: ` 3 Compare ` when every tab fits so, else `3 Compare ` (nine tabs fit
/// 80 columns), else `3 Comp ` (a narrower terminal).
fn tab_text(i: usize, title: &str, form: usize) -> String {
    match form {
        0 => format!(" {} {title} ", i + 1),
        1 => format!("{} {title} ", i + 1),
        _ => format!("{} {} ", i + 1, title.chars().take(4).collect::<String>()),
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &mut App) {
    let title = format!(" assay · {} ", app.workspace);
    let titles: Vec<&str> = app.screens.iter().map(|s| s.keys().title).collect();
    let width_of = |form: usize| -> usize {
        let all: usize = titles
            .iter()
            .enumerate()
            .map(|(i, t)| tab_text(i, t, form).chars().count())
            .sum();
        // The last tab's trailing space may fall off the edge.
        all - usize::from(form > 0)
    };
    let form = (0..2)
        .find(|f| width_of(*f) <= area.width as usize)
        .unwrap_or(2);
    // The tabs are what a click or a number key reaches: the title gives way to them.
    let mut spans = Vec::new();
    if title.chars().count() + width_of(form) <= area.width as usize {
        spans.push(Span::styled(title, app.theme.style(Role::Title)));
    }
    let mut x = area.x + spans.iter().map(|s| s.width() as u16).sum::<u16>();
    app.tab_hits.clear();
    for (i, title) in titles.iter().enumerate() {
        let style = if i == app.screen {
            app.theme.style(Role::TabActive)
        } else {
            app.theme.style(Role::Dim)
        };
        let tab = tab_text(i, title, form);
        let width = tab.chars().count() as u16;
        app.tab_hits.push((x, x + width, i));
        x += width;
        spans.push(Span::styled(tab, style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(f: &mut Frame, area: Rect, app: &App) {
    let mut spans = Vec::new();
    // While personal data is shown unmasked, every screen says so first (P masks it).
    if app.revealed {
        spans.push(Span::styled("UNMASKED ", app.theme.style(Role::Error)));
    }
    if !app.busy.is_empty() {
        let what: Vec<&str> = app.busy.iter().map(|(_, w)| w.as_str()).collect();
        spans.push(Span::styled(
            format!(
                "{} {} (Esc cancels) ",
                SPINNER[app.spinner % SPINNER.len()],
                what.join(", ")
            ),
            app.theme.style(Role::Warn),
        ));
    }
    if let Some((text, error)) = app.status() {
        let role = if *error { Role::Error } else { Role::Text };
        let text = if *error {
            format!("error: {text}")
        } else {
            text.clone()
        };
        spans.push(Span::styled(text, app.theme.style(role)));
    }
    // With nothing else to say, the screen's note (on Compare and Drill: what the rules
    // lab's what-if leaves, said as such, as the screens show the comparison as it is).
    let quiet = spans.len() == usize::from(app.revealed);
    let note = app.screens[app.screen].note(&app.shared);
    if let (true, Some(note)) = (quiet, note) {
        spans.push(Span::styled(note, app.theme.style(Role::Dim)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The screen's keys, as many as fit the width, and always how to get help.
fn draw_footer(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let help = ("?", "help");
    let screen_keys = app.keymap.entries(app.context());
    // In a text editor q, Tab and digits are text: the footer names the way out instead.
    let editing = app.editing();
    let last: &[(&str, &str)] = if editing {
        &[("Esc", "leave the editor")]
    } else {
        &[("Tab", "screens"), ("q", "quit")]
    };
    let entries = last.iter().copied().filter(|_| editing).chain(
        screen_keys
            .iter()
            .map(|(k, d)| (k.as_str(), *d))
            .chain(last.iter().copied().filter(|_| !editing)),
    );
    let width = |(k, d): (&str, &str)| k.chars().count() + d.chars().count() + 3;
    let mut left = (area.width as usize).saturating_sub(width(help));
    let mut spans = Vec::new();
    for entry in entries {
        if width(entry) > left {
            break;
        }
        left -= width(entry);
        spans.push(Span::styled(entry.0.to_string(), theme.style(Role::Key)));
        spans.push(Span::styled(
            format!(" {}  ", entry.1),
            theme.style(Role::Dim),
        ));
    }
    spans.push(Span::styled(help.0, theme.style(Role::Key)));
    spans.push(Span::styled(format!(" {}", help.1), theme.style(Role::Dim)));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The help's lines: this screen's keys, the global ones, then every other screen's, one
/// key per line so nothing wraps mid-entry at 80 columns; only entries matching the search.
fn help_lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let query = app.help_query.to_lowercase();
    let head = if app.help_typing {
        format!("search: {}▏ (Enter keeps it, Esc clears)", app.help_query)
    } else if !query.is_empty() {
        format!("search: {} · / searches again · Esc clears", app.help_query)
    } else {
        "/ search · j/k PgUp/PgDn scroll · Esc closes · keys: .assay/keymap.toml".into()
    };
    let mut lines = vec![Line::from(Span::styled(head, theme.style(Role::Dim)))];
    if query.is_empty() {
        for limit in app.limits.lines() {
            lines.push(Line::from(Span::styled(limit, theme.style(Role::Dim))));
        }
    }
    let shown = app.context();
    let others = app.keymap.screens().iter().copied();
    let order = [shown, Context::Global]
        .into_iter()
        .chain(others.filter(|c| *c != shown));
    for ctx in order {
        let entries: Vec<(String, &str)> = app
            .keymap
            .entries(ctx)
            .into_iter()
            .filter(|(keys, what)| {
                query.is_empty()
                    || what.to_lowercase().contains(&query)
                    || keys.to_lowercase().contains(&query)
                    || ctx.title().to_lowercase().contains(&query)
            })
            .collect();
        if entries.is_empty() {
            continue;
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            ctx.title(),
            theme.style(Role::Header),
        )));
        for (keys, what) in entries {
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:>14}  "), theme.style(Role::Key)),
                Span::styled(what.to_string(), theme.style(Role::Text)),
            ]));
        }
    }
    lines
}

fn draw_help(f: &mut Frame, app: &mut App) {
    let area = f.area();
    let w = area.width.saturating_sub(4).min(96);
    let h = area.height.saturating_sub(2);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    f.render_widget(Clear, popup);
    let lines = help_lines(app);
    // Keep the last page in view however far the user scrolled.
    let visible = h.saturating_sub(2);
    let last = (lines.len() as u16).saturating_sub(visible);
    app.help_scroll = app.help_scroll.min(last);
    let title = format!(
        " help · {}–{} of {} ",
        app.help_scroll + 1,
        (app.help_scroll + visible).min(lines.len() as u16),
        lines.len()
    );
    f.render_widget(
        Paragraph::new(lines).scroll((app.help_scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(title, app.theme.style(Role::Title))),
        ),
        popup,
    );
}
