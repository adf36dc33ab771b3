//! What the workbench works within, said in the help: the memory DuckDB may use, and how
//! many extractions run at once inside it (the engine's own rule, `extract::budget`).

use assay_engine::extract::budget::parallel_within;
use assay_engine::store::memory;

#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// DuckDB's cap in bytes (`ASSAY_MEMORY_LIMIT`); None: DuckDB's default.
    pub memory: Option<u64>,
    /// `[workspace] parallelism`.
    pub parallelism: u32,
}

impl Limits {
    /// The limits of a workbench run with `limit` (as `ASSAY_MEMORY_LIMIT` gives it).
    pub fn new(limit: &str, parallelism: u32) -> Limits {
        Limits {
            memory: memory::bytes(limit),
            parallelism,
        }
    }

    /// Two lines for the help.
    pub fn lines(&self) -> [String; 2] {
        let cap = self
            .memory
            .map_or_else(|| "DuckDB's default".into(), memory::shown);
        let at_once = parallel_within(self.parallelism, self.memory);
        [
            format!("memory: {cap} for the cache's work (ASSAY_MEMORY_LIMIT)"),
            format!(
                "extraction: {at_once} at once (parallelism {}{})",
                self.parallelism,
                if at_once < self.parallelism.max(1) as usize {
                    ", fewer to fit the memory"
                } else {
                    ""
                }
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_says_the_cap_and_the_loads_at_once() {
        let [memory, extraction] = Limits::new("256MB", 4).lines();
        assert_eq!(
            memory,
            "memory: 256MB for the cache's work (ASSAY_MEMORY_LIMIT)"
        );
        assert_eq!(
            extraction,
            "extraction: 2 at once (parallelism 4, fewer to fit the memory)"
        );
        let [_, extraction] = Limits::new("8GB", 4).lines();
        assert_eq!(extraction, "extraction: 4 at once (parallelism 4)");
    }
}
