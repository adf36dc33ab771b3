//! Credentials written into a ClickHouse URL, taken out of it: the URL is shown in messages
//! and kept in run records, a password must not be.

/// The URL without its credentials (kept apart, so the URL shown in messages never carries
/// a secret): `user:password@`, and the `user` and `password` query parameters ClickHouse's
/// HTTP interface also takes them in; with the user and password it held, percent-decoded
/// (the userinfo's before the parameters'). A URL that does not parse is left as it is
/// (connecting then names `warehouse.url`).
pub fn split_credentials(text: &str) -> (String, Option<String>, Option<String>) {
    let Ok(mut url) = url::Url::parse(text) else {
        return (text.to_string(), None, None);
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .to_string()
    };
    let mut user = (!url.username().is_empty()).then(|| decode(url.username()));
    let mut password = url.password().map(decode);
    let mut kept = Vec::new();
    let mut took = false;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "user" => user = user.or(Some(v.into_owned())),
            "password" => password = password.or(Some(v.into_owned())),
            _ => {
                kept.push((k.into_owned(), v.into_owned()));
                continue;
            }
        }
        took = true;
    }
    if user.is_none() && password.is_none() {
        return (text.to_string(), None, None);
    }
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if took {
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    let mut bare = url.to_string();
    // The parser writes a root path the user did not: show the URL as it was written.
    if url.path() == "/" && bare.ends_with('/') && !text.ends_with('/') && !text.contains("/?") {
        bare.pop();
    }
    (bare, user, password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_url_are_kept_out_of_what_is_shown() {
        let (url, user, password) = split_credentials("http://ops:s3cret@ch.internal:8123/?x=1");
        assert_eq!(url, "http://ch.internal:8123/?x=1");
        assert_eq!(user.as_deref(), Some("ops"));
        assert_eq!(password.as_deref(), Some("s3cret"));
        let (url, user, password) = split_credentials("http://127.0.0.1:8123");
        assert_eq!(
            (url.as_str(), user, password),
            ("http://127.0.0.1:8123", None, None)
        );
        // ClickHouse's documented HTTP form: before, the password stayed in the URL that
        // errors print and run records keep.
        let (url, user, password) =
            split_credentials("http://ch.internal:8123?user=ops&password=s3cret&x=1");
        assert_eq!(url, "http://ch.internal:8123/?x=1");
        assert_eq!(user.as_deref(), Some("ops"));
        assert_eq!(password.as_deref(), Some("s3cret"));
        let (url, _, password) = split_credentials("http://ch.internal:8123/?password=p");
        assert_eq!(
            (url.as_str(), password.as_deref()),
            ("http://ch.internal:8123/", Some("p"))
        );
    }
}
