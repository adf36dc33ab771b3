//! The keymap: one table of action ↔ keys ↔ description. The handlers dispatch on actions,
//! and the help overlay and the footer are rendered from the same table, so they cannot
//! disagree. A keymap file (TOML, `action = ["key", …]`) replaces the keys of any action.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::error::{Error, Result};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    Global,
    Sources,
    Layers,
    Compare,
    Drill,
    Sql,
    Models,
    Waterfall,
    Rules,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Sources => "Sources",
            Context::Layers => "Layers",
            Context::Compare => "Compare",
            Context::Drill => "Drill",
            Context::Sql => "SQL",
            Context::Models => "Models",
            Context::Waterfall => "Waterfall",
            Context::Rules => "Rules",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    NextScreen,
    PrevScreen,
    Sources,
    Layers,
    Compare,
    Drill,
    Sql,
    Models,
    Waterfall,
    Rules,
    Toggle,
    AcceptRule,
    RejectRule,
    Adopt,
    NextCause,
    EditSet,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Cancel,
    Refresh,
    Theme,
    CopyCell,
    CopyRow,
    Mark,
    ExtractOne,
    ExtractCompany,
    ExtractAll,
    Sort,
    Filter,
    FilterByCell,
    ClearFilter,
    HideColumn,
    ShowColumns,
    PinColumn,
    Profile,
    NextComparison,
    NextCompany,
    RowClass,
    NextDimension,
    RunQuery,
    HistoryPrev,
    HistoryNext,
    Focus,
    Writable,
    Reveal,
    Build,
    Tests,
    AcceptDifference,
    SignOff,
    FindKey,
    Report,
}

/// (action, context, default keys, name in keymap files, description).
#[rustfmt::skip]
const DEFAULTS: &[(Action, Context, &[&str], &str, &str)] = &[
    (Action::Quit, Context::Global, &["q", "ctrl-c"], "quit", "quit"),
    (Action::Help, Context::Global, &["?", "f1"], "help", "help"),
    (Action::NextScreen, Context::Global, &["tab"], "next_screen", "next screen"),
    (Action::PrevScreen, Context::Global, &["backtab"], "prev_screen", "previous screen"),
    (Action::Sources, Context::Global, &["1"], "sources", "sources"),
    (Action::Layers, Context::Global, &["2"], "layers", "layers"),
    (Action::Compare, Context::Global, &["3"], "compare", "compare"),
    (Action::Drill, Context::Global, &["4"], "drill", "drill"),
    (Action::Sql, Context::Global, &["5"], "sql", "SQL console"),
    (Action::Models, Context::Global, &["6"], "models", "models: SQL and lineage"),
    (Action::Waterfall, Context::Global, &["7"], "waterfall", "layer waterfall"),
    (Action::Rules, Context::Global, &["8"], "rules", "rules lab: what-if"),
    (Action::Up, Context::Global, &["up", "k"], "up", "up"),
    (Action::Down, Context::Global, &["down", "j"], "down", "down"),
    (Action::Left, Context::Global, &["left", "h"], "left", "left"),
    (Action::Right, Context::Global, &["right", "l"], "right", "right"),
    (Action::PageUp, Context::Global, &["pageup", "ctrl-b"], "page_up", "page up"),
    (Action::PageDown, Context::Global, &["pagedown", "ctrl-f"], "page_down", "page down"),
    (Action::Top, Context::Global, &["home", "g"], "top", "first row"),
    (Action::Bottom, Context::Global, &["end", "G"], "bottom", "last row"),
    (Action::Cancel, Context::Global, &["esc"], "cancel", "cancel the running job"),
    (Action::Refresh, Context::Global, &["r"], "refresh", "reload"),
    (Action::Theme, Context::Global, &["T"], "theme", "next theme"),
    (Action::CopyCell, Context::Global, &["y"], "copy_cell", "copy cell (OSC52)"),
    (Action::CopyRow, Context::Global, &["Y"], "copy_row", "copy row (OSC52)"),
    (Action::Reveal, Context::Global, &["P"], "reveal", "personal data: show (asks; recorded) / mask"),
    (Action::Build, Context::Global, &["b"], "build", "build the models (then the data tests, with after_build)"),
    (Action::Tests, Context::Global, &["t"], "tests", "run the data tests (recorded)"),
    (Action::Open, Context::Sources, &["enter"], "history", "history"),
    (Action::Back, Context::Sources, &["backspace"], "close_history", "back"),
    (Action::ExtractOne, Context::Sources, &["e"], "extract_one", "extract this entity"),
    (Action::ExtractCompany, Context::Sources, &["E"], "extract_company", "extract the company"),
    (Action::ExtractAll, Context::Sources, &["A"], "extract_all", "extract everything"),
    (Action::Open, Context::Layers, &["enter"], "open", "open table"),
    (Action::Back, Context::Layers, &["backspace"], "back", "back to the list"),
    (Action::Sort, Context::Layers, &["s"], "sort", "sort by column"),
    (Action::Filter, Context::Layers, &["/"], "filter", "filter (SQL)"),
    (Action::FilterByCell, Context::Layers, &["="], "filter_by_cell", "filter = cell"),
    (Action::ClearFilter, Context::Layers, &["\\"], "clear_filter", "clear filter"),
    (Action::HideColumn, Context::Layers, &["x"], "hide_column", "hide column"),
    (Action::ShowColumns, Context::Layers, &["X"], "show_columns", "show all columns"),
    (Action::PinColumn, Context::Layers, &["p"], "pin_column", "pin columns to here"),
    (Action::Profile, Context::Layers, &["i"], "profile", "profile"),
    (Action::Mark, Context::Layers, &["V"], "mark", "mark rows (Y copies)"),
    (Action::NextComparison, Context::Compare, &["]"], "next_comparison", "next comparison"),
    (Action::NextCompany, Context::Compare, &["c"], "next_company", "next company"),
    (Action::RowClass, Context::Compare, &["v"], "row_class", "row class filter"),
    (Action::Open, Context::Compare, &["enter"], "row_detail", "row detail: every column"),
    (Action::Back, Context::Compare, &["backspace"], "close_detail", "close the row detail"),
    (Action::Mark, Context::Compare, &["V"], "mark_compare_rows", "mark rows (Y copies)"),
    (Action::Sort, Context::Compare, &["s"], "sort_rows", "rows by class, key ⇄ largest |Δ| first"),
    (Action::FindKey, Context::Compare, &["/"], "find_key", "go to a key (the first row whose key holds it)"),
    (Action::Open, Context::Drill, &["enter"], "drill_in", "drill into value"),
    (Action::Back, Context::Drill, &["backspace"], "drill_out", "back up"),
    (Action::NextDimension, Context::Drill, &["d"], "next_dimension", "next dimension"),
    (Action::Mark, Context::Drill, &["V"], "mark_drill_rows", "mark rows (Y copies)"),
    (Action::Sort, Context::Drill, &["s"], "sort_drill_rows", "rows by class, key ⇄ largest |Δ| first"),
    (Action::FindKey, Context::Drill, &["/"], "find_drill_key", "go to a key in the step's rows"),
    (Action::NextCause, Context::Drill, &["c"], "next_cause", "select the next likely cause (then Enter: its rows)"),
    (Action::Adopt, Context::Drill, &["a"], "adopt_drill_cause", "adopt the selected cause as a proposed rule"),
    (Action::RunQuery, Context::Sql, &["f5", "ctrl-r"], "run_query", "run query"),
    (Action::HistoryPrev, Context::Sql, &["ctrl-p"], "history_prev", "previous query"),
    (Action::HistoryNext, Context::Sql, &["ctrl-n"], "history_next", "next query"),
    (Action::Focus, Context::Sql, &["ctrl-o"], "focus", "editor ⇄ results"),
    (Action::Writable, Context::Sql, &["ctrl-w"], "writable", "read-only ⇄ writable"),
    (Action::Mark, Context::Sql, &["V"], "mark_results", "mark rows (Y copies)"),
    (Action::Toggle, Context::Rules, &["space"], "toggle_rule", "rule in/out of the what-if"),
    (Action::AcceptRule, Context::Rules, &["A"], "accept_rule", "accept the rule (with a note)"),
    (Action::RejectRule, Context::Rules, &["R"], "reject_rule", "reject the rule (with a note)"),
    (Action::Open, Context::Rules, &["enter"], "edit_rule", "edit the rule's where (checked first)"),
    (Action::EditSet, Context::Rules, &["S"], "edit_set", "edit the rule's set expression (checked first)"),
    (Action::NextCause, Context::Rules, &["c"], "next_left_cause", "select the next cause of what is left"),
    (Action::Adopt, Context::Rules, &["a"], "adopt_cause", "adopt the selected cause as a proposed rule"),
    (Action::AcceptDifference, Context::Rules, &["D"], "accept_difference", "accept a difference: the selected cause's rows or a where (with a note)"),
    (Action::SignOff, Context::Rules, &["O"], "sign_off", "sign off the accepted numbers (with a note)"),
    (Action::Report, Context::Rules, &["W"], "write_report", "write the report: reports/NAME.html and .md"),
];

/// How keys are written in keymap files, for messages.
pub const KEY_SYNTAX: &str = "a character (`q`, `G`), `ctrl-c` (or `C-c`, as the help shows it), `f5`, `enter`, `esc`, `tab`, `backtab`, `backspace`, `space`, `up`, `down`, `left`, `right`, `pageup`, `pagedown`, `home`, `end`";

/// A key as written in keymap files: `q`, `G`, `ctrl-c` (or `C-c`, as the help and footers
/// show it), `f5`, `enter`, `pageup`, `backtab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub fn parse(text: &str) -> Option<Key> {
        let prefixed = text
            .strip_prefix("ctrl-")
            .or_else(|| text.strip_prefix("C-"));
        let (ctrl, rest) = match prefixed {
            Some(r) if !r.is_empty() => (true, r),
            _ => (false, text),
        };
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().ok()?)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(c)
            }
        };
        Some(Key { code, ctrl })
    }

    pub fn matches(&self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        ctrl == self.ctrl && self.code == event.code
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Char(c) => c.to_string(),
            _ => "?".into(),
        };
        if self.ctrl {
            format!("C-{base}")
        } else {
            base
        }
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub action: Action,
    pub context: Context,
    pub keys: Vec<Key>,
    pub name: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: DEFAULTS
                .iter()
                .map(|(action, context, keys, name, description)| Binding {
                    action: *action,
                    context: *context,
                    keys: keys.iter().filter_map(|k| Key::parse(k)).collect(),
                    name,
                    description,
                })
                .collect(),
        }
    }
}

impl Keymap {
    /// The defaults with the keys of the actions named in `text` (a keymap file) replaced.
    pub fn from_toml(text: &str, file: &Path) -> Result<Keymap> {
        let table: BTreeMap<String, Vec<String>> = toml::from_str(text).map_err(|e| {
            Error::Usage(format!(
                "{}: {} (expected `action = [\"key\", …]` lines)",
                file.display(),
                e.message()
            ))
        })?;
        let mut map = Keymap::default();
        for (name, keys) in table {
            let parsed: Vec<Key> = keys
                .iter()
                .map(|k| {
                    Key::parse(k).ok_or_else(|| {
                        Error::Usage(format!(
                            "{}: `{name}`: unknown key `{k}`; keys are written as {KEY_SYNTAX}",
                            file.display()
                        ))
                    })
                })
                .collect::<Result<_>>()?;
            let mut found = false;
            for b in map.bindings.iter_mut().filter(|b| b.name == name) {
                b.keys = parsed.clone();
                found = true;
            }
            if !found {
                let known: Vec<&str> = map.bindings.iter().map(|b| b.name).collect();
                return Err(Error::Usage(format!(
                    "{}: unknown action `{name}`; known: {}",
                    file.display(),
                    known.join(", ")
                )));
            }
        }
        Ok(map)
    }

    /// `$ASSAY_KEYMAP`, or `keymap.toml` in the workspace's `.assay/`, or the defaults.
    pub fn load(workspace_root: &Path) -> Result<Keymap> {
        let path = std::env::var_os("ASSAY_KEYMAP")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| workspace_root.join(".assay/keymap.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => Keymap::from_toml(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Keymap::default()),
            Err(e) => Err(Error::Runtime(format!("{}: {e}", path.display()))),
        }
    }

    /// The action of `event` on `screen`: the screen's own bindings win over global ones.
    pub fn action(&self, screen: Context, event: &KeyEvent) -> Option<Action> {
        let hit = |ctx: Context| {
            self.bindings
                .iter()
                .find(|b| b.context == ctx && b.keys.iter().any(|k| k.matches(event)))
                .map(|b| b.action)
        };
        hit(screen).or_else(|| hit(Context::Global))
    }

    /// "k1/k2 description" for the footer and help, in table order.
    pub fn entries(&self, context: Context) -> Vec<(String, &'static str)> {
        self.bindings
            .iter()
            .filter(|b| b.context == context && !b.keys.is_empty())
            .map(|b| {
                let keys: Vec<String> = b.keys.iter().map(Key::label).collect();
                (keys.join("/"), b.description)
            })
            .collect()
    }

    /// The first key of an action (for hints in messages).
    pub fn key_for(&self, context: Context, action: Action) -> String {
        self.bindings
            .iter()
            .find(|b| b.action == action && (b.context == context || b.context == Context::Global))
            .and_then(|b| b.keys.first())
            .map_or_else(|| "?".into(), Key::label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, ctrl: bool) -> KeyEvent {
        let m = if ctrl {
            KeyModifiers::CONTROL
        } else {
            KeyModifiers::NONE
        };
        KeyEvent::new(code, m)
    }

    #[test]
    fn screen_bindings_win_and_globals_apply_everywhere() {
        let map = Keymap::default();
        let enter = key(KeyCode::Enter, false);
        assert_eq!(map.action(Context::Drill, &enter), Some(Action::Open));
        assert_eq!(map.action(Context::Models, &enter), None);
        assert_eq!(
            map.action(Context::Sql, &key(KeyCode::Char('c'), true)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action(Context::Compare, &key(KeyCode::Char('j'), false)),
            Some(Action::Down)
        );
    }

    #[test]
    fn a_keymap_file_replaces_keys_and_names_its_mistakes() {
        let file = Path::new("keymap.toml");
        let map =
            Keymap::from_toml("quit = [\"ctrl-q\"]\ndown = [\"n\", \"down\"]\n", file).unwrap();
        assert_eq!(
            map.action(Context::Layers, &key(KeyCode::Char('q'), false)),
            None
        );
        assert_eq!(
            map.action(Context::Layers, &key(KeyCode::Char('q'), true)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action(Context::Layers, &key(KeyCode::Char('n'), false)),
            Some(Action::Down)
        );
        let err = Keymap::from_toml("qiut = [\"q\"]\n", file)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown action `qiut`"), "{err}");
        let err = Keymap::from_toml("quit = [\"ctrl-\"]\n", file)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown key `ctrl-`"), "{err}");
    }

    #[test]
    fn every_default_key_parses() {
        for (_, _, keys, name, _) in DEFAULTS {
            for k in *keys {
                assert!(Key::parse(k).is_some(), "{name}: {k}");
            }
        }
    }
}
