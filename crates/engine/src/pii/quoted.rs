//! Data values quoted in an engine's error message, found by the words that introduce them.

/// What comes right before a quoted data value in DuckDB's and ClickHouse's conversion
/// errors.
const MARKERS: [&str; 3] = ["string ", "value ", "before: "];

/// `message` with each value quoted after a marker (in `'` or `"`) replaced by `mask(value)`.
pub fn mask_values(message: &str, mask: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((at, marker)) = MARKERS
        .iter()
        .filter_map(|m| rest.find(m).map(|i| (i, *m)))
        .min_by_key(|(i, _)| *i)
    {
        let start = at + marker.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        let Some(end) = rest[1..].find(quote) else {
            continue;
        };
        out.push(quote);
        out.push_str(&mask(&rest[1..1 + end]));
        out.push(quote);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Whether `message` quotes a value `mask_values` would mask.
pub fn quotes_a_value(message: &str) -> bool {
    mask_values(message, |_| String::new()) != message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_after_their_markers_are_masked() {
        let m = |v: &str| format!("<{}>", v.len());
        assert_eq!(
            mask_values(
                "Conversion Error: Could not convert string 'Jane Doe' to INT32",
                m
            ),
            "Conversion Error: Could not convert string '<8>' to INT32"
        );
        assert_eq!(
            mask_values("Could not parse string \"x@y.z\" according to format", m),
            "Could not parse string \"<5>\" according to format"
        );
        assert_eq!(
            mask_values("a string without quotes, value 3", m),
            "a string without quotes, value 3"
        );
        assert_eq!(mask_values("string 'unclosed", m), "string 'unclosed");
        assert_eq!(mask_values("", m), "");
        assert!(quotes_a_value("Could not convert string 'x' to INT32"));
        assert!(!quotes_a_value("cache busy: held by assay extract"));
    }
}
