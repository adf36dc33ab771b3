//! Rule text is SQL a person wrote (a `where`, a `set` expression) and it arrives through
//! pull requests, so before it is pasted into a query it is parsed, by the dialect of the
//! engine that will run it, into exactly one expression. What that rules out is decided on
//! the parse tree, not on the text:
//! - more than one expression (`1=1) OR (1=1` leaves the parentheses it is put in; a `;`
//!   starts a second statement), or none at all (an empty `where`);
//! - reading anything but a table of the workspace: table functions (`read_text(…)`,
//!   `file(…)`, `url(…)`), a file named as a table (`FROM 'x.csv'`, `FROM "x.csv"`: DuckDB's
//!   replacement scans read those), and the scalar functions that reach files, the
//!   environment or other servers.
//!
//! The cache cannot simply run rules with DuckDB's `enable_external_access` off: the same
//! connection reads the Parquet scratch files ad hoc sides are kept in, and DuckDB does not
//! let that setting be turned back on.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, ObjectName, TableFactor, Visit, Visitor};
use sqlparser::dialect::{ClickHouseDialect, DuckDbDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::Dialect;

/// Functions that read files, the environment or other servers, in either engine (compared
/// without case). Most are table functions, which are refused wherever they stand anyway;
/// ClickHouse's `file` is also a scalar function.
const FORBIDDEN: &[&str] = &[
    "getenv",
    "file",
    "url",
    "urlcluster",
    "s3",
    "s3cluster",
    "gcs",
    "azureblobstorage",
    "hdfs",
    "remote",
    "remotesecure",
    "cluster",
    "clusterallreplicas",
    "input",
    "executable",
    "mysql",
    "postgresql",
    "postgres_scan",
    "sqlite",
    "sqlite_scan",
    "jdbc",
    "odbc",
    "mongodb",
    "redis",
    "dictionary",
    "dictget",
    "query",
    "query_table",
    "glob",
    "sniff_csv",
    "load",
    "install",
    "getsetting",
    "current_setting",
];

/// Prefixes of function names that read files (`read_text`, `read_csv_auto`,
/// `parquet_metadata`, `iceberg_scan`, `delta_scan`…).
const FORBIDDEN_PREFIXES: &[&str] = &["read_", "parquet_", "iceberg_", "delta_", "json_execute"];

/// Why `text` may not be pasted into a query as one expression of `dialect`, or `Ok`.
pub fn check_expression(dialect: Dialect, text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("it is empty: write the condition (or expression) it stands for".into());
    }
    let expr = parse(dialect, text)?;
    let mut check = Confined;
    if let ControlFlow::Break(why) = expr.visit(&mut check) {
        return Err(why);
    }
    Ok(())
}

/// One expression in some engine's SQL, for text whose engine is not known yet (a rules
/// file is read before anyone says where it will run); the engine's own dialect checks it
/// again when the SQL is written for it. DuckDB's reason is given when neither parses.
pub fn check_expression_in_any(text: &str) -> Result<(), String> {
    check_expression(Dialect::DuckDb, text)
        .or_else(|duck| check_expression(Dialect::ClickHouse, text).map_err(|_| duck))
}

/// Whether expression `text` reads a table (a subquery's FROM), in either engine's SQL; a
/// text that parses in neither is taken to (the cautious answer).
pub fn reads_tables(text: &str) -> bool {
    struct Tables;
    impl Visitor for Tables {
        type Break = ();
        fn pre_visit_table_factor(&mut self, _: &TableFactor) -> ControlFlow<()> {
            ControlFlow::Break(())
        }
    }
    let parsed = parse(Dialect::DuckDb, text).or_else(|_| parse(Dialect::ClickHouse, text));
    match parsed {
        Ok(expr) => expr.visit(&mut Tables).is_break(),
        Err(_) => true,
    }
}

/// `text` parsed as statements of `dialect`'s SQL (None: it does not parse).
pub fn statements(dialect: Dialect, text: &str) -> Option<Vec<sqlparser::ast::Statement>> {
    match dialect {
        Dialect::DuckDb => Parser::parse_sql(&DuckDbDialect {}, text).ok(),
        Dialect::ClickHouse => Parser::parse_sql(&ClickHouseDialect {}, text).ok(),
    }
}

fn parse(dialect: Dialect, text: &str) -> Result<Expr, String> {
    let (duck, house) = (DuckDbDialect {}, ClickHouseDialect {});
    let spoken: &dyn sqlparser::dialect::Dialect = match dialect {
        Dialect::DuckDb => &duck,
        Dialect::ClickHouse => &house,
    };
    let tokens = Tokenizer::new(spoken, text)
        .tokenize_with_location()
        .map_err(|e| format!("not one SQL expression: {e}"))?;
    // A `--` comment would swallow the rest of the line the text is pasted into (the
    // parenthesis it is put in); `/* … */` ends where it says.
    if let Some(t) = tokens.iter().find(|t| {
        matches!(
            t.token,
            Token::Whitespace(Whitespace::SingleLineComment { .. })
        )
    }) {
        return Err(format!(
            "a `--` comment at line {}, column {} would hide what follows the rule in the              query: write /* … */ instead",
            t.span.start.line, t.span.start.column
        ));
    }
    let mut parser = Parser::new(spoken).with_tokens_with_locations(tokens);
    let expr = parser
        .parse_expr()
        .map_err(|e| format!("not one SQL expression: {e}"))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(format!(
            "not one SQL expression: `{}` at line {}, column {} follows a complete expression \
             (a rule's SQL stays inside the parentheses it is put in)",
            next.token, next.span.start.line, next.span.start.column
        ));
    }
    Ok(expr)
}

/// Walks the parse tree and stops at the first thing a rule may not do.
struct Confined;

impl Visitor for Confined {
    type Break = String;

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
        match factor {
            TableFactor::Table {
                name, args: None, ..
            } => plain_table(name),
            TableFactor::Table { name, .. } => ControlFlow::Break(format!(
                "it calls the table function {name}: a rule reads only the workspace's tables \
                 (lookups are configured or accepted as tables)"
            )),
            TableFactor::Derived { .. } | TableFactor::NestedJoin { .. } => {
                ControlFlow::Continue(())
            }
            other => ControlFlow::Break(format!(
                "it reads `{other}`, not a table: a rule reads only the workspace's tables (no \
                 table function, value list or unnest)"
            )),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        if let Expr::Function(f) = expr {
            let name = f
                .name
                .0
                .last()
                .map(|i| i.value.to_ascii_lowercase())
                .unwrap_or_default();
            let forbidden = FORBIDDEN.contains(&name.as_str())
                || FORBIDDEN_PREFIXES.iter().any(|p| name.starts_with(p));
            if forbidden {
                return ControlFlow::Break(format!(
                    "it calls {}(…), which reads files, settings or other servers: a rule \
                     reads only the workspace's tables",
                    f.name
                ));
            }
        }
        ControlFlow::Continue(())
    }
}

/// A table named by plain words (`lookups.blocklist`): never a path, which DuckDB would read
/// as a file.
fn plain_table(name: &ObjectName) -> ControlFlow<String> {
    let plain = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    };
    if name.0.iter().all(|part| plain(&part.value)) {
        ControlFlow::Continue(())
    } else {
        ControlFlow::Break(format!(
            "it reads {name}, which is not a table's plain name (a file or path is not read \
             by a rule)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_as_explain_writes_them_pass() {
        for text in [
            "\"invoice_type\" = 'CANCELLED'",
            "invoice_type IN ('CANCELLED', 'VOID') AND company <> 'acme'",
            "\"customer_id\" IN (SELECT \"customer_id\" FROM lookups.blocklist)",
            "strftime(\"invoice_date\", '%Y-%m') = '2024-03'",
            "round(net_amount * 0.85, 2)",
            "CAST(amount AS DECIMAL(18,2)) - tax_amount",
            "coalesce(x, 0) > 3 OR y IS NULL",
            "posted_at >= DATE '2024-12-29'",
            "amount::DECIMAL(18,2) > 0",
        ] {
            assert_eq!(check_expression(Dialect::DuckDb, text), Ok(()), "{text}");
        }
        assert_eq!(
            check_expression(Dialect::ClickHouse, "ifNull(toYYYYMM(d), 0) = 202403"),
            Ok(())
        );
    }

    #[test]
    fn escapes_files_and_emptiness_are_refused() {
        for (text, says) in [
            ("", "empty"),
            ("   ", "empty"),
            ("1=1) OR (1=1", "follows a complete expression"),
            (
                "a = 1; DROP TABLE gold.fct_sales",
                "follows a complete expression",
            ),
            ("a = 1 -- and the rest", "`--` comment"),
            (
                "customer_id = (SELECT content FROM read_text('/etc/passwd'))",
                "table function",
            ),
            ("length(read_text('/etc/passwd')) > 0", "read_text"),
            (
                "x IN (SELECT * FROM 'secret.csv')",
                "", // refused, whether as a string where a table goes or as a path
            ),
            ("x IN (SELECT * FROM \"secret.csv\")", "plain name"),
            ("x IN (SELECT * FROM \"/etc/passwd\")", "plain name"),
            ("getenv('HOME') = 'x'", "getenv"),
        ] {
            let e = check_expression(Dialect::DuckDb, text).expect_err(text);
            assert!(e.contains(says), "{text}: {e}");
        }
        let e = check_expression(Dialect::ClickHouse, "file('secret.txt') = ''").unwrap_err();
        assert!(e.contains("file"), "{e}");
        let e = check_expression(
            Dialect::ClickHouse,
            "x IN (SELECT * FROM url('http://h', CSV))",
        )
        .unwrap_err();
        assert!(e.contains("table function"), "{e}");
    }

    #[test]
    fn a_subquery_reads_a_table_a_condition_does_not() {
        assert!(!reads_tables(
            "\"invoice_type\" = 'CANCELLED' AND amount > 0"
        ));
        assert!(reads_tables(
            "\"customer_id\" IN (SELECT \"c\" FROM lookups.blocklist)"
        ));
        assert!(reads_tables(
            "EXISTS (SELECT 1 FROM bronze.returns r WHERE r.id = id)"
        ));
        assert!(reads_tables("this is not sql ("));
    }
}
