//! `ASSAY_TRACE=1` prints how long each stage of a job took, on stderr: the first thing to
//! look at when a compare is slower than expected.

use std::time::Instant;

fn enabled() -> bool {
    std::env::var_os("ASSAY_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Run `work`, and report its duration under `label` when tracing.
pub fn stage<T>(label: &str, work: impl FnOnce() -> T) -> T {
    if !enabled() {
        return work();
    }
    let start = Instant::now();
    let out = work();
    eprintln!("trace: {label}: {:.3}s", start.elapsed().as_secs_f64());
    out
}
