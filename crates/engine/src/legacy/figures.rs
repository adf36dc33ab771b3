//! Figures in text exports read as exact decimals. DuckDB's CSV sniffer types `12.50` as
//! DOUBLE, after which a sum prints 2313.6700000000046 and the scale written in the file is
//! gone. So the columns it would read as floats are read as text, and once the whole column
//! is known, typed as the DECIMAL its text needs (the most places any value has), or left a
//! DOUBLE when some value is not a plain decimal (an exponent, `inf`).

use duckdb::Connection;

use crate::error::{Error, Result};
use crate::sql::{ident, literal};

/// The columns of `relation` (a `read_csv(…)`) as DuckDB's sniffer types them: (name,
/// type). Reading figures as text changes types, never names, so one sniff serves both.
pub fn describe(conn: &Connection, relation: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {relation}"))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The described columns DuckDB would read as floats.
pub fn floats(described: &[(String, String)]) -> Vec<String> {
    described
        .iter()
        .filter(|(_, ty)| matches!(ty.as_str(), "DOUBLE" | "FLOAT"))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The `read_csv` option reading `columns` as text (nothing when there are none).
pub fn as_text_option(columns: &[String]) -> Option<String> {
    types_option(columns, &vec![Some("VARCHAR".to_string()); columns.len()])
}

/// What one text column of figures holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Every non-empty value is a plain decimal with the file's decimal mark.
    plain: bool,
    whole_digits: u32,
    places: u32,
    /// A value is NaN or an infinity: no amount, so no number type.
    exotic: bool,
    /// The column was found where its values were measured (a header naming it), so the
    /// shape speaks for all of them.
    pub seen: bool,
}

impl Default for Shape {
    /// No value measured yet, and no column found.
    fn default() -> Self {
        Shape {
            plain: true,
            whole_digits: 0,
            places: 0,
            exotic: false,
            seen: false,
        }
    }
}

impl Shape {
    /// One value as the file wrote it (spaces and quotes around it are not part of it), as
    /// `shapes` measures it in SQL: an empty value is NULL; an exponent, `inf` or `nan`
    /// makes the column a float.
    pub fn observe(&mut self, field: &[u8], mark: u8) {
        let mut v = field.trim_ascii();
        if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' {
            v = v[1..v.len() - 1].trim_ascii();
        }
        if v.is_empty() {
            return;
        }
        if v.iter().any(|b| matches!(b, b'e' | b'E' | b'n' | b'N')) {
            self.plain = false;
            let word = v.strip_prefix(b"-").or(v.strip_prefix(b"+")).unwrap_or(v);
            if [&b"nan"[..], b"inf", b"infinity"]
                .iter()
                .any(|w| word.eq_ignore_ascii_case(w))
            {
                self.exotic = true;
            }
        }
        let (whole, places) = match v.iter().position(|&b| b == mark) {
            Some(at) => (at, v.len() - at - 1),
            None => (v.len(), 0),
        };
        self.whole_digits = self.whole_digits.max(whole as u32);
        self.places = self.places.max(places as u32);
    }

    /// The shape of two sets of values together (two files of one side).
    pub fn merge(self, other: Shape) -> Shape {
        Shape {
            plain: self.plain && other.plain,
            whole_digits: self.whole_digits.max(other.whole_digits),
            places: self.places.max(other.places),
            exotic: self.exotic || other.exotic,
            seen: self.seen || other.seen,
        }
    }

    /// The exact type for the column; `VARCHAR` where no number type holds its values
    /// as written (NaN, an infinity, more than 38 digits: read as a float they became
    /// float noise, and a measure of them now names the value and its file); None when a
    /// float it must stay (an exponent).
    pub fn decimal(self) -> Option<String> {
        let width = self.whole_digits.max(1) + self.places;
        match (self.plain, width) {
            _ if self.exotic => Some(TEXT.into()),
            (false, _) => None,
            (true, 0..=18) => Some(format!("DECIMAL(18, {})", self.places)),
            (true, 19..=38) => Some(format!("DECIMAL(38, {})", self.places)),
            (true, _) => Some(TEXT.into()),
        }
    }
}

/// The figures the structure check measures as it passes: a shape per watched column.
pub struct Watch {
    /// By field position: which shape the field feeds, if any.
    slots: Vec<Option<usize>>,
    pub shapes: Vec<Shape>,
    mark: u8,
}

impl Watch {
    /// Watch the columns `names` of a file whose header is `header`.
    pub fn new(names: &[String], header: &[String], mark: u8) -> Watch {
        let slots: Vec<Option<usize>> = header
            .iter()
            .map(|h| names.iter().position(|n| n == h))
            .collect();
        let mut shapes = vec![Shape::default(); names.len()];
        for slot in slots.iter().flatten() {
            shapes[*slot].seen = true;
        }
        Watch {
            slots,
            shapes,
            mark,
        }
    }

    /// The field at `position` of a record.
    #[inline]
    pub fn field(&mut self, position: usize, bytes: &[u8]) {
        if let Some(Some(slot)) = self.slots.get(position) {
            self.shapes[*slot].observe(bytes, self.mark);
        }
    }
}

/// The type `Shape::decimal` gives figures that no number type holds as written.
pub const TEXT: &str = "VARCHAR";

/// How many rows of a file the types of its figures are guessed from (`guess`).
const GUESS_ROWS: u32 = 100_000;

/// The shape of each text column of `from` (a relation).
fn shapes(conn: &Connection, from: &str, columns: &[String], mark: &str) -> Result<Vec<Shape>> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    // String functions, not regular expressions: this scan reads every value of the
    // column (three regular expressions per value cost more than reading the file).
    let mut select = Vec::new();
    for c in columns {
        let v = format!("nullif(trim({}), '')", ident(c));
        let at = format!("strpos({v}, {})", literal(mark));
        // An exponent, `inf` or `nan` keeps the column a float (the sniffer read every
        // value as a number, so these are the only non-plain forms).
        select.push(format!(
            "NOT coalesce(bool_or(contains(lower({v}), 'e') OR contains(lower({v}), 'n')), false)"
        ));
        // Digits before the mark (a sign counts as one: a wider type never hurts).
        select.push(format!(
            "coalesce(max(CASE WHEN {at} > 0 THEN {at} - 1 ELSE length({v}) END), 0)"
        ));
        select.push(format!(
            "coalesce(max(CASE WHEN {at} > 0 THEN length({v}) - {at} ELSE 0 END), 0)"
        ));
        select.push(format!(
            "coalesce(bool_or(lower(ltrim({v}, '+-')) IN ('nan', 'inf', 'infinity')), false)"
        ));
    }
    Ok(conn.query_row(
        &format!("SELECT {} FROM {from}", select.join(", ")),
        [],
        |r| {
            (0..columns.len())
                .map(|i| {
                    Ok(Shape {
                        plain: r.get(4 * i)?,
                        whole_digits: r.get::<_, i64>(4 * i + 1)? as u32,
                        places: r.get::<_, i64>(4 * i + 2)? as u32,
                        exotic: r.get(4 * i + 3)?,
                        seen: true,
                    })
                })
                .collect()
        },
    )?)
}

/// The exact type each of `columns` (read as text by `relation`, a `read_csv(…)`) needs in
/// the file's first rows: `DECIMAL(p, s)`, or None where a float it must stay.
pub fn guess(
    conn: &Connection,
    relation: &str,
    columns: &[String],
    mark: &str,
) -> Result<Vec<Option<String>>> {
    let sample = format!("(SELECT * FROM {relation} LIMIT {GUESS_ROWS})");
    Ok(shapes(conn, &sample, columns, mark)?
        .into_iter()
        .map(Shape::decimal)
        .collect())
}

/// The `read_csv` option reading each of `columns` as its type (a DECIMAL, or DOUBLE where
/// None), nothing when there are none.
pub fn types_option(columns: &[String], types: &[Option<String>]) -> Option<String> {
    if columns.is_empty() {
        return None;
    }
    let entries: Vec<String> = columns
        .iter()
        .zip(types)
        .map(|(c, ty)| {
            format!(
                "{}: {}",
                literal(c),
                literal(ty.as_deref().unwrap_or("DOUBLE"))
            )
        })
        .collect();
    Some(format!("types = {{{}}}", entries.join(", ")))
}

/// Type the text columns `columns` of `table` (already read) as exact decimals, or as
/// floats where they must be. `mark` is the file's decimal mark; `label` names the export in
/// errors.
pub fn type_figures(
    conn: &Connection,
    table: &str,
    columns: &[String],
    mark: &str,
    label: &str,
) -> Result<()> {
    if columns.is_empty() {
        return Ok(());
    }
    let shapes = crate::trace::stage("figures: shapes", || shapes(conn, table, columns, mark))?;
    for (c, shape) in columns.iter().zip(shapes) {
        let text = format!(
            "replace(nullif(trim({}), ''), {}, '.')",
            ident(c),
            literal(mark)
        );
        let ty = shape.decimal().unwrap_or_else(|| "DOUBLE".into());
        if ty == TEXT {
            continue; // read as text already; a measure of it says which value
        }
        conn.execute_batch(&format!(
            "ALTER TABLE {table} ALTER {col} SET DATA TYPE {ty} USING CAST({text} AS {ty})",
            col = ident(c)
        ))
        .map_err(|e| Error::Runtime(format!("{label}: column `{c}` as {ty}: {e}")))?;
    }
    Ok(())
}

/// Why the text column `column` of `relation` is not a measure, in the user's terms: no
/// value at all (a header-only file), or its first value that is not a plain number and
/// what is wrong with it (a decimal comma, a `+` sign, a NUL byte, NaN, too many digits).
/// SQL true for a filled value of `expr` that is not a plain number a DECIMAL holds (a
/// sign, digits, a point and digits, at most 38 digits): what `not_a_number` explains.
pub fn not_plain_number_sql(expr: &str) -> String {
    format!(
        "(nullif(trim({expr}::VARCHAR), '') IS NOT NULL \
         AND (NOT regexp_full_match(trim({expr}::VARCHAR), '-?[0-9]+(\\.[0-9]+)?') \
         OR length(regexp_replace({expr}::VARCHAR, '[^0-9]', '', 'g')) > 38))"
    )
}

pub fn why_not_a_number(
    conn: &Connection,
    relation: &str,
    column: &str,
    decimal_setting: &str,
) -> String {
    let c = ident(column);
    let sql = format!(
        "SELECT count(*) FILTER (WHERE nullif(trim({c}::VARCHAR), '') IS NOT NULL), \
         first({c}::VARCHAR) FILTER (WHERE {odd}) FROM {relation}",
        odd = not_plain_number_sql(&c)
    );
    match conn.query_row(&sql, [], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
    }) {
        Ok((0, _)) => "it holds no value at all (a file with a header and no records reads \
                       every column as text)"
            .into(),
        Ok((_, Some(value))) => not_a_number(&value, decimal_setting),
        _ => format!(
            "its values were not read as numbers (if they use a decimal comma, give the \
             decimal mark: {decimal_setting})"
        ),
    }
}

/// What is wrong with `value` as an amount; `decimal_setting` says how the decimal mark is
/// given where the value comes from (`--legacy-decimal ,`, or the export's setting).
pub fn not_a_number(value: &str, decimal_setting: &str) -> String {
    let shown: String = crate::frame::printable(value, false)
        .chars()
        .take(60)
        .collect();
    let v = value.trim();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let decimal_comma = {
        let body = v.trim_start_matches(['-', '+']);
        body.rsplit_once(',').is_some_and(|(int, frac)| {
            !frac.is_empty()
                && frac.chars().all(|c| c.is_ascii_digit())
                && !int.is_empty()
                && int
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | ' ' | '\''))
        })
    };
    if v.contains('\0') {
        format!("`{shown}` holds a NUL byte (the export is damaged there)")
    } else if decimal_comma {
        format!(
            "`{shown}` is written with a decimal comma: give the decimal mark ({decimal_setting})"
        )
    } else if v.starts_with('+') && v[1..].parse::<f64>().is_ok() {
        format!("`{shown}` starts with a `+` sign, which is not read as a number: remove it in the export")
    } else if matches!(
        v.to_ascii_lowercase().trim_start_matches(['-', '+']),
        "nan" | "inf" | "infinity"
    ) {
        format!("`{shown}` is not an amount (NaN or infinity has no exact value)")
    } else if digits > 38 && v.parse::<f64>().is_ok() {
        format!("`{shown}` has {digits} digits, more than the 38 an exact DECIMAL holds")
    } else {
        format!("`{shown}` does not read as a number")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_keep_the_places_the_file_wrote() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t AS SELECT * FROM (VALUES ('12.50', '1,5', '1e3', ''), \
             ('-0.1', '2', '2', NULL), ('7', '-3,25', '3.5', '')) AS v(a, b, c, d)",
        )
        .unwrap();
        let cols: Vec<String> = ["a", "c", "d"].iter().map(|s| s.to_string()).collect();
        type_figures(&conn, "t", &cols, ".", "test").unwrap();
        type_figures(&conn, "t", &["b".to_string()], ",", "test").unwrap();
        let types: Vec<(String, String)> = conn
            .prepare("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 't' ORDER BY column_index")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        let ty = |c: &str| types.iter().find(|(n, _)| n == c).unwrap().1.clone();
        assert_eq!(ty("a"), "DECIMAL(18,2)");
        assert_eq!(ty("b"), "DECIMAL(18,2)");
        assert_eq!(ty("c"), "DOUBLE", "an exponent keeps the column a float");
        let sum: String = conn
            .query_row(
                "SELECT CAST(sum(a) AS VARCHAR) || ' ' || CAST(sum(b) AS VARCHAR) FROM t",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sum, "19.40 0.25");
    }
}

#[cfg(test)]
mod guess_tests {
    use super::*;

    #[test]
    fn the_first_rows_guess_the_type() {
        let conn = Connection::open_in_memory().unwrap();
        let text = "(SELECT * FROM (VALUES ('12.50'), ('-3'), (' 0.25 '), (''), ('1e3')) AS v(a))";
        let cols = vec!["a".to_string()];
        assert_eq!(
            guess(&conn, text, &cols, ".").unwrap(),
            vec![None],
            "an exponent"
        );
        let comma = "(SELECT * FROM (VALUES ('1,5'), ('-3,25'), (' 0,125 '), ('')) AS v(a))";
        assert_eq!(
            guess(&conn, comma, &cols, ",").unwrap(),
            vec![Some("DECIMAL(18, 3)".to_string())]
        );
        assert_eq!(
            types_option(&cols, &[Some("DECIMAL(18, 2)".into())]).unwrap(),
            "types = {'a': 'DECIMAL(18, 2)'}"
        );
    }

    /// Before: a header-only file, a NUL in a number and `+10.50` were all blamed on
    /// decimal commas.
    #[test]
    fn a_text_measure_says_what_is_wrong_with_it() {
        let not_a_number_ = |v: &str| not_a_number(v, "--legacy-decimal ,");
        assert!(not_a_number_("1.234,50").contains("decimal comma"));
        assert!(not_a_number_("12,5").contains("decimal comma"));
        assert!(not_a_number_("+10.50").contains("`+` sign"));
        assert!(not_a_number_("10\u{0}50").contains("NUL byte"));
        assert!(not_a_number_("NaN").contains("NaN or infinity"));
        let long = "1".repeat(40);
        assert!(not_a_number_(&long).contains("40 digits"));
        assert!(not_a_number_("n/a").contains("does not read as a number"));
        let conn = Connection::open_in_memory().unwrap();
        let none = "(SELECT NULL::VARCHAR AS amt WHERE false)";
        assert!(why_not_a_number(&conn, none, "amt", "x").contains("no value at all"));
        let some = "(SELECT * FROM (VALUES ('1.50'), ('+2.00')) t(amt))";
        assert!(why_not_a_number(&conn, some, "amt", "x").contains("`+2.00` starts with"));
    }
}
