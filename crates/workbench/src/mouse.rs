//! The mouse: a click on a tab opens its screen, a click on a row of a list selects it,
//! the wheel scrolls what the arrow keys move. Lists record where they drew their rows
//! (`hit::ListHit`) so a click maps to the row under it. `--no-mouse` (or `ASSAY_MOUSE=off`)
//! leaves the mouse to the terminal, for selecting text.

use super::app::{App, Command};
use super::keymap::Action;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

/// Lines the wheel moves per notch.
const WHEEL: usize = 3;

impl App {
    pub fn on_mouse(&mut self, event: MouseEvent) -> Vec<Command> {
        let (x, y) = (event.column, event.row);
        match event.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = event.kind == MouseEventKind::ScrollDown;
                if self.help {
                    self.help_scroll = if down {
                        self.help_scroll.saturating_add(WHEEL as u16)
                    } else {
                        self.help_scroll.saturating_sub(WHEEL as u16)
                    };
                    return Vec::new();
                }
                let action = if down { Action::Down } else { Action::Up };
                (0..WHEEL)
                    .flat_map(|_| self.screen_action(action))
                    .collect()
            }
            MouseEventKind::Down(MouseButton::Left) if !self.help => {
                if let Some(screen) = self.tab_at(x, y) {
                    return self.go(screen);
                }
                self.click(x, y)
            }
            _ => Vec::new(),
        }
    }

    fn tab_at(&self, x: u16, y: u16) -> Option<usize> {
        self.tab_hits
            .iter()
            .find(|(from, to, _)| y == 0 && x >= *from && x < *to)
            .map(|(_, _, s)| *s)
    }

    /// A click on a list's row selects it (rows of a comparison may fetch their page).
    fn click(&mut self, x: u16, y: u16) -> Vec<Command> {
        let jobs = self.screens[self.screen].click(x, y);
        jobs.into_iter().map(Command::Run).collect()
    }
}
