//! The one-line prompts screens and lists open (a filter, a note, a rule's SQL, a key to
//! go to): while one is open it takes the keys.

/// A screen's one-line prompt (a filter, a note, a rule's SQL): Esc closes it, Enter
/// submits it, every other key is text.
pub trait Prompt {
    fn close_prompt(&mut self);
    fn submit_prompt(&mut self) -> Option<crate::jobs::Job>;
    fn type_key(&mut self, key: crossterm::event::KeyEvent);
}
