//! How one personal value is shown. Pure functions of the value, the workspace's mask and
//! its salt, so the same value looks the same on every screen and in every output; the
//! SQL of `duckdb_sql` gives the same text where DuckDB writes a file itself.

use crate::config::PiiMask;

/// What `redact` shows for any value (NULL stays NULL).
pub const REDACTED: &str = "***";
/// Hex digits of a hash shown after its `#`.
const HASH_DIGITS: usize = 12;

/// `value` as `how` shows it. The hash is keyed by the workspace's salt (kept in its
/// catalog): without it, a table of hashed e-mail addresses would undo the hash.
pub fn mask(value: &str, how: PiiMask, salt: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    match how {
        PiiMask::Hash => hashed(value, salt),
        PiiMask::Partial => partial(value),
        PiiMask::Redact => REDACTED.to_string(),
    }
}

/// A key's value as shown whatever the mask: hashed, so a person can still line up two
/// sides' rows (an empty value stays empty).
pub fn mask_key(value: &str, salt: &str) -> String {
    match value.is_empty() {
        true => String::new(),
        false => hashed(value, salt),
    }
}

/// A stable stand-in for `value`: `#` and the first 12 hex digits of the MD5 of the salt
/// and the value. MD5 because DuckDB computes it alike, so a file DuckDB writes shows the
/// hashes the screen shows.
pub fn hashed(value: &str, salt: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(format!("{salt}{value}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("#{}", &hex[..HASH_DIGITS])
}

/// The first character of each part and `***`: `j***@e***.com`, `J*** D***`. Parts are
/// split at ASCII white space, as `duckdb_sql` splits them.
fn partial(value: &str) -> String {
    if let Some((local, domain)) = value.trim_ascii().split_once('@') {
        if !local.is_empty() && !domain.is_empty() {
            let (host, tld) = match domain.rfind('.') {
                Some(dot) if dot > 0 => (&domain[..dot], &domain[dot..]),
                _ => (domain, ""),
            };
            return format!("{}@{}{tld}", first(local), first(host));
        }
    }
    value
        .split_ascii_whitespace()
        .map(first)
        .collect::<Vec<_>>()
        .join(" ")
}

fn first(word: &str) -> String {
    let mut out: String = word.chars().take(1).collect();
    out.push_str(REDACTED);
    out
}

/// DuckDB SQL showing the text `expr` as `mask` shows it (`mask_key`, for a key): the same
/// text for every value, which a property test checks.
pub fn duckdb_sql(expr: &str, how: PiiMask, salt: &str, key: bool) -> String {
    let hash = format!(
        "'#' || left(md5({} || {expr}), {HASH_DIGITS})",
        crate::sql::literal(salt)
    );
    let shown = match (key, how) {
        (true, _) | (false, PiiMask::Hash) => hash,
        (false, PiiMask::Redact) => format!("'{REDACTED}'"),
        (false, PiiMask::Partial) => {
            // t: the value without ASCII white space around it; an e-mail when something
            // stands on both sides of its first @.
            let t = format!("regexp_replace({expr}, '^\\s+|\\s+$', '', 'g')");
            let at = format!("strpos({t}, '@')");
            let domain = format!("substr({t}, {at} + 1)");
            format!(
                "CASE WHEN {at} > 1 AND length({t}) > {at} \
                 THEN left({t}, 1) || '{REDACTED}@' || left({domain}, 1) || '{REDACTED}' \
                 || regexp_extract({domain}, '(?s)^.+(\\.[^.]*)$', 1) \
                 ELSE array_to_string(list_transform(list_filter(\
                 regexp_split_to_array({t}, '\\s+'), w -> w <> ''), \
                 w -> left(w, 1) || '{REDACTED}'), ' ') END"
            )
        }
    };
    format!("CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} = '' THEN '' ELSE {shown} END")
}

/// Whether `value` is something a mask wrote (what a `pii_absent` test accepts).
pub fn looks_masked(value: &str) -> bool {
    value.is_empty()
        || value.contains(REDACTED)
        || (value.len() == HASH_DIGITS + 1
            && value.starts_with('#')
            && value[1..].chars().all(|c| c.is_ascii_hexdigit()))
}

/// SQL true for a text `expr` that a mask wrote (the same test as `looks_masked`, without
/// the hex check, which the two engines spell differently).
pub fn looks_masked_sql(d: crate::dialect::Dialect, expr: &str) -> String {
    format!(
        "({expr} = '' OR {expr} LIKE {any} OR (length({expr}) = {n} AND {expr} LIKE '#%'))",
        any = d.literal(&format!("%{REDACTED}%")),
        n = HASH_DIGITS + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn partial_keeps_first_letters() {
        assert_eq!(
            mask("john.doe@example.com", PiiMask::Partial, "s"),
            "j***@e***.com"
        );
        assert_eq!(mask("Jane Doe", PiiMask::Partial, "s"), "J*** D***");
        assert_eq!(mask("Ünal  Öz", PiiMask::Partial, "s"), "Ü*** Ö***");
        assert_eq!(mask("a@b", PiiMask::Partial, "s"), "a***@b***");
        assert_eq!(mask("", PiiMask::Partial, "s"), "");
        assert_eq!(mask("x", PiiMask::Redact, "s"), "***");
    }

    #[test]
    fn hashes_are_stable_per_salt() {
        let a = mask("Jane Doe", PiiMask::Hash, "7");
        assert_eq!(a, hashed("Jane Doe", "7"));
        assert_eq!(a.len(), 13);
        assert_ne!(a, hashed("Jane Doe", "8"));
        assert_ne!(a, hashed("Jane Doe ", "7"));
        assert_eq!(mask_key("", "7"), "");
        assert!(looks_masked(&a));
    }

    /// Whether `shown` holds no word of `value` longer than one letter, apart from the
    /// top-level domain shown on purpose: the rest of the mask is searched without that
    /// ending, so a domain `gl.gla` is not taken as showing `gl` inside `.gla`.
    fn shows_no_word(value: &str, shown: &str, tld: Option<&str>) -> bool {
        let rest = tld.and_then(|t| shown.strip_suffix(t)).unwrap_or(shown);
        value
            .split([' ', '@', '.'])
            .all(|word| word.len() < 2 || Some(word) == tld || !rest.contains(word))
    }

    #[test]
    fn a_domain_inside_its_top_level_domain_is_not_shown() {
        let shown = mask("Ab@gl.gla", PiiMask::Partial, "s");
        assert_eq!(shown, "A***@g***.gla");
        assert!(shows_no_word("Ab@gl.gla", &shown, Some("gla")));
        assert!(!shows_no_word("Ab@gl.gla", "A***@gl.gla", Some("gla")));
    }

    proptest! {
        /// No mask shows a word of the value longer than one letter, and every masked
        /// value is recognised as masked.
        #[test]
        fn masks_hide_the_value(value in "[A-Za-z]{2,12}( [A-Za-z]{2,12}){0,2}(@[a-z]{2,8}\\.[a-z]{2,3})?",
                                salt in "[0-9a-f]{32}") {
            // An e-mail's top-level domain is shown on purpose.
            let tld = value.contains('@').then(|| value.rsplit('.').next()).flatten();
            for how in [PiiMask::Hash, PiiMask::Partial, PiiMask::Redact] {
                let shown = mask(&value, how, &salt);
                prop_assert!(looks_masked(&shown), "{how:?}: {shown}");
                prop_assert_ne!(&shown, &value);
                if how == PiiMask::Hash {
                    continue;
                }
                prop_assert!(shows_no_word(&value, &shown, tld), "{how:?} shows a word in {shown}");
            }
        }
    }

    proptest! {
        /// DuckDB's SQL shows every value as the screen does: white space, `@` and dots
        /// anywhere, letters of more than one byte.
        #[test]
        fn the_sql_masks_as_rust_does(
            values in proptest::collection::vec("[ \t\nab@.é Z-]{0,14}", 1..12),
            salt in "[0-9a-f]{32}",
        ) {
            let conn = duckdb::Connection::open_in_memory().unwrap();
            for how in [PiiMask::Hash, PiiMask::Partial, PiiMask::Redact] {
                for key in [false, true] {
                    let sql = format!(
                        "WITH t(x) AS (SELECT CAST(? AS VARCHAR)) SELECT {} FROM t",
                        duckdb_sql("x", how, &salt, key)
                    );
                    for v in &values {
                        let got: Option<String> = conn.query_row(&sql, [v], |r| r.get(0)).unwrap();
                        let want = if key { mask_key(v, &salt) } else { mask(v, how, &salt) };
                        prop_assert_eq!(got.as_deref(), Some(want.as_str()), "{:?} {:?} key {}", v, how, key);
                    }
                }
            }
        }
    }
}
