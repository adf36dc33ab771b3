//! Cancelling running work from another thread: a flag checked between steps, and the
//! DuckDB interrupt handles of every connection doing the work, so a long statement stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use duckdb::InterruptHandle;

#[derive(Default)]
pub struct Cancel {
    flag: AtomicBool,
    handles: Mutex<Vec<Arc<InterruptHandle>>>,
}

impl Cancel {
    pub fn new() -> Arc<Self> {
        Arc::new(Cancel::default())
    }

    pub fn register(&self, handle: Arc<InterruptHandle>) {
        self.handles.lock().expect("cancel lock").push(handle);
    }

    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        for h in self.handles.lock().expect("cancel lock").iter() {
            h.interrupt();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// The process's own interruption: the command line's Ctrl-C sets it. A ClickHouse client
/// watches it until it is given a cancel of its own (a workbench job's), so a query the
/// engine sends on the command's behalf — a pushed-down compare, explain, a build — is
/// killed on the server when the user presses Ctrl-C, with no handle passed down to it.
pub fn process() -> Arc<Cancel> {
    static PROCESS: std::sync::OnceLock<Arc<Cancel>> = std::sync::OnceLock::new();
    PROCESS.get_or_init(Cancel::new).clone()
}
