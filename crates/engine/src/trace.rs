//! `ASSAY_TRACE=1` prints how long each stage of a job took, on stderr: the first thing to
//! look at when a compare is slower than expected. A driver may also watch stages start
//! (the CLI shows them beside a spinner while a long compare runs).

use std::sync::{Arc, Mutex};
use std::time::Instant;

type Watcher = Arc<dyn Fn(&str) + Send + Sync>;

static WATCHER: Mutex<Option<Watcher>> = Mutex::new(None);

/// Call `watcher` with each stage's label as it starts, until the guard is dropped.
pub fn watch_stages(watcher: impl Fn(&str) + Send + Sync + 'static) -> StageWatch {
    *WATCHER.lock().expect("stage watcher") = Some(Arc::new(watcher));
    StageWatch
}

/// Stops the watching `watch_stages` started.
pub struct StageWatch;

impl Drop for StageWatch {
    fn drop(&mut self) {
        *WATCHER.lock().expect("stage watcher") = None;
    }
}

fn enabled() -> bool {
    std::env::var_os("ASSAY_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Run `work`, and report its duration under `label` when tracing.
pub fn stage<T>(label: &str, work: impl FnOnce() -> T) -> T {
    let watcher = WATCHER.lock().expect("stage watcher").clone();
    if let Some(w) = watcher {
        w(label);
    }
    if !enabled() {
        return work();
    }
    let start = Instant::now();
    let out = work();
    eprintln!("trace: {label}: {:.3}s", start.elapsed().as_secs_f64());
    out
}
