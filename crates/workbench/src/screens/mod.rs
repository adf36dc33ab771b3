//! One module per screen: its state, what its keys do, and how it draws.

pub mod compare;
pub mod drill;
mod drill_causes;
pub mod history;
pub mod layers;
pub mod models;
pub mod rules;
pub mod sources;
pub mod sql;
pub mod waterfall;

/// A screen's one-line prompt (a filter, a note, a rule's SQL): Esc closes it, Enter
/// submits it, every other key is text.
pub trait Prompt {
    fn close_prompt(&mut self);
    fn submit_prompt(&mut self) -> Option<crate::jobs::Job>;
    fn type_key(&mut self, key: crossterm::event::KeyEvent);
}
