//! How one personal value is shown. Pure functions of the value, the workspace's mask and
//! its salt, so the same value looks the same on every screen and in every output.

use crate::config::PiiMask;

/// What `redact` shows for any value (NULL stays NULL).
pub const REDACTED: &str = "***";
/// Hex digits of a hash shown after its `#`.
const HASH_DIGITS: usize = 12;

/// `value` as `how` shows it. The hash is keyed by the workspace's salt (kept in its
/// catalog): without it, a table of hashed e-mail addresses would undo the hash.
pub fn mask(value: &str, how: PiiMask, salt: u64) -> String {
    if value.is_empty() {
        return String::new();
    }
    match how {
        PiiMask::Hash => hashed(value, salt),
        PiiMask::Partial => partial(value),
        PiiMask::Redact => REDACTED.to_string(),
    }
}

/// A stable stand-in for `value`: `#` and 12 hex digits. Keys are always shown this way,
/// so a person can still line up two sides' rows.
pub fn hashed(value: &str, salt: u64) -> String {
    let h = xxhash_rust::xxh3::xxh3_64_with_seed(value.as_bytes(), salt);
    format!(
        "#{:0width$x}",
        h >> (64 - 4 * HASH_DIGITS),
        width = HASH_DIGITS
    )
}

/// The first character of each part and `***`: `j***@e***.com`, `J*** D***`.
fn partial(value: &str) -> String {
    if let Some((local, domain)) = value.trim().split_once('@') {
        if !local.is_empty() && !domain.is_empty() {
            let (host, tld) = match domain.rfind('.') {
                Some(dot) if dot > 0 => (&domain[..dot], &domain[dot..]),
                _ => (domain, ""),
            };
            return format!("{}@{}{tld}", first(local), first(host));
        }
    }
    value
        .split_whitespace()
        .map(first)
        .collect::<Vec<_>>()
        .join(" ")
}

fn first(word: &str) -> String {
    let mut out: String = word.chars().take(1).collect();
    out.push_str(REDACTED);
    out
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
            mask("john.doe@example.com", PiiMask::Partial, 1),
            "j***@e***.com"
        );
        assert_eq!(mask("Jane Doe", PiiMask::Partial, 1), "J*** D***");
        assert_eq!(mask("Ünal  Öz", PiiMask::Partial, 1), "Ü*** Ö***");
        assert_eq!(mask("a@b", PiiMask::Partial, 1), "a***@b***");
        assert_eq!(mask("", PiiMask::Partial, 1), "");
        assert_eq!(mask("x", PiiMask::Redact, 1), "***");
    }

    #[test]
    fn hashes_are_stable_per_salt() {
        let a = mask("Jane Doe", PiiMask::Hash, 7);
        assert_eq!(a, hashed("Jane Doe", 7));
        assert_eq!(a.len(), 13);
        assert_ne!(a, hashed("Jane Doe", 8));
        assert_ne!(a, hashed("Jane Doe ", 7));
        assert!(looks_masked(&a));
    }

    proptest! {
        /// No mask shows a word of the value longer than one letter, and every masked
        /// value is recognised as masked.
        #[test]
        fn masks_hide_the_value(value in "[A-Za-z]{2,12}( [A-Za-z]{2,12}){0,2}(@[a-z]{2,8}\\.[a-z]{2,3})?",
                                salt in any::<u64>()) {
            // An e-mail's top-level domain is shown on purpose.
            let tld = value.contains('@').then(|| value.rsplit('.').next()).flatten();
            for how in [PiiMask::Hash, PiiMask::Partial, PiiMask::Redact] {
                let shown = mask(&value, how, salt);
                prop_assert!(looks_masked(&shown), "{how:?}: {shown}");
                prop_assert_ne!(&shown, &value);
                if how == PiiMask::Hash {
                    continue;
                }
                for word in value.split([' ', '@', '.']) {
                    if word.len() > 1 && Some(word) != tld {
                        prop_assert!(!shown.contains(word), "{how:?} shows {word} in {shown}");
                    }
                }
            }
        }
    }
}
