//! Themes are TOML files in `themes/` (dark, light, mono built in; a file of the same
//! format in the workspace's `.assay/themes/` adds or overrides one). `NO_COLOR` picks mono.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::error::{Error, Result};

pub const BUILT_IN: [(&str, &str); 3] = [
    ("dark", include_str!("../../../themes/dark.toml")),
    ("light", include_str!("../../../themes/light.toml")),
    ("mono", include_str!("../../../themes/mono.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Text,
    Dim,
    Title,
    TabActive,
    Selected,
    Header,
    Ok,
    Warn,
    Error,
    Changed,
    OnlyLegacy,
    OnlyNew,
    Legacy,
    New,
    Key,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    reversed: bool,
    #[serde(default)]
    underlined: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    roles: BTreeMap<Role, RoleSpec>,
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Role, Style>,
}

impl Theme {
    pub fn parse(text: &str, origin: &str) -> Result<Theme> {
        let file: ThemeFile = toml::from_str(text)
            .map_err(|e| Error::Usage(format!("theme {origin}: {}", e.message())))?;
        let mut styles = BTreeMap::new();
        for (role, spec) in file.roles {
            let color = |c: &Option<String>| -> Result<Option<Color>> {
                c.as_deref()
                    .map(|c| {
                        Color::from_str(c).map_err(|_| {
                            Error::Usage(format!("theme {origin}: `{c}` is not a colour"))
                        })
                    })
                    .transpose()
            };
            let mut style = Style::default();
            if let Some(fg) = color(&spec.fg)? {
                style = style.fg(fg);
            }
            if let Some(bg) = color(&spec.bg)? {
                style = style.bg(bg);
            }
            for (on, m) in [
                (spec.bold, Modifier::BOLD),
                (spec.dim, Modifier::DIM),
                (spec.reversed, Modifier::REVERSED),
                (spec.underlined, Modifier::UNDERLINED),
            ] {
                if on {
                    style = style.add_modifier(m);
                }
            }
            styles.insert(role, style);
        }
        Ok(Theme {
            name: file.name,
            styles,
        })
    }

    pub fn built_in(name: &str) -> Theme {
        let (_, text) = BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or(&BUILT_IN[0]);
        Theme::parse(text, name).expect("built-in themes parse")
    }

    /// The theme to start with: mono under NO_COLOR (any non-empty value), else `name`.
    pub fn pick(name: Option<&str>, root: &std::path::Path) -> Result<Theme> {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Ok(Theme::built_in("mono"));
        }
        let name = name.unwrap_or("dark");
        let file = root.join(".assay/themes").join(format!("{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&file) {
            return Theme::parse(&text, &file.display().to_string());
        }
        if BUILT_IN.iter().any(|(n, _)| *n == name) {
            Ok(Theme::built_in(name))
        } else {
            Err(Error::Usage(format!(
                "unknown theme `{name}`: built in are dark, light, mono (or put {} there)",
                file.display()
            )))
        }
    }

    /// The next built-in theme (mono stays mono under NO_COLOR).
    pub fn next(&self) -> Theme {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return self.clone();
        }
        let at = BUILT_IN
            .iter()
            .position(|(n, _)| *n == self.name)
            .unwrap_or(0);
        Theme::built_in(BUILT_IN[(at + 1) % BUILT_IN.len()].0)
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    /// True when the theme uses no colour (marks must carry meaning).
    pub fn is_mono(&self) -> bool {
        self.styles
            .values()
            .all(|s| s.fg.is_none() && s.bg.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse_and_mono_has_no_colour() {
        for (name, _) in BUILT_IN {
            let t = Theme::built_in(name);
            assert_eq!(t.name, name);
        }
        assert!(Theme::built_in("mono").is_mono());
        assert!(!Theme::built_in("dark").is_mono());
    }

    #[test]
    fn bad_theme_files_are_named() {
        let err = Theme::parse(
            "name = \"x\"\n[roles]\ntext = { fg = \"bluish\" }\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("x.toml") && err.contains("bluish"), "{err}");
        let err = Theme::parse("name = \"x\"\n[roles]\nsparkle = {}\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.toml"), "{err}");
    }
}
