//! What a key does: the help, the SQL editor's text, a screen's prompt, then the keymap's
//! action (global ones here, the rest by the screen shown).

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Command};
use crate::jobs::Job;
use crate::keymap::Action;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if self.help {
            self.help_key(key);
            return Vec::new();
        }
        let context = self.context();
        if let Some(done) = self.text_key(key) {
            return done;
        }
        if let Some(p) = self.screens[self.screen].prompt() {
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
        self.shared.status = None;
        let armed = std::mem::take(&mut self.quit_armed);
        let reveal_armed = std::mem::take(&mut self.reveal_armed);
        match action {
            Action::Reveal if self.revealed => vec![Command::Run(Job::Reveal {
                on: false,
                screen: self.title().to_string(),
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
                screen: self.title().to_string(),
            })],
            // Ctrl-C over unsaved work asks first: it is also what a user presses by habit.
            Action::Quit if !armed && self.screens[self.screen].unsaved().is_some() => {
                self.quit_armed = true;
                let ask = self.screens[self.screen].unsaved().unwrap_or_default();
                self.set_info(ask);
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
                let n = self.screens.len();
                let next = if action == Action::NextScreen {
                    (self.screen + 1) % n
                } else {
                    (self.screen + n - 1) % n
                };
                self.go(next)
            }
            Action::Go(screen) => self.go(screen),
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
        match self.screens[self.screen].rows() {
            Some(r) if r.detail_open() => {
                r.detail = None;
                true
            }
            _ => false,
        }
    }

    /// A key for the screen's text editor, while it has the focus: every plain key is
    /// text; only Ctrl-keys, F-keys and Esc act (Esc with nothing running leaves it: the
    /// way out its footer names, as q, Tab and digits are text there).
    fn text_key(&mut self, key: KeyEvent) -> Option<Vec<Command>> {
        let busy = &self.busy;
        let editor = self.screens[self.screen].text()?;
        let command_key = key
            .modifiers
            .contains(crossterm::event::KeyModifiers::CONTROL)
            || matches!(key.code, KeyCode::F(_) | KeyCode::Esc);
        if !command_key {
            editor.type_key(key);
            return Some(Vec::new());
        }
        if key.code != KeyCode::Esc {
            return None;
        }
        let said = editor.leave(busy)?;
        self.set_info(said);
        Some(Vec::new())
    }
}
