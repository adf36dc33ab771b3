//! Numbers as people read them in the workbench.

use assay_engine::decimal::Exact;

/// An exact amount at its own scale, grouped: 1234567.50 → "1,234,567.50".
pub fn money(x: Exact) -> String {
    x.grouped()
}

/// With an explicit sign: "+2,000.00", "-5.10", "0.00".
pub fn signed_money(x: Exact) -> String {
    if x > Exact::ZERO {
        format!("+{}", money(x))
    } else {
        money(x)
    }
}

/// A fraction as a percentage with one decimal: 0.1234 → "12.3%". What rounds to zero is
/// "0.0%", never "-0.0%".
pub fn percent(fraction: f64) -> String {
    let shown = (1000.0 * fraction).round() / 10.0;
    format!("{:.1}%", if shown == 0.0 { 0.0 } else { shown })
}

/// `text` right-aligned in `width` (cut with … when longer).
pub fn right(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n > width {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        return cut;
    }
    format!("{}{text}", " ".repeat(width - n))
}

/// "1 row", "2 rows", "1,234 rows".
pub fn rows(n: i64) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{} rows", count(n))
    }
}

/// 1234567 → "1,234,567"
pub fn count(n: i64) -> String {
    Exact::from_scaled(n as i128, 0).grouped()
}

/// A size in bytes, in the largest unit that keeps it ≥ 1: 1536 → "1.5 KB".
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut x = bytes as f64 / 1024.0;
    let mut unit = 0;
    while x >= 1024.0 && unit + 1 < UNITS.len() {
        x /= 1024.0;
        unit += 1;
    }
    format!("{x:.1} {}", UNITS[unit])
}

/// A cell that is a plain decimal number, with thousands separators and its own digits
/// ("1234567.50" → "1,234,567.50"); None for anything else (dates, codes, text).
pub fn grouped_number(text: &str) -> Option<String> {
    Exact::parse(text).map(Exact::grouped)
}

/// new − legacy of two number cells, exactly (a missing side counts as zero), grouped and
/// with a sign; None when a present cell is not a number.
pub fn exact_delta(legacy: Option<&str>, new: Option<&str>) -> Option<String> {
    let side = |t: Option<&str>| match t {
        None | Some("") => Some(Exact::ZERO),
        Some(t) => Exact::parse(t),
    };
    let delta = side(new)?.minus(side(legacy)?)?;
    let text = delta.grouped();
    Some(if !delta.is_zero() && !delta.is_negative() {
        format!("+{text}")
    } else {
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_and_signs() {
        let x = |t: &str| Exact::parse(t).unwrap();
        assert_eq!(money(x("1234567.89")), "1,234,567.89");
        assert_eq!(money(x("-0.00")), "0.00");
        assert_eq!(signed_money(x("2000.00")), "+2,000.00");
        assert_eq!(signed_money(x("-5.10")), "-5.10");
        assert_eq!(signed_money(x("0.000")), "0.000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1536), "1.5 KB");
        assert_eq!(size(5 * 1024 * 1024 * 1024), "5.0 GB");
        assert_eq!(percent(-0.0001), "0.0%");
        assert_eq!(rows(1), "1 row");
        assert_eq!(rows(1200), "1,200 rows");
    }

    #[test]
    fn number_cells_keep_their_digits() {
        assert_eq!(
            grouped_number("1234567.50").as_deref(),
            Some("1,234,567.50")
        );
        assert_eq!(grouped_number("-0.05").as_deref(), Some("-0.05"));
        assert_eq!(grouped_number("INV-0001"), None);
        assert_eq!(grouped_number("2024-01-31"), None);
        assert_eq!(
            exact_delta(Some("100.10"), Some("90.1")).as_deref(),
            Some("-10.00")
        );
        assert_eq!(exact_delta(None, Some("5")).as_deref(), Some("+5"));
        assert_eq!(
            exact_delta(Some("0.1"), Some("0.3")).as_deref(),
            Some("+0.2"),
            "exact: no 0.19999999999999998"
        );
        assert_eq!(exact_delta(Some("x"), Some("1")), None);
    }
}
