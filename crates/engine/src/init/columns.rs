//! Column names matched by what they say: `customerId`, `Customer ID` and `customer_id` are
//! one name; `InvoiceNumber` and `invoice_id` share `invoice`; `Amount` is the end of
//! `net_amount`. Pairs are taken best first, each name once.

use std::collections::BTreeSet;

/// The words of a name: split at `_`, spaces, punctuation and lower→upper case changes,
/// lower-cased.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Words that say little about which column it is.
const WEAK: [&str; 6] = ["id", "no", "nr", "number", "code", "key"];

/// How alike two names are, 0 (nothing shared) to 1 (the same words).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return 0.0;
    }
    if wa == wb {
        return 1.0;
    }
    let (sa, sb): (BTreeSet<&str>, BTreeSet<&str>) = (
        wa.iter().map(String::as_str).collect(),
        wb.iter().map(String::as_str).collect(),
    );
    let weight = |w: &&str| if WEAK.contains(w) { 0.3 } else { 1.0 };
    let shared: f64 = sa.intersection(&sb).map(weight).sum();
    let all: f64 = sa.union(&sb).map(weight).sum();
    // The identifier words are interchangeable (`InvoiceNumber` is `invoice_id`).
    let both_ids = sa.iter().any(|w| WEAK.contains(w)) && sb.iter().any(|w| WEAK.contains(w));
    let bonus = if both_ids && shared > 0.0 { 0.3 } else { 0.0 };
    (shared + bonus) / all
}

/// The least similarity a match needs.
pub const THRESHOLD: f64 = 0.3;

/// Each of `from` matched to a different one of `to`, best pairs first; names equal but for
/// case and separators first of all. Unmatched names are left out.
pub fn match_names(from: &[String], to: &[String]) -> Vec<(String, String, f64)> {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, f) in from.iter().enumerate() {
        for (j, t) in to.iter().enumerate() {
            let s = similarity(f, t);
            if s >= THRESHOLD {
                pairs.push((s, i, j));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut used_from, mut used_to) = (BTreeSet::new(), BTreeSet::new());
    let mut out = Vec::new();
    for (s, i, j) in pairs {
        if used_from.contains(&i) || used_to.contains(&j) {
            continue;
        }
        used_from.insert(i);
        used_to.insert(j);
        out.push((from[i].clone(), to[j].clone(), s));
    }
    out.sort_by_key(|(f, _, _)| from.iter().position(|x| x == f));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_by_their_words() {
        assert_eq!(words("customerId"), ["customer", "id"]);
        assert_eq!(words("Invoice No."), ["invoice", "no"]);
        assert_eq!(similarity("customerId", "customer_id"), 1.0);
        let from: Vec<String> = [
            "InvoiceNumber",
            "Date",
            "Branch",
            "Customer",
            "Type",
            "Amount",
        ]
        .map(String::from)
        .to_vec();
        let to: Vec<String> = [
            "invoice_id",
            "invoice_date",
            "branch",
            "customer_id",
            "invoice_type",
            "net_amount",
        ]
        .map(String::from)
        .to_vec();
        let got: Vec<(String, String)> = match_names(&from, &to)
            .into_iter()
            .map(|(a, b, _)| (a, b))
            .collect();
        let want: Vec<(String, String)> = from.iter().cloned().zip(to.iter().cloned()).collect();
        assert_eq!(got, want);
        assert!(match_names(&["colour".to_string()], &to).is_empty());
    }
}
