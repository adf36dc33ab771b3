//! The SQL of a data test: the rows that fail it (with their company), in the dialect of the
//! engine holding the table. Identifiers are quoted and values written as literals through
//! the dialect; `where` and `expression` are the workspace's own SQL predicates, checked to
//! be one expression each.

use crate::config::{DataTest, TestKind};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::warehouse::browse::one_expression;

/// Where a test reads: the table, the other table of a relationships test, and the
/// company column (None: the table is not cut by company).
pub struct Target<'a> {
    pub dialect: Dialect,
    pub table: &'a str,
    pub to: Option<&'a str>,
    pub company: Option<&'a str>,
}

/// The alias of the tested table in the SQL (a relationships test refers to it).
const T: &str = "t";
/// The column every failing-rows query names its company in.
pub const COMPANY: &str = "assay_company";

impl Target<'_> {
    fn company_text(&self) -> String {
        let d = self.dialect;
        match self.company {
            Some(c) => d.text(&format!("{T}.{}", d.ident(c))),
            None => d.literal("*"),
        }
    }

    fn column(&self, c: &str) -> String {
        format!("{T}.{}", self.dialect.ident(c))
    }
}

/// A SELECT of the failing rows (every column, and the company as `COMPANY`); for a
/// unique test, the duplicated key sets with their count; for row_count, each company's count.
pub fn failing_sql(test: &DataTest, target: &Target) -> Result<String> {
    let d = target.dialect;
    let mut conditions = Vec::new();
    if let Some(filter) = &test.filter {
        one_expression(filter)?;
        conditions.push(format!("({filter})"));
    }
    let from = format!("{} AS {T}", target.table);
    let company = format!("{} AS {}", target.company_text(), d.ident(COMPANY));
    let cols: Vec<String> = test.columns.iter().map(|c| target.column(c)).collect();
    let grouped = |select: &str, conditions: &[String], having: &str| {
        let group: Vec<String> = std::iter::once(d.ident(COMPANY))
            .chain(
                test.columns
                    .iter()
                    .enumerate()
                    .map(|(i, _)| d.ident(&format!("c{i}"))),
            )
            .collect();
        format!(
            "SELECT {company}, {select} FROM {from}{} GROUP BY {}{having}",
            where_sql(conditions),
            group.join(", ")
        )
    };
    Ok(match test.kind {
        TestKind::NotNull => {
            let any: Vec<String> = cols.iter().map(|c| d.is_null(c)).collect();
            conditions.push(format!("({})", any.join(" OR ")));
            rows(&company, &from, &conditions)
        }
        TestKind::AcceptedValues => {
            let c = &cols[0];
            let values: Vec<String> = test.values.iter().map(|v| d.literal(v)).collect();
            conditions.push(d.is_not_null(c));
            conditions.push(format!("{} NOT IN ({})", d.text(c), values.join(", ")));
            rows(&company, &from, &conditions)
        }
        TestKind::Expression => {
            let e = test.expression.as_deref().unwrap_or("true");
            one_expression(e)?;
            conditions.push(format!("NOT ({e})"));
            rows(&company, &from, &conditions)
        }
        TestKind::Relationships => {
            let keys = if test.to_columns.is_empty() {
                &test.columns
            } else {
                &test.to_columns
            };
            for c in &cols {
                conditions.push(d.is_not_null(c));
            }
            conditions.push(missing_from(d, &cols, target.to.unwrap_or("missing"), keys));
            rows(&company, &from, &conditions)
        }
        TestKind::Unique => {
            let select: Vec<String> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} AS {}", d.ident(&format!("c{i}"))))
                .chain(std::iter::once(format!("count(*) AS {}", d.ident("rows"))))
                .collect();
            grouped(&select.join(", "), &conditions, " HAVING count(*) > 1")
        }
        TestKind::PiiAbsent => {
            // Only the listed columns the table has (the caller leaves out the dropped ones);
            // none left: nothing can fail.
            let shown: Vec<String> = cols
                .iter()
                .map(|c| {
                    let text = d.text(c);
                    format!(
                        "({} AND NOT {})",
                        d.is_not_null(c),
                        crate::pii::mask::looks_masked_sql(d, &text)
                    )
                })
                .collect();
            conditions.push(match shown.is_empty() {
                true => "1 = 0".to_string(),
                false => format!("({})", shown.join(" OR ")),
            });
            rows(&company, &from, &conditions)
        }
        TestKind::RowCount => format!(
            "SELECT {company}, count(*) AS {} FROM {from}{} GROUP BY {}",
            d.ident("rows"),
            where_sql(&conditions),
            d.ident(COMPANY)
        ),
    })
}

fn where_sql(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

fn rows(company: &str, from: &str, conditions: &[String]) -> String {
    format!(
        "SELECT {company}, {T}.* FROM {from}{}",
        where_sql(conditions)
    )
}

/// True for a row whose `cols` are not a key of `to` (`keys` there). DuckDB: NOT EXISTS of
/// the matching row; ClickHouse 18.16 has no correlated subqueries, so a tuple NOT IN.
fn missing_from(d: Dialect, cols: &[String], to: &str, keys: &[String]) -> String {
    match d {
        Dialect::DuckDb => {
            let on: Vec<String> = cols
                .iter()
                .zip(keys)
                .map(|(c, k)| format!("r.{} = {c}", d.ident(k)))
                .collect();
            format!(
                "NOT EXISTS (SELECT 1 FROM {to} AS r WHERE {})",
                on.join(" AND ")
            )
        }
        Dialect::ClickHouse => {
            let keys: Vec<String> = keys.iter().map(|k| d.ident(k)).collect();
            format!(
                "({}) NOT IN (SELECT {} FROM {to})",
                cols.join(", "),
                keys.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Severity;

    fn test(kind: TestKind) -> DataTest {
        DataTest {
            table: "gold.t".into(),
            kind,
            columns: vec!["id".into()],
            values: vec!["A".into(), "o'k".into()],
            to: Some("silver.k".into()),
            to_columns: vec![],
            expression: Some("amount >= 0".into()),
            min: Some(1),
            max: None,
            severity: Severity::Error,
            filter: Some("region <> 'x'".into()),
        }
    }

    #[test]
    fn each_kind_selects_its_failing_rows_through_the_dialect() {
        let target = Target {
            dialect: Dialect::ClickHouse,
            table: "`db`.`t`",
            to: Some("`db`.`k`"),
            company: Some("company"),
        };
        let sql = failing_sql(&test(TestKind::AcceptedValues), &target).unwrap();
        assert!(sql.contains("NOT IN ('A', 'o\\'k')"), "{sql}");
        assert!(sql.contains("(region <> 'x')"), "{sql}");
        let sql = failing_sql(&test(TestKind::Relationships), &target).unwrap();
        assert!(
            sql.contains("(t.`id`) NOT IN (SELECT `id` FROM `db`.`k`)"),
            "{sql}"
        );
        let mut bad = test(TestKind::Expression);
        bad.expression = Some("1; DROP TABLE x".into());
        assert!(failing_sql(&bad, &target).is_err());
    }
}
