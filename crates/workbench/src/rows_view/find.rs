//! `/` on Compare's and Drill's rows: go to the first row, in the list's order, whose key
//! holds the text typed (a key column equal to it first). The engine finds its place; the
//! cursor goes there and its page is fetched.

use crossterm::event::{KeyCode, KeyEvent};

use super::RowsView;
use crate::jobs::Job;

impl RowsView {
    pub fn find_open(&self) -> bool {
        self.find.is_some()
    }

    pub(super) fn open_find(&mut self) {
        self.find = Some(String::new());
    }

    /// The prompt as the list's bottom title.
    pub(super) fn find_title(&self) -> Option<String> {
        self.find
            .as_ref()
            .map(|text| format!(" go to key: {text}▏ · Enter goes · Esc "))
    }

    /// Where the row asked for is (None: no row's key holds the text): the cursor goes
    /// there, and the page with it is asked for. An answer for another list is dropped.
    pub fn found(&mut self, job: &Job, at: Option<u64>) -> Result<Option<Job>, String> {
        let Job::FindRow {
            path,
            class,
            order,
            text,
        } = job
        else {
            return Ok(None);
        };
        if *path != self.path || *class != self.class || *order != self.order {
            return Ok(None);
        }
        let Some(at) = at else {
            return Err(format!(
                "no row of this list has a key holding `{text}` (v: another class)"
            ));
        };
        let delta = at as i64 - self.cursor as i64;
        Ok(self.move_by(delta))
    }
}

impl crate::prompt::Prompt for RowsView {
    fn close_prompt(&mut self) {
        self.find = None;
    }

    fn type_key(&mut self, key: KeyEvent) {
        let Some(text) = &mut self.find else { return };
        match key.code {
            KeyCode::Char(c) => text.push(c),
            KeyCode::Backspace => {
                text.pop();
            }
            _ => {}
        }
    }

    fn submit_prompt(&mut self) -> Option<Job> {
        let text = self.find.take()?.trim().to_string();
        if text.is_empty() {
            return None;
        }
        Some(Job::FindRow {
            path: self.path.clone(),
            class: self.class,
            order: self.order,
            text,
        })
    }
}
