//! The layering the crates promise, checked on the sources: the engine depends on no
//! terminal or command-line crate, the product does not link the benchmarks, no module of
//! a crate depends (through `crate::`/`super::` paths) on one that depends back on it, and
//! no source file is past the size a reader can hold.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names under `[dependencies]` of a manifest.
fn dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_engine_knows_no_terminal_and_the_product_no_benchmarks() {
    let engine = dependencies(&root().join("crates/engine/Cargo.toml"));
    for banned in [
        "ratatui",
        "crossterm",
        "tui-textarea",
        "clap",
        "clap_complete",
    ] {
        assert!(!engine.contains(banned), "the engine depends on {banned}");
    }
    let workbench = dependencies(&root().join("crates/workbench/Cargo.toml"));
    assert!(!workbench.contains("clap"), "the workbench depends on clap");
    for product in [
        root().join("Cargo.toml"),
        root().join("crates/workbench/Cargo.toml"),
    ] {
        let deps = dependencies(&product);
        for banned in ["assay-bench", "tpchgen"] {
            assert!(
                !deps.contains(banned),
                "{} links {banned}",
                product.display()
            );
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path within its crate (`recon/remote/mod.rs` → `recon::remote`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Every `a::b::c` path after `prefix` in the code (tests left out: they may reach anywhere).
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let code = code.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let boundary = rest[..at]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        rest = &rest[at + prefix.len()..];
        if !boundary {
            continue;
        }
        let text: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let parts: Vec<String> = text
            .split("::")
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect();
        if !parts.is_empty() {
            out.push(parts);
        }
    }
    out
}

/// Modules as nodes at `depth` (1: `recon`, 2: `recon::remote`), with their edges.
fn module_graph(src: &Path, depth: usize) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let node = |path: &[String]| -> Option<Vec<String>> {
        // The longest known module the path starts with, cut to `depth`.
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| modules.contains(m))
            .map(|m| m[..m.len().min(depth)].to_vec())
    };
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        let Some(from) = node(&module) else { continue };
        let code = std::fs::read_to_string(file).unwrap();
        let mut targets = paths_after(&code, "crate::");
        for p in paths_after(&code, "super::") {
            let mut full = module[..module.len().saturating_sub(1)].to_vec();
            full.extend(p);
            targets.push(full);
        }
        for t in targets {
            let Some(to) = node(&t) else { continue };
            // A module and its own parent or children are one unit.
            let related = to.starts_with(&from) || from.starts_with(&to);
            if !related {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    graph
}

/// A cycle in the graph, if there is one (as the modules on it).
fn find_cycle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<String>> {
    fn visit(
        at: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|m| m == at) {
            return Some(stack[i..].iter().map(|m| m.join("::")).collect());
        }
        if done.contains(at) {
            return None;
        }
        stack.push(at.clone());
        for next in graph.get(at).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(at.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_depends_on_one_that_depends_back() {
    for krate in [
        "crates/engine/src",
        "crates/workbench/src",
        "crates/bench/src",
        "src",
    ] {
        for depth in [1, 2, 3] {
            let graph = module_graph(&root().join(krate), depth);
            if let Some(cycle) = find_cycle(&graph) {
                panic!("{krate}: a module cycle: {}", cycle.join(" → "));
            }
        }
    }
}

#[test]
fn the_cycle_check_sees_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a; mod b;").unwrap();
    std::fs::write(src.join("a/mod.rs"), "use crate::b::Thing;").unwrap();
    std::fs::write(src.join("b.rs"), "pub fn f() { crate::a::g() }").unwrap();
    let graph = module_graph(src, 1);
    assert!(find_cycle(&graph).is_some(), "{graph:?}");
    std::fs::write(src.join("b.rs"), "pub fn f() {}").unwrap();
    assert!(find_cycle(&module_graph(src, 1)).is_none());
}

#[test]
fn no_source_file_is_past_600_lines() {
    let mut files = Vec::new();
    for krate in [
        "crates/engine/src",
        "crates/workbench/src",
        "crates/bench/src",
        "src",
    ] {
        rust_files(&root().join(krate), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 600).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{long:?}");
}

#[test]
fn the_product_offers_no_benchmarks() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("compare"), "{help}");
    // Subcommands are listed indented by two spaces: none of them is a benchmark.
    assert!(
        !help.lines().any(|l| l.trim_start().starts_with("bench")),
        "{help}"
    );
}
