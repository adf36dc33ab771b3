//! Numbers as people read them in the workbench.

/// 1234567.891 → "1,234,567.89"
pub fn money(x: f64) -> String {
    let cents = (x.abs() * 100.0).round() as u128;
    let (whole, frac) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}{grouped}.{frac:02}")
}

/// With an explicit sign: "+2,000.00", "-5.10", "0.00".
pub fn signed_money(x: f64) -> String {
    if x > 0.0 && (x * 100.0).round() > 0.0 {
        format!("+{}", money(x))
    } else {
        money(x)
    }
}

/// A fraction as a percentage with one decimal: 0.1234 → "12.3%".
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", 100.0 * fraction)
}

/// 1234567 → "1,234,567"
pub fn count(n: i64) -> String {
    let m = money(n as f64);
    m[..m.len() - 3].to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_and_signs() {
        assert_eq!(money(1_234_567.891), "1,234,567.89");
        assert_eq!(money(-0.004), "0.00");
        assert_eq!(signed_money(2000.0), "+2,000.00");
        assert_eq!(signed_money(-5.1), "-5.10");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1536), "1.5 KB");
        assert_eq!(size(5 * 1024 * 1024 * 1024), "5.0 GB");
    }
}
