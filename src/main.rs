fn main() {
    let code = assay::cli::main();
    // Benchmarks run the binary as a child and read its peak memory from here.
    if std::env::var_os(assay::bench::REPORT_PEAK_RSS).is_some() {
        eprintln!("peak_rss_mib={:.1}", assay::bench::peak_rss_mib());
    }
    std::process::exit(code);
}
