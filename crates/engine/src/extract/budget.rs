//! Parallel extraction inside DuckDB's memory cap. The cap is the database's, shared by
//! every connection loading at once: four loads under the workbench's 256MB each found a
//! quarter of it and some ran out. Fewer run at once when the cap would not hold them all,
//! and a load that still runs out says which two settings to change.

/// DuckDB memory one load may take (a CSV or Parquet piece read and inserted). Measured on
/// the demo's 32 loads: four at once under 256MB ran out in every trial (2–8 failed), two at
/// once never did.
pub const LOAD_MEMORY: u64 = 100_000_000;

/// How many loads run at once: `configured` (`[workspace] parallelism`), fewer when the
/// cap would not hold that many, never none.
pub fn parallel_within(configured: u32, cap: Option<u64>) -> usize {
    let configured = configured.max(1) as usize;
    match cap {
        Some(cap) => configured.min((cap / LOAD_MEMORY).max(1) as usize),
        None => configured,
    }
}

/// A load's error, with what to change when DuckDB ran out of memory.
pub fn explained(message: String, cap: Option<u64>, parallel: usize, configured: u32) -> String {
    let out_of_memory = message.contains("Out of Memory") || message.contains("could not allocate");
    match (out_of_memory, cap) {
        (true, Some(cap)) => format!(
            "{message} — DuckDB's memory cap is {} (ASSAY_MEMORY_LIMIT) and {parallel} of [workspace] parallelism = {configured} loads ran at once: raise the cap or lower parallelism",
            crate::store::memory::shown(cap)
        ),
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_fit_the_cap() {
        assert_eq!(parallel_within(4, Some(256_000_000)), 2);
        assert_eq!(parallel_within(4, Some(50_000_000)), 1);
        assert_eq!(parallel_within(4, Some(16_000_000_000)), 4);
        assert_eq!(parallel_within(4, None), 4);
        assert_eq!(parallel_within(0, None), 1);
    }

    #[test]
    fn running_out_names_the_settings() {
        let oom =
            "Out of Memory Error: could not allocate block of size 30.5 MiB (217.9/244.1 MiB used)";
        let said = explained(oom.into(), Some(256_000_000), 2, 4);
        assert!(said.contains("256MB (ASSAY_MEMORY_LIMIT)"), "{said}");
        assert!(said.contains("2 of [workspace] parallelism = 4"), "{said}");
        assert_eq!(
            explained("no such file".into(), Some(1), 1, 4),
            "no such file"
        );
    }
}
