//! What a key does: the help, the SQL editor's text, a screen's prompt, then the keymap's
//! action (global ones here, the rest by the screen shown).

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Command, Screen, SCREENS};
use crate::jobs::{Job, Lane};
use crate::keymap::Action;
use crate::screens::Prompt;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if self.help {
            self.help_key(key);
            return Vec::new();
        }
        let context = self.screen.context();
        // In the SQL editor every plain key is text; only Ctrl-keys, F-keys and Esc act.
        if self.screen == Screen::Sql && self.sql.wants_text() {
            let command_key = key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL)
                || matches!(key.code, KeyCode::F(_) | KeyCode::Esc);
            let passthrough = !command_key;
            if passthrough {
                self.sql.type_key(key);
                return Vec::new();
            }
            // Esc with nothing running leaves the editor: the way out its footer names
            // (q, Tab and digits are text there).
            let running = self.busy.iter().any(|(lane, _)| *lane == Lane::Sql);
            if key.code == KeyCode::Esc && !running {
                self.sql.editing = false;
                self.set_info(
                    "left the editor: digits and Tab switch screens, q quits, Ctrl-O edits again",
                );
                return Vec::new();
            }
        }
        let drill_rows = self.drill.rows.as_mut().filter(|r| r.find_open());
        let prompt: Option<&mut dyn Prompt> = match self.screen {
            Screen::Layers if self.layers.prompt_open() => Some(&mut self.layers),
            Screen::Rules if self.rules.prompt_open() => Some(&mut self.rules),
            Screen::Compare if self.compare.rows.find_open() => Some(&mut self.compare.rows),
            Screen::Drill => drill_rows.map(|r| r as &mut dyn Prompt),
            _ => None,
        };
        if let Some(p) = prompt {
            return match key.code {
                KeyCode::Esc => {
                    p.close_prompt();
                    Vec::new()
                }
                KeyCode::Enter => p.submit_prompt().into_iter().map(Command::Run).collect(),
                _ => {
                    p.type_key(key);
                    Vec::new()
                }
            };
        }
        let Some(action) = self.keymap.action(context, &key) else {
            return Vec::new();
        };
        self.status = None;
        let armed = std::mem::take(&mut self.quit_armed);
        let reveal_armed = std::mem::take(&mut self.reveal_armed);
        match action {
            Action::Reveal if self.revealed => vec![Command::Run(Job::Reveal {
                on: false,
                screen: self.screen.title().to_string(),
            })],
            Action::Reveal if !reveal_armed => {
                self.reveal_armed = true;
                self.set_info(
                    "show personal data as it is? P again shows it (recorded: who, when, screen)",
                );
                Vec::new()
            }
            Action::Reveal => vec![Command::Run(Job::Reveal {
                on: true,
                screen: self.screen.title().to_string(),
            })],
            // Ctrl-C in the SQL editor asks first: it is also what a user presses by habit.
            Action::Quit if !armed && self.screen == Screen::Sql && self.sql.has_text() => {
                self.quit_armed = true;
                self.set_info("quit? Ctrl-C again quits (your queries are kept in the history)");
                Vec::new()
            }
            Action::Quit => {
                self.quit = true;
                vec![Command::Cancel, Command::Quit]
            }
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
                self.help_query.clear();
                self.help_typing = false;
                Vec::new()
            }
            // Esc first closes a row detail; it cancels work only when nothing is open.
            Action::Cancel if self.close_detail() => Vec::new(),
            Action::Cancel => {
                self.set_info("cancelled");
                vec![Command::Cancel]
            }
            Action::Theme => {
                self.theme = self.theme.next();
                self.set_info(format!("theme: {}", self.theme.name));
                Vec::new()
            }
            Action::NextScreen | Action::PrevScreen => {
                let at = SCREENS.iter().position(|s| *s == self.screen).unwrap_or(0);
                let n = SCREENS.len();
                let next = if action == Action::NextScreen {
                    (at + 1) % n
                } else {
                    (at + n - 1) % n
                };
                self.go(SCREENS[next])
            }
            Action::Sources => self.go(Screen::Sources),
            Action::Layers => self.go(Screen::Layers),
            Action::Compare => self.go(Screen::Compare),
            Action::Drill => self.go(Screen::Drill),
            Action::Sql => self.go(Screen::Sql),
            Action::Models => self.go(Screen::Models),
            Action::Waterfall => self.go(Screen::Waterfall),
            Action::Rules => self.go(Screen::Rules),
            Action::Build => vec![Command::Run(Job::Build)],
            Action::Tests => vec![Command::Run(Job::Tests)],
            action => self.screen_action(action),
        }
    }

    /// The help scrolls and searches; Esc, ? or q close it (any other key used to, so its
    /// lower sections could not be reached).
    fn help_key(&mut self, key: KeyEvent) {
        if self.help_typing {
            match key.code {
                KeyCode::Esc => {
                    self.help_typing = false;
                    self.help_query.clear();
                }
                KeyCode::Enter => self.help_typing = false,
                KeyCode::Backspace => {
                    self.help_query.pop();
                }
                KeyCode::Char(c) => self.help_query.push(c),
                _ => {}
            }
            self.help_scroll = 0;
            return;
        }
        match key.code {
            KeyCode::Char('/') => {
                self.help_typing = true;
                self.help_query.clear();
                self.help_scroll = 0;
            }
            KeyCode::Esc if !self.help_query.is_empty() => self.help_query.clear(),
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => self.help = false,
            KeyCode::Down | KeyCode::Char('j') => self.help_scroll += 1,
            KeyCode::Up | KeyCode::Char('k') => {
                self.help_scroll = self.help_scroll.saturating_sub(1)
            }
            KeyCode::PageDown | KeyCode::Char(' ') => self.help_scroll += 10,
            KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => self.help_scroll = 0,
            KeyCode::End | KeyCode::Char('G') => self.help_scroll = u16::MAX,
            _ => {}
        }
    }

    /// Close the row detail of the current screen, if one is open.
    fn close_detail(&mut self) -> bool {
        let rows = match self.screen {
            Screen::Compare => Some(&mut self.compare.rows),
            Screen::Drill => self.drill.rows.as_mut(),
            _ => None,
        };
        match rows {
            Some(r) if r.detail_open() => {
                r.detail = None;
                true
            }
            _ => false,
        }
    }
}
