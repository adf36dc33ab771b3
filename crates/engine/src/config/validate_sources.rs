//! A source's settings: what each kind needs to connect, its timeouts, the names of the
//! environment variables holding its secrets, and a Firebird connection's character set.

use super::model::{Config, Source, SourceKind};

type Findings = Vec<(String, String)>;

fn push(f: &mut Findings, key: impl Into<String>, message: impl Into<String>) {
    f.push((key.into(), message.into()));
}

pub(super) fn sources(c: &Config, f: &mut Findings) {
    for (name, s) in &c.sources {
        let key = |k: &str| format!("sources.{name}.{k}");
        let needs = |f: &mut Findings, field: &str, value: bool| {
            if !value {
                push(
                    f,
                    format!("sources.{name}"),
                    format!("a {} source needs `{field}`", s.kind.as_str()),
                );
            }
        };
        match s.kind {
            SourceKind::Files | SourceKind::Delta => {}
            SourceKind::Duckdb => needs(f, "path", s.path.is_some()),
            SourceKind::Postgres | SourceKind::Mysql => {
                if s.url_env.is_none() {
                    needs(f, "host", s.host.is_some());
                    needs(f, "database", s.database.is_some());
                    needs(f, "user", s.user.is_some());
                }
            }
            SourceKind::Clickhouse => needs(f, "url", s.url.is_some() || s.url_env.is_some()),
            SourceKind::Firebird => {
                needs(f, "host", s.host.is_some());
                needs(f, "database", s.database.is_some());
                needs(f, "user", s.user.is_some());
            }
        }
        match &s.charset {
            Some(_) if s.kind != SourceKind::Firebird => {
                push(f, key("charset"), "is read by firebird sources only")
            }
            Some(c)
                if !Source::FIREBIRD_CHARSETS
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(c)) =>
            {
                push(
                    f,
                    key("charset"),
                    format!(
                        "`{c}` is not one assay reads (one of {})",
                        Source::FIREBIRD_CHARSETS.join(", ")
                    ),
                )
            }
            _ => {}
        }
        for (field, value) in [
            ("timeout_secs", s.timeout_secs),
            ("connect_timeout_secs", s.connect_timeout_secs),
        ] {
            match value {
                Some(0) => push(f, key(field), "must be at least 1 second"),
                Some(v) if v > 7 * 24 * 3600 => push(
                    f,
                    key(field),
                    "is more than a week; a hung server would never be noticed",
                ),
                _ => {}
            }
        }
        for (field, value) in [("password_env", &s.password_env), ("url_env", &s.url_env)] {
            if value.as_deref().is_some_and(not_a_variable_name) {
                push(f, key(field), "must be the name of an environment variable");
            }
        }
    }
}

/// What a `*_env` setting cannot be: empty, or holding blanks or `=`.
pub(super) fn not_a_variable_name(var: &str) -> bool {
    var.is_empty() || var.contains(|ch: char| ch.is_whitespace() || ch == '=')
}
