//! What is wrong with a delimited file's header, before any record is read: nothing there,
//! a delimiter that does not split it, two names SQL cannot tell apart, or text that is
//! UTF-16 read as 8-bit bytes.

fn shown_delimiter(d: u8) -> String {
    match d {
        b'\t' => "\\t".into(),
        other => (other as char).to_string(),
    }
}

/// The first two lines, with a byte-order mark skipped.
pub(super) fn first_lines(head: &[u8]) -> (&[u8], Option<&[u8]>) {
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
    let mut lines = head.split(|&b| b == b'\n');
    let header = lines.next().unwrap_or_default();
    (
        header,
        lines
            .next()
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace)),
    )
}

/// Fields of one line split on `delimiter`, quotes respected (a line, not a record).
pub(super) fn split_line(line: &[u8], delimiter: u8) -> Vec<String> {
    let mut fields = vec![Vec::new()];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b'\r' if !quoted => {}
            d if d == delimiter && !quoted => fields.push(Vec::new()),
            other => fields.last_mut().expect("one field").push(other),
        }
    }
    fields
        .into_iter()
        .map(|f| String::from_utf8_lossy(&f).trim().to_string())
        .collect()
}

/// What is wrong with the header, before any record is read: an empty file, a delimiter
/// that does not split it while another clearly does, or two columns with one name.
pub(crate) fn header_problem(head: &[u8], delimiter: u8) -> std::result::Result<(), String> {
    if let Some(order) = utf16_without_mark(head) {
        return Err(format!(
            "line 1: the file looks like UTF-16 {order} without a byte-order mark (every other \
             byte is zero); give its encoding: encoding = \"utf-16\" (ad hoc: \
             --legacy-encoding utf-16)"
        ));
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF]) {
        return Err(
            "line 1: the file starts with two byte-order marks (it was converted to \
                    UTF-8 twice); the second would become part of the first column's name: \
                    remove it"
                .into(),
        );
    }
    let (header, second) = first_lines(head);
    if header.iter().all(u8::is_ascii_whitespace) && second.is_none() {
        return Err("the file is empty: no header line and no records".into());
    }
    let fields = split_line(header, delimiter);
    if fields.len() == 1 {
        for other in [b',', b';', b'\t', b'|'] {
            if other == delimiter {
                continue;
            }
            let n = split_line(header, other).len();
            let agrees = second.is_none_or(|l| split_line(l, other).len() == n);
            if n > 1 && agrees {
                return Err(format!(
                    "line 1: the header is one field with delimiter `{}`, but splits into {n} \
                     fields on `{}` (and so do the records); set delimiter = \"{}\"",
                    shown_delimiter(delimiter),
                    shown_delimiter(other),
                    shown_delimiter(other)
                ));
            }
        }
    }
    for (i, name) in fields.iter().enumerate() {
        // Empty names (a trailing delimiter) are numbered by DuckDB; only real names clash.
        if name.is_empty() {
            continue;
        }
        if let Some(j) = fields[..i].iter().position(|f| f == name) {
            return Err(format!(
                "line 1: columns {} and {} are both named `{name}`; rename one in the file \
                 (or with `rename`) so the compare can tell them apart",
                j + 1,
                i + 1
            ));
        }
        // SQL names are not case-sensitive: DuckDB reads `Amt,amt` as `Amt` and `amt_1`,
        // so `amt` would name the first column.
        if let Some(j) = fields[..i]
            .iter()
            .position(|f| f.to_lowercase() == name.to_lowercase())
        {
            return Err(format!(
                "line 1: columns {} (`{}`) and {} (`{name}`) differ only in case, which SQL \
                 does not tell apart; rename one in the file (or with `rename`)",
                j + 1,
                fields[j],
                i + 1
            ));
        }
    }
    Ok(())
}

/// `LE` or `BE` when the first bytes are ASCII text written as UTF-16 (a zero byte beside
/// every character): read as 8-bit text such a file is one field of garbage.
fn utf16_without_mark(head: &[u8]) -> Option<&'static str> {
    let sample = &head[..head.len().min(512)];
    if sample.len() < 8 {
        return None;
    }
    let zeros_at = |first: usize| {
        sample
            .iter()
            .skip(first)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    let half = sample.len() / 2;
    if odd * 10 >= half * 8 && even * 10 < half * 2 {
        Some("LE")
    } else if even * 10 >= half * 8 && odd * 10 < half * 2 {
        Some("BE")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_delimiter_is_named_with_the_one_found() {
        let err = header_problem(b"id;amount;date\n1;2,50;01/02/2024\n", b',').unwrap_err();
        assert!(err.contains("splits into 3 fields on `;`"), "{err}");
        assert!(err.contains("delimiter = \";\""), "{err}");
        // A real one-column file is fine, and so is the right delimiter.
        assert!(header_problem(b"name\nAcme, Inc.\n", b',').is_ok());
        assert!(header_problem(b"id;amount\n1;2,50\n", b';').is_ok());
    }

    #[test]
    fn empty_files_and_duplicate_names_are_refused() {
        assert!(header_problem(b"", b',').unwrap_err().contains("empty"));
        assert!(header_problem(b"\xEF\xBB\xBF\n", b',')
            .unwrap_err()
            .contains("empty"));
        let err = header_problem(b"id,amount,x,amount\n1,2,3,4\n", b',').unwrap_err();
        assert!(
            err.contains("columns 2 and 4 are both named `amount`"),
            "{err}"
        );
        // Before: DuckDB read `Amt,amt` as `Amt`, `amt_1`, and `--measure amt` summed `Amt`.
        let err = header_problem(b"id,Amt,amt\n1,2,3\n", b',').unwrap_err();
        assert!(
            err.contains("columns 2 (`Amt`) and 3 (`amt`) differ only in case"),
            "{err}"
        );
    }

    /// Before: a UTF-16 file without its byte-order mark was "1 fields, the header has …".
    #[test]
    fn utf16_without_a_mark_is_named() {
        let le: Vec<u8> = "id,amount\n1,2.50\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let e = header_problem(&le, b',').unwrap_err();
        assert!(e.contains("UTF-16 LE without a byte-order mark"), "{e}");
        let be: Vec<u8> = "id;amount\n1;2,50\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(header_problem(&be, b';').unwrap_err().contains("UTF-16 BE"));
        assert!(header_problem(b"id,amount\n1,2\n", b',').is_ok());
    }

    /// Before: a second byte-order mark reached DuckDB as part of the first column's name,
    /// and the error named the scratch Parquet copy instead of the file.
    #[test]
    fn a_doubled_byte_order_mark_is_named() {
        let e = header_problem(b"\xEF\xBB\xBF\xEF\xBB\xBFid,amount\n1,2\n", b',').unwrap_err();
        assert!(e.contains("two byte-order marks"), "{e}");
        assert!(header_problem(b"\xEF\xBB\xBFid,amount\n1,2\n", b',').is_ok());
    }
}
