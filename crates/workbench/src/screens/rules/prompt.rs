//! The Rules screen's one-line prompts: a decision's note, a rule's SQL, an accepted
//! difference's condition and note, a sign-off's note.

use crossterm::event::KeyEvent;
use tui_textarea::TextArea;

use super::RulesScreen;
use crate::jobs::Job;
use crate::rules::decision::Difference;
use crate::rules::file::Edit;
use crate::rules::Status;

/// What the prompt asks for.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ask {
    /// A note for accepting or rejecting the rule.
    Note(Status),
    /// The rule's `where`, edited.
    Where,
    /// The expression of the rule's `set.<column>`, edited.
    Set(String),
    /// The condition of a difference to accept (the new side's columns), first filled
    /// with the selected cause's.
    DifferenceWhere,
    /// The note of the difference whose condition is this.
    DifferenceNote(String),
    /// The note of a sign-off.
    SignOff,
}

impl Ask {
    /// The prompt's frame title: what is asked, and what Enter and Esc do.
    pub(super) fn title(&self, rule: &str, comparison: &str) -> String {
        match self {
            Ask::Note(Status::Accepted) => format!(" accept {rule}: a note · Enter records · Esc "),
            Ask::Note(_) => format!(" reject {rule}: a note · Enter records · Esc "),
            Ask::Where => format!(" {rule}: where (SQL) · Enter checks and saves · Esc "),
            Ask::Set(column) => format!(" {rule}: set {column} = (SQL) · Enter checks · Esc "),
            Ask::DifferenceWhere => {
                " accept a difference: where (SQL, new side) · Enter: a note next · Esc ".into()
            }
            Ask::DifferenceNote(filter) => {
                format!(" accept the rows where {filter}: why, as they are · Enter records · Esc ")
            }
            Ask::SignOff => {
                format!(" sign off {comparison}: what was agreed, with whom · Enter signs · Esc ")
            }
        }
    }
}

/// A one-line text area holding `text`, the cursor at its end.
fn line(text: String) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text]);
    t.move_cursor(tui_textarea::CursorMove::End);
    t
}

impl RulesScreen {
    /// A refused edit's text back in its prompt, to be put right rather than typed again.
    pub(super) fn reopen(&mut self, rule: &str, change: &Edit) {
        let (ask, text) = match change {
            Edit::Where(text) => (Ask::Where, text.clone()),
            Edit::Set { column, expr } => (Ask::Set(column.clone()), expr.clone()),
        };
        self.prompt = Some((ask, rule.to_string(), line(text)));
    }

    /// `D`: the condition of a difference to accept, the selected cause's to begin with.
    pub(super) fn ask_difference(&mut self) {
        if self.what.is_none() {
            return;
        }
        let cause = self.causes.as_ref().and_then(|c| c.get(self.cause));
        let text = cause.map(|c| c.predicate.clone()).unwrap_or_default();
        self.prompt = Some((Ask::DifferenceWhere, String::new(), line(text)));
    }

    /// `O`: the note of a sign-off.
    pub(super) fn ask_signoff(&mut self) {
        if self.what.is_some() {
            self.prompt = Some((Ask::SignOff, String::new(), TextArea::default()));
        }
    }

    /// A refused difference back in its prompt with its condition, to be put right.
    pub(super) fn reopen_difference(&mut self, filter: &str) {
        self.prompt = Some((
            Ask::DifferenceWhere,
            String::new(),
            line(filter.to_string()),
        ));
    }
}

impl crate::screens::Prompt for RulesScreen {
    fn close_prompt(&mut self) {
        self.prompt = None;
    }

    fn type_key(&mut self, key: KeyEvent) {
        if let Some((_, _, t)) = &mut self.prompt {
            t.input(key);
        }
    }

    /// The decision with its note, the edited SQL, the accepted difference or the sign-off,
    /// to be written to the rules file (a difference's condition asks for its note next).
    fn submit_prompt(&mut self) -> Option<Job> {
        let (ask, rule, text) = self.prompt.take()?;
        let text = text.lines().join(" ").trim().to_string();
        let name = self.asked.clone()?;
        Some(match ask {
            Ask::DifferenceWhere if text.is_empty() => {
                self.error = Some("an accepted difference needs a where condition".into());
                self.prompt = Some((Ask::DifferenceWhere, rule, TextArea::default()));
                return None;
            }
            Ask::DifferenceWhere => {
                self.prompt = Some((Ask::DifferenceNote(text), rule, TextArea::default()));
                return None;
            }
            Ask::DifferenceNote(filter) => Job::AcceptDifference {
                name,
                difference: Difference {
                    name: None,
                    filter,
                    note: text,
                },
            },
            Ask::SignOff => Job::SignOff {
                name,
                note: text,
                company: None,
            },
            Ask::Note(status) => Job::RulesDecide {
                name,
                rule,
                status,
                note: text,
            },
            Ask::Where => Job::RulesEdit {
                name,
                rule,
                change: Edit::Where(text),
            },
            Ask::Set(column) => Job::RulesEdit {
                name,
                rule,
                change: Edit::Set { column, expr: text },
            },
        })
    }
}
