//! The frame around the screens: tabs, the screen itself, a status line with a spinner,
//! the footer of the screen's keys, and the help overlay, all from the keymap.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, Screen, SCREENS};
use super::keymap::Context;
use super::theme::Role;

const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

pub fn draw(f: &mut Frame, app: &mut App) {
    let [tabs, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    draw_tabs(f, tabs, app);
    let theme = app.theme.clone();
    match app.screen {
        Screen::Sources => app.sources.render(f, body, &theme),
        Screen::Layers => app.layers.render(f, body, &theme),
        Screen::Compare => app.compare.render(f, body, &theme),
        Screen::Drill => app.drill.render(f, body, &theme, &app.compare),
        Screen::Sql => app.sql.render(f, body, &theme),
    }
    draw_status(f, status, app);
    draw_footer(f, footer, app);
    if app.help {
        draw_help(f, app);
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &App) {
    let mut spans = vec![Span::styled(
        format!(" assay · {} ", app.workspace),
        app.theme.style(Role::Title),
    )];
    for (i, s) in SCREENS.iter().enumerate() {
        let style = if *s == app.screen {
            app.theme.style(Role::TabActive)
        } else {
            app.theme.style(Role::Dim)
        };
        spans.push(Span::styled(format!(" {} {} ", i + 1, s.title()), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(f: &mut Frame, area: Rect, app: &App) {
    let mut spans = Vec::new();
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
    if let Some((text, error)) = &app.status {
        let role = if *error { Role::Error } else { Role::Text };
        let text = if *error {
            format!("error: {text}")
        } else {
            text.clone()
        };
        spans.push(Span::styled(text, app.theme.style(role)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    let global = [("?", "help"), ("Tab", "screens"), ("q", "quit")];
    let screen_keys = app.keymap.entries(app.screen.context());
    for (keys, what) in screen_keys
        .iter()
        .map(|(k, d)| (k.as_str(), *d))
        .chain(global)
    {
        spans.push(Span::styled(keys.to_string(), theme.style(Role::Key)));
        spans.push(Span::styled(format!(" {what}  "), theme.style(Role::Dim)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_help(f: &mut Frame, app: &App) {
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
    let theme = &app.theme;
    let mut lines = Vec::new();
    let contexts = [Context::Global, app.screen.context()];
    let others = [
        Context::Sources,
        Context::Layers,
        Context::Compare,
        Context::Drill,
        Context::Sql,
    ];
    for ctx in contexts
        .into_iter()
        .chain(others.into_iter().filter(|c| *c != app.screen.context()))
    {
        let entries = app.keymap.entries(ctx);
        if entries.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(
            ctx.title(),
            theme.style(Role::Header),
        )));
        let mut row = Vec::new();
        for (keys, what) in entries {
            row.push(Span::styled(format!("{keys:>9} "), theme.style(Role::Key)));
            row.push(Span::styled(format!("{what:<20}"), theme.style(Role::Text)));
            if row.len() >= 6 {
                lines.push(Line::from(std::mem::take(&mut row)));
            }
        }
        if !row.is_empty() {
            lines.push(Line::from(row));
        }
    }
    lines.push(Line::from(Span::styled(
        "Keys can be changed in .assay/keymap.toml (or $ASSAY_KEYMAP). Any key closes this.",
        theme.style(Role::Dim),
    )));
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(" help ", theme.style(Role::Title))),
        ),
        popup,
    );
}
