//! The row detail: every column of both sides of the current row, differences marked.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::RowsView;
use crate::grid::pad;
use crate::theme::{Role, Theme};

impl RowsView {
    /// Every column of both sides of the current row, differences marked.
    pub(super) fn render_detail(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(row) = self.current() else {
            self.detail = None;
            return;
        };
        let name_w = self
            .columns
            .iter()
            .map(|c| c.0.chars().count())
            .max()
            .unwrap_or(4)
            .min(24);
        let value_w = (area.width.saturating_sub(name_w as u16 + 8) / 2) as usize;
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!("  {} ", pad("column", name_w)),
                theme.style(Role::Header),
            ),
            Span::styled(pad("legacy", value_w), theme.style(Role::Legacy)),
            Span::raw(" "),
            Span::styled(pad("new", value_w), theme.style(Role::New)),
        ])];
        for (c, (name, _)) in self.columns.iter().enumerate() {
            let differs = self.differs(row, c);
            let value = |legacy| Self::side(row, legacy, c).unwrap_or("·").to_string();
            let role = if differs { Role::Changed } else { Role::Text };
            lines.push(Line::from(vec![
                Span::styled(if differs { "≠ " } else { "  " }, theme.style(role)),
                Span::styled(format!("{} ", pad(name, name_w)), theme.style(Role::Header)),
                Span::styled(pad(&value(true), value_w), theme.style(role)),
                Span::raw(" "),
                Span::styled(pad(&value(false), value_w), theme.style(role)),
            ]));
        }
        let keys = row.key.join(", ");
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(
                format!(" {} · {} ", keys, row.class),
                theme.style(Role::Title),
            ))
            .title_bottom(Span::styled(" Enter/Esc close ", theme.style(Role::Dim)));
        let inner_height = area.height.saturating_sub(3) as usize;
        let most = lines.len().saturating_sub(inner_height);
        let line = self.detail.unwrap_or(0).min(most);
        self.detail = Some(line);
        let body: Vec<Line> = std::iter::once(lines[0].clone())
            .chain(lines.into_iter().skip(1 + line))
            .collect();
        f.render_widget(Clear, area);
        f.render_widget(Paragraph::new(body).block(block), area);
    }
}
