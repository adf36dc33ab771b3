//! Things the engine fixed on its own that the user must still hear about (a cache log set
//! aside, leftovers removed). The engine only collects them; the CLI prints them on stderr
//! when the command (or the workbench) ends.

use std::sync::Mutex;

static NOTICES: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn push(message: String) {
    NOTICES.lock().expect("notices").push(message);
}

/// Every notice since the last call, oldest first.
pub fn take() -> Vec<String> {
    std::mem::take(&mut *NOTICES.lock().expect("notices"))
}
