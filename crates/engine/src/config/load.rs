//! Finding the workspace, reading `assay.toml`, and collecting every problem in it.

use std::path::{Path, PathBuf};

use super::locate::{line_col, locate};
use super::model::Config;
use super::validate::validate;
use crate::error::{ConfigIssue, Error, IoContext, Result};

pub const CONFIG_FILE: &str = "assay.toml";

/// A workspace folder with its parsed, validated configuration.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub config_path: PathBuf,
    pub config: Config,
}

impl Workspace {
    /// Find `assay.toml` in `start` or one of its parents (like cargo) and load it.
    pub fn discover(start: &Path) -> Result<Self> {
        let start = start
            .canonicalize()
            .io_context(|| format!("cannot open folder {}", start.display()))?;
        let root = start
            .ancestors()
            .find(|dir| dir.join(CONFIG_FILE).is_file())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "no {CONFIG_FILE} in {} or any parent folder; run `assay demo DIR` to make a \
                     workspace, or pass -C DIR",
                    start.display()
                ))
            })?;
        Self::load(root)
    }

    /// Load the workspace whose `assay.toml` is in `root`.
    pub fn load(root: &Path) -> Result<Self> {
        let config_path = root.join(CONFIG_FILE);
        let text = read_text(&config_path)?;
        let (config, issues) = check(&config_path, &text, root);
        match config {
            Some(config) if issues.is_empty() => Ok(Workspace {
                root: root.to_path_buf(),
                config_path,
                config,
            }),
            _ => Err(Error::Config(issues)),
        }
    }

    /// A path from the config, relative to the workspace folder.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn cache_path(&self) -> PathBuf {
        self.path(&self.config.workspace.cache)
    }

    pub fn models_dir(&self) -> PathBuf {
        self.path(&self.config.layers.models)
    }
}

/// The config file's text. A file that is not UTF-8 (a binary, a spreadsheet saved under the
/// name) is a configuration problem with its line and column, not an I/O failure.
pub fn read_text(config_path: &Path) -> Result<String> {
    let bytes = std::fs::read(config_path)
        .io_context(|| format!("cannot read {}", config_path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Error::Config(vec![ConfigIssue {
            file: config_path.to_path_buf(),
            key: String::new(),
            line,
            column,
            message: "is not UTF-8 text (a TOML file must be); was a binary or another \
                      encoding saved as assay.toml?"
                .into(),
        }])
    })
}

/// Parse and validate a config text. Returns the config when it could be read at all
/// (possibly with problems) and every problem found, each with its key path and line.
pub fn check(file: &Path, text: &str, root: &Path) -> (Option<Config>, Vec<ConfigIssue>) {
    let mut issues = Vec::new();
    if let Err(e) = toml::de::DeTable::parse(text) {
        issues.push(issue_from_toml_error(file, text, &e));
        return (None, issues);
    }
    // serde stops at the first problem; to report them all, comment out the offending
    // line (keeping line numbers) and read again, until the text reads or cannot be mended.
    let mut working = text.to_string();
    let mut config = None;
    for _ in 0..100 {
        match toml::from_str::<Config>(&working) {
            Ok(c) => {
                config = Some(c);
                break;
            }
            Err(e) => {
                issues.push(issue_from_toml_error(file, text, &e));
                match e.span().and_then(|s| comment_out(&working, s.start)) {
                    Some(mended) => working = mended,
                    None => break,
                }
            }
        }
    }
    if let Some(c) = &config {
        issues.extend(issues_at(file, text, validate(c, root)));
    }
    // Reading order: the file from top to bottom; problems with no line last.
    issues.sort_by_key(|i| (i.line == 0, i.line, i.column));
    (config, issues)
}

/// Findings (dotted key path, message) as issues of `file`, each at its key's line.
pub fn issues_at(file: &Path, text: &str, findings: Vec<(String, String)>) -> Vec<ConfigIssue> {
    findings
        .into_iter()
        .map(|(key, message)| {
            let parts: Vec<&str> = key.split('.').collect();
            let (line, column) = locate(text, &parts).unwrap_or((0, 0));
            ConfigIssue {
                file: file.to_path_buf(),
                key,
                line,
                column,
                message,
            }
        })
        .collect()
}

fn issue_from_toml_error(file: &Path, text: &str, e: &toml::de::Error) -> ConfigIssue {
    let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
    let mut message = e.message().trim().to_string();
    if message.contains("unknown field `password`") {
        message.push_str(
            "; secrets are never written in the file: name an environment variable with \
             `password_env`",
        );
    }
    ConfigIssue {
        file: file.to_path_buf(),
        key: key_path_at(text, line, column),
        line,
        column,
        message,
    }
}

/// The dotted key path of the `key = value` line `line` (1-based), from the table header
/// above it; the header's own path when the line is a header. Inside an inline table
/// (`tolerance = { absolute = nan }`), the key at `column` too.
fn key_path_at(text: &str, line: usize, column: usize) -> String {
    if line == 0 {
        return String::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let Some(current) = lines.get(line - 1).map(|l| l.trim()) else {
        return String::new();
    };
    if let Some(header) = header_path(current) {
        return header;
    }
    let mut key = current
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_string();
    if let Some(inner) = inline_key(lines[line - 1], column) {
        key = format!("{key}.{inner}");
    }
    let table = lines[..line - 1]
        .iter()
        .rev()
        .find_map(|l| header_path(l.trim()));
    match table {
        Some(t) if !key.is_empty() => format!("{t}.{key}"),
        Some(t) => t,
        None => key,
    }
}

/// The key of an inline table's entry whose value is at `column` (1-based, in characters):
/// the name after the last `{` or `,` before it.
fn inline_key(line: &str, column: usize) -> Option<String> {
    let before: String = line.chars().take(column.saturating_sub(1)).collect();
    let open = before.find('{')?;
    let entry = before[open..].rsplit([',', '{']).next()?;
    let (name, _) = entry.split_once('=')?;
    let name = name.trim().trim_matches('"');
    (!name.is_empty()).then(|| name.to_string())
}

fn header_path(line: &str) -> Option<String> {
    let inner = line.strip_prefix('[')?.split(']').next()?;
    Some(inner.trim_matches('[').trim().replace(['"', ' '], ""))
}

/// Comment out the line holding `offset`; a table header takes its whole table with it.
/// None when nothing sensible can be removed (the error is not tied to one line).
fn comment_out(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let index = line.checked_sub(1)?;
    let target = lines.get(index)?.trim().to_string();
    if target.is_empty() || target.starts_with('#') {
        return None;
    }
    if target.starts_with('[') {
        let mut i = index;
        while i < lines.len() && (i == index || !lines[i].trim_start().starts_with('[')) {
            lines[i] = format!("# {}", lines[i]);
            i += 1;
        }
    } else if target.contains('=') && !target.ends_with('[') && !target.ends_with('{') {
        lines[index] = format!("# {}", lines[index]);
    } else {
        return None;
    }
    let mended = lines.join("\n");
    toml::de::DeTable::parse(&mended).ok()?;
    Some(mended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_follow_headers() {
        let text = "[workspace]\nname = \"x\"\n[comparisons.revenue]\ntabel = 1\n";
        assert_eq!(key_path_at(text, 4, 1), "comparisons.revenue.tabel");
        assert_eq!(key_path_at(text, 3, 1), "comparisons.revenue");
        assert_eq!(key_path_at(text, 2, 1), "workspace.name");
        let inline = "[comparisons.revenue]\ntolerance = { absolute = 1.0, relative = inf }\n";
        assert_eq!(
            key_path_at(inline, 2, 42),
            "comparisons.revenue.tolerance.relative"
        );
        assert_eq!(
            key_path_at(inline, 2, 26),
            "comparisons.revenue.tolerance.absolute"
        );
    }

    #[test]
    fn reports_every_unknown_key_with_its_line() {
        let text =
            "[workspace]\nnmae = \"x\"\nparallelism = \"four\"\n[freshness]\nwarn_aftr = \"1h\"\n";
        let (config, issues) = check(Path::new("assay.toml"), text, Path::new("."));
        assert!(config.is_some());
        let lines: Vec<usize> = issues.iter().map(|i| i.line).collect();
        assert_eq!(lines, vec![2, 3, 5], "{issues:#?}");
        assert_eq!(issues[0].key, "workspace.nmae");
        assert!(issues[0].message.contains("unknown field `nmae`"));
        assert_eq!(issues[1].key, "workspace.parallelism");
        assert!(
            issues[1].message.contains("invalid type"),
            "{}",
            issues[1].message
        );
        assert_eq!(issues[2].key, "freshness.warn_aftr");
    }

    #[test]
    fn syntax_errors_stop_early_with_a_line() {
        let text = "[workspace]\nname = \"x\n";
        let (config, issues) = check(Path::new("assay.toml"), text, Path::new("."));
        assert!(config.is_none());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, 2);
    }

    #[test]
    fn a_written_password_is_refused_with_advice() {
        let text = "[sources.crm]\nkind = \"postgres\"\nhost = \"h\"\ndatabase = \"d\"\nuser = \"u\"\npassword = \"hunter2\"\n";
        let (_, issues) = check(Path::new("assay.toml"), text, Path::new("."));
        assert_eq!(issues.len(), 1, "{issues:#?}");
        assert!(issues[0].message.contains("password_env"));
        assert!(!issues[0].to_string().contains("hunter2"));
    }
}
