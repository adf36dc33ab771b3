//! The one place where identifiers and values become SQL text.
//!
//! Everything user-supplied that cannot be a bound parameter (table and column names,
//! literals inside DDL or templates) passes through these helpers.

/// Quote an identifier for DuckDB/ClickHouse/PostgreSQL: `"name"`, doubling embedded quotes.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quote a possibly schema-qualified name (`schema.table`), each part separately.
pub fn qualified(name: &str) -> String {
    name.split('.').map(ident).collect::<Vec<_>>().join(".")
}

/// A string literal: `'value'`, doubling embedded single quotes.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Substitute `{company}` in a SQL template with a quoted literal of the company id.
pub fn render_company_template(template: &str, company: &str) -> String {
    template.replace("{company}", &literal(company))
}

/// True when `name` is a plain identifier (letters, digits, underscore, not starting with a
/// digit): such names are safe as file names and schema-less references.
pub fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_identifiers_and_literals() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(qualified("gold.fct_sales"), "\"gold\".\"fct_sales\"");
        assert_eq!(literal("O'Hara"), "'O''Hara'");
        assert_eq!(
            render_company_template(
                "SELECT * FROM t WHERE c = {company}",
                "x'; DROP TABLE t; --"
            ),
            "SELECT * FROM t WHERE c = 'x''; DROP TABLE t; --'"
        );
    }

    #[test]
    fn plain_identifiers() {
        assert!(is_plain_identifier("fct_sales"));
        assert!(is_plain_identifier("_x1"));
        assert!(!is_plain_identifier("1x"));
        assert!(!is_plain_identifier("a-b"));
        assert!(!is_plain_identifier(""));
    }
}
