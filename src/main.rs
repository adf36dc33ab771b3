fn main() {
    std::process::exit(assay::cli::main());
}
