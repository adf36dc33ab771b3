//! The keymap: one table of action ↔ keys ↔ description. The handlers dispatch on actions,
//! and the help overlay and the footer are rendered from the same table, so they cannot
//! disagree. A keymap file (TOML, `action = ["key", …]`) replaces the keys of any action.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::error::{Error, Result};

/// Where a binding applies: everywhere, or on one screen (named by its title, which the
/// help shows over its keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    Global,
    Screen(&'static str),
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Screen(title) => title,
        }
    }
}

/// A screen's part of the keymap, as its own file declares it: its title, the go-to
/// action's name and description, and its bindings.
#[derive(Debug, Clone, Copy)]
pub struct ScreenKeys {
    pub title: &'static str,
    /// The go-to action's name in keymap files (`sources`).
    pub name: &'static str,
    /// What the go-to action says in the help (`rules lab: what-if`).
    pub about: &'static str,
    pub keys: &'static [KeyDef],
}

/// A default binding: action, keys, name in keymap files, description.
pub type KeyDef = (Action, &'static [&'static str], &'static str, &'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    NextScreen,
    PrevScreen,
    /// Show the screen at this place in the registry (`1` is the first).
    Go(usize),
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

/// The bindings that apply on every screen; each screen's own are in its file.
#[rustfmt::skip]
const GLOBAL: &[KeyDef] = &[
    (Action::Quit, &["q", "ctrl-c"], "quit", "quit"),
    (Action::Help, &["?", "f1"], "help", "help"),
    (Action::NextScreen, &["tab"], "next_screen", "next screen"),
    (Action::PrevScreen, &["backtab"], "prev_screen", "previous screen"),
    (Action::Up, &["up", "k"], "up", "up"),
    (Action::Down, &["down", "j"], "down", "down"),
    (Action::Left, &["left", "h"], "left", "left"),
    (Action::Right, &["right", "l"], "right", "right"),
    (Action::PageUp, &["pageup", "ctrl-b"], "page_up", "page up"),
    (Action::PageDown, &["pagedown", "ctrl-f"], "page_down", "page down"),
    (Action::Top, &["home", "g"], "top", "first row"),
    (Action::Bottom, &["end", "G"], "bottom", "last row"),
    (Action::Cancel, &["esc"], "cancel", "cancel the running job"),
    (Action::Refresh, &["r"], "refresh", "reload"),
    (Action::Theme, &["T"], "theme", "next theme"),
    (Action::CopyCell, &["y"], "copy_cell", "copy cell (OSC52)"),
    (Action::CopyRow, &["Y"], "copy_row", "copy row (OSC52)"),
    (Action::Reveal, &["P"], "reveal", "personal data: show (asks; recorded) / mask"),
    (Action::Build, &["b"], "build", "build the models (then the data tests, with after_build)"),
    (Action::Tests, &["t"], "tests", "run the data tests (recorded)"),
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
    /// Each screen's context, in the registry's order (a screen may have no keys).
    screens: Vec<Context>,
}

/// Bindings from the table: keys parsed (the table's keys are checked by a test).
fn bind(context: Context, defs: &[KeyDef]) -> impl Iterator<Item = Binding> + '_ {
    defs.iter()
        .map(move |(action, keys, name, description)| Binding {
            action: *action,
            context,
            keys: keys.iter().filter_map(|k| Key::parse(k)).collect(),
            name,
            description,
        })
}

impl Keymap {
    /// The default keys: the global ones, a go-to key per screen (`1` for the first), then
    /// each screen's own, in the order of `screens` (the registry's).
    pub fn new(screens: &[ScreenKeys]) -> Keymap {
        // The go-to keys follow the table's screen switching (Tab, S-Tab) in the help.
        let after = GLOBAL.iter().position(|d| d.0 == Action::PrevScreen);
        let (switch, rest) = GLOBAL.split_at(after.map_or(0, |i| i + 1));
        let mut bindings: Vec<Binding> = bind(Context::Global, switch).collect();
        for (i, s) in screens.iter().enumerate() {
            let digit = char::from_digit(i as u32 + 1, 10).filter(|_| i < 9);
            bindings.push(Binding {
                action: Action::Go(i),
                context: Context::Global,
                keys: digit
                    .map(|d| Key {
                        code: KeyCode::Char(d),
                        ctrl: false,
                    })
                    .into_iter()
                    .collect(),
                name: s.name,
                description: s.about,
            });
        }
        bindings.extend(bind(Context::Global, rest));
        for s in screens {
            bindings.extend(bind(Context::Screen(s.title), s.keys));
        }
        let screens = screens.iter().map(|s| Context::Screen(s.title)).collect();
        Keymap { bindings, screens }
    }

    /// These keys with those of the actions named in `text` (a keymap file) replaced.
    pub fn with_file(self, text: &str, file: &Path) -> Result<Keymap> {
        let table: BTreeMap<String, Vec<String>> = toml::from_str(text).map_err(|e| {
            Error::Usage(format!(
                "{}: {} (expected `action = [\"key\", …]` lines)",
                file.display(),
                e.message()
            ))
        })?;
        let mut map = self;
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
    pub fn load(self, workspace_root: &Path) -> Result<Keymap> {
        let path = std::env::var_os("ASSAY_KEYMAP")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| workspace_root.join(".assay/keymap.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => self.with_file(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(self),
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

    /// Every screen's context, in the registry's order.
    pub fn screens(&self) -> &[Context] {
        &self.screens
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

    /// Two screens as a registry declares them: one with its own Enter, one without.
    const SCREENS: [ScreenKeys; 2] = [
        ScreenKeys {
            title: "Drill",
            name: "drill",
            about: "drill",
            keys: &[(Action::Open, &["enter"], "drill_in", "drill into value")],
        },
        ScreenKeys {
            title: "Models",
            name: "models",
            about: "models",
            keys: &[],
        },
    ];
    const DRILL: Context = Context::Screen("Drill");
    const MODELS: Context = Context::Screen("Models");

    #[test]
    fn screen_bindings_win_and_globals_apply_everywhere() {
        let map = Keymap::new(&SCREENS);
        let enter = key(KeyCode::Enter, false);
        assert_eq!(map.action(DRILL, &enter), Some(Action::Open));
        assert_eq!(map.action(MODELS, &enter), None);
        assert_eq!(
            map.action(MODELS, &key(KeyCode::Char('c'), true)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action(DRILL, &key(KeyCode::Char('j'), false)),
            Some(Action::Down)
        );
        // Each screen has a go-to key, its place in the registry.
        assert_eq!(
            map.action(DRILL, &key(KeyCode::Char('2'), false)),
            Some(Action::Go(1))
        );
        assert_eq!(map.screens(), [DRILL, MODELS]);
    }

    #[test]
    fn a_keymap_file_replaces_keys_and_names_its_mistakes() {
        let file = Path::new("keymap.toml");
        let text = "quit = [\"ctrl-q\"]\ndown = [\"n\", \"down\"]\nmodels = [\"m\"]\n";
        let map = Keymap::new(&SCREENS).with_file(text, file).unwrap();
        assert_eq!(map.action(MODELS, &key(KeyCode::Char('q'), false)), None);
        assert_eq!(
            map.action(MODELS, &key(KeyCode::Char('q'), true)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action(MODELS, &key(KeyCode::Char('n'), false)),
            Some(Action::Down)
        );
        assert_eq!(
            map.action(DRILL, &key(KeyCode::Char('m'), false)),
            Some(Action::Go(1))
        );
        let err = |text: &str| {
            Keymap::new(&SCREENS)
                .with_file(text, file)
                .unwrap_err()
                .to_string()
        };
        assert!(err("qiut = [\"q\"]\n").contains("unknown action `qiut`"));
        assert!(err("quit = [\"ctrl-\"]\n").contains("unknown key `ctrl-`"));
    }

    #[test]
    fn every_global_key_parses() {
        for (_, keys, name, _) in GLOBAL {
            for k in *keys {
                assert!(Key::parse(k).is_some(), "{name}: {k}");
            }
        }
    }
}
