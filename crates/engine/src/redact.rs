//! Credentials never shown or stored: a URL's password (`user:secret@host`) and the query
//! parameters servers take credentials in (ClickHouse's documented `?user=…&password=…`,
//! and the `key`, `token`, `secret` forms of other services) are replaced by `***` wherever
//! a URL is put into a message, a run record or a report.

/// Query parameters whose value is a credential (compared without case; `access_key`,
/// `api_token`, `x-secret` count as well).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "key",
    "token",
    "secret",
    "signature",
    "credential",
    "auth",
    "sig",
];

/// The shown form of a credential.
pub const MASK: &str = "***";

/// Whether a query parameter named `name` carries a credential.
pub fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| {
        name == *w
            || name.ends_with(&format!("_{w}"))
            || name.ends_with(&format!("-{w}"))
            || name.starts_with(&format!("{w}_"))
    })
}

/// `text` (one URL) with its password and credential parameters masked; a text that is not
/// a URL is returned as it is.
pub fn url(text: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(text) else {
        return text.to_string();
    };
    let mut changed = false;
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some(MASK));
        changed = true;
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                if is_secret_param(&k) {
                    changed = true;
                    (k.into_owned(), MASK.to_string())
                } else {
                    (k.into_owned(), v.into_owned())
                }
            })
            .collect();
        if changed {
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    if !changed {
        return text.to_string();
    }
    let mut shown = parsed.to_string();
    // The parser writes a root path the user did not: show the URL as it was written.
    if parsed.path() == "/" && !text.contains("/?") && !text.ends_with('/') {
        shown = shown.replacen("/?", "?", 1);
        if shown.ends_with('/') {
            shown.pop();
        }
    }
    shown.replace("%2A%2A%2A", MASK)
}

/// `text` (a message, a run record) with every URL in it masked as `url` does.
pub fn text(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| i + 1);
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ')'))
            .map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..start]);
        out.push_str(&url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_masked() {
        for (given, shown) in [
            (
                "http://ch:8123/?user=ops&password=s3cret",
                "http://ch:8123/?user=ops&password=***",
            ),
            (
                "http://ch:8123?password=s3cret&database=gold",
                "http://ch:8123?password=***&database=gold",
            ),
            ("http://ops:s3cret@ch:8123", "http://ops:***@ch:8123"),
            (
                "https://s3.example/b?X-Amz-Signature=abc&access_key=k1&api_token=t",
                "https://s3.example/b?X-Amz-Signature=***&access_key=***&api_token=***",
            ),
            ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(url(given), shown, "{given}");
        }
    }

    #[test]
    fn urls_inside_messages_are_masked() {
        let m = "cannot reach ClickHouse at http://ch:8123/?password=s3cret (warehouse.url): \
                 error trying to connect; also 'http://u:p4ss@h/x?token=t0k'.";
        let shown = text(m);
        assert!(!shown.contains("s3cret") && !shown.contains("p4ss") && !shown.contains("t0k"));
        assert!(shown.starts_with("cannot reach ClickHouse at http://ch:8123/?password=***"));
        assert!(shown.ends_with(
            "(warehouse.url): error trying to connect; also 'http://u:***@h/x?token=***'."
        ));
        assert_eq!(text("no urls here"), "no urls here");
    }
}
