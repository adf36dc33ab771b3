//! Time zones as the config writes them (`rules.timezone`).

/// Minutes east of UTC of "UTC", "Z", "+02:00", "-0530" or "+2"; None for anything else
/// (named zones would need DuckDB's ICU extension, which this build leaves out).
pub fn offset_minutes(zone: &str) -> Option<i32> {
    let z = zone.trim();
    if z.eq_ignore_ascii_case("UTC") || z == "Z" {
        return Some(0);
    }
    let (sign, rest) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i32>().ok()?, 0)
    } else {
        let split = digits.len() - 2;
        (
            digits[..split].parse::<i32>().ok()?,
            digits[split..].parse::<i32>().ok()?,
        )
    };
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}
