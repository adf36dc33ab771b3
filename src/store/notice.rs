//! Things the engine fixed on its own that the user must still hear about (a cache log set
//! aside, leftovers removed). The engine only collects them; each driver shows them its way
//! (the CLI on stderr, the workbench in its status line).

use std::sync::Mutex;

static NOTICES: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn push(message: String) {
    NOTICES.lock().expect("notices").push(message);
}

/// Every notice since the last call, oldest first.
pub fn take() -> Vec<String> {
    std::mem::take(&mut *NOTICES.lock().expect("notices"))
}
