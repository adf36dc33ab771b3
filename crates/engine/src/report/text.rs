//! How the report writes numbers and people's text: counts and amounts grouped, shares
//! that never read `-0.0 %`, and user text that Markdown cannot reinterpret.

use crate::decimal::Exact;

/// 1234567 → "1,234,567".
pub fn count(n: i64) -> String {
    Exact::from_scaled(n as i128, 0).grouped()
}

/// A fraction as a percentage with one decimal, 0.1234 → "12.3 %"; what rounds to zero is
/// "0.0 %" whatever its sign.
pub fn share(fraction: f64) -> String {
    let shown = (1000.0 * fraction).round() / 10.0;
    format!("{:.1} %", if shown == 0.0 { 0.0 } else { shown })
}

/// An amount stored as text (a sign-off's numbers), grouped with its own scale; text that
/// is not a number is shown as it is.
pub fn amount(text: &str) -> String {
    Exact::parse(text).map_or_else(|| plain(text), Exact::grouped)
}

/// Marks that start Markdown syntax or HTML mid-line; escaped (CommonMark allows a
/// backslash before any ASCII punctuation). `_` only at a word's edge: `net_amount` is not
/// emphasis, and stays readable in the Markdown.
const MARKUP: &[char] = &[
    '\\', '`', '*', '{', '}', '[', ']', '<', '>', '#', '!', '|', '~', '&',
];

/// People's text (notes, names) as Markdown that reads as that text: `*`, `|`, `<b>` or
/// `[x](y)` stay characters, and line breaks become spaces so a table row stays one row.
pub fn plain(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\n' | '\r' => out.push(' '),
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push(c),
            c if c == '_' || MARKUP.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text as one inline code span in a table cell, where a `|` would still end the cell: it is
/// escaped (GitHub's tables read `\|` in code as the character).
pub fn cell_code(text: &str) -> String {
    code(&text.replace('|', "\\|"))
}

/// Text as one inline code span (SQL, file names): fenced with one backtick more than the
/// longest run inside it, padded when it starts or ends with one.
pub fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_never_read_minus_zero() {
        assert_eq!(share(-0.0001), "0.0 %");
        assert_eq!(share(-0.0), "0.0 %");
        assert_eq!(share(0.1234), "12.3 %");
        assert_eq!(share(-0.5), "-50.0 %");
        assert_eq!(share(1.0), "100.0 %");
    }

    #[test]
    fn counts_and_stored_amounts_are_grouped() {
        assert_eq!(count(2431), "2,431");
        assert_eq!(count(-1234567), "-1,234,567");
        assert_eq!(amount("2014662.44"), "2,014,662.44");
        assert_eq!(amount("-0.50"), "-0.50");
        assert_eq!(amount("n/a"), "n/a");
    }

    #[test]
    fn people_text_stays_text() {
        assert_eq!(plain("a*b* | <b>x</b>"), "a\\*b\\* \\| \\<b\\>x\\</b\\>");
        assert_eq!(plain("net_amount"), "net_amount");
        assert_eq!(plain("_x_ [a](b)"), "\\_x\\_ \\[a\\](b)");
        assert_eq!(plain("two\nlines"), "two lines");
        assert_eq!(plain("Müller & Söhne"), "Müller \\& Söhne");
    }

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code("kind = 'VOID'"), "`kind = 'VOID'`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a | b"), "`a | b`");
        assert_eq!(cell_code("a | b"), "`a \\| b`");
    }
}
