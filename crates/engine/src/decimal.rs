//! Exact decimal numbers as the engines print them ("1234.50"): parsed to a scaled integer,
//! added and subtracted without rounding, printed with their scale. Sums read from the
//! engines as text stay exact this way; a float would print 61237855.020000085.

use std::fmt;

/// A decimal: `value / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact {
    value: i128,
    scale: u32,
}

impl Exact {
    pub const ZERO: Exact = Exact { value: 0, scale: 0 };

    /// `value / 10^scale`.
    pub fn from_scaled(value: i128, scale: u32) -> Exact {
        Exact { value, scale }
    }

    /// A plain decimal (`-12.50`, `7`); None for anything else (exponents, dates, codes).
    pub fn parse(text: &str) -> Option<Exact> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let plain = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !plain(whole) || !plain(frac) || whole.len() + frac.len() > 36 {
            return None;
        }
        let value: i128 = format!("{whole}{frac}").parse().ok()?;
        Some(Exact {
            value: if negative { -value } else { value },
            scale: frac.len() as u32,
        })
    }

    pub fn is_zero(self) -> bool {
        self.value == 0
    }

    pub fn is_negative(self) -> bool {
        self.value < 0
    }

    fn at_scale(self, scale: u32) -> Option<i128> {
        self.value
            .checked_mul(10i128.checked_pow(scale - self.scale)?)
    }

    /// self − other, exactly, at the larger scale; None on overflow.
    pub fn minus(self, other: Exact) -> Option<Exact> {
        let scale = self.scale.max(other.scale);
        Some(Exact {
            value: self.at_scale(scale)?.checked_sub(other.at_scale(scale)?)?,
            scale,
        })
    }

    /// self + other, exactly, at the larger scale; None on overflow.
    pub fn plus(self, other: Exact) -> Option<Exact> {
        let scale = self.scale.max(other.scale);
        Some(Exact {
            value: self.at_scale(scale)?.checked_add(other.at_scale(scale)?)?,
            scale,
        })
    }

    /// With thousands separators: "-1,234,567.50".
    pub fn grouped(self) -> String {
        let (whole, frac) = self.parts();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        self.join(&grouped, &frac)
    }

    /// The digits before and after the point, without sign.
    fn parts(self) -> (String, String) {
        let digits = self.value.unsigned_abs().to_string();
        let digits = format!("{digits:0>width$}", width = self.scale as usize + 1);
        let (whole, frac) = digits.split_at(digits.len() - self.scale as usize);
        (whole.to_string(), frac.to_string())
    }

    fn join(self, whole: &str, frac: &str) -> String {
        let sign = if self.value < 0 { "-" } else { "" };
        if frac.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{frac}")
        }
    }
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = self.parts();
        f.write_str(&self.join(&whole, &frac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_exact_and_keep_their_scale() {
        let a = Exact::parse("0.1").unwrap();
        let b = Exact::parse("0.3").unwrap();
        assert_eq!(b.minus(a).unwrap().to_string(), "0.2");
        let sum = Exact::parse("61237855.02").unwrap();
        assert_eq!(sum.minus(Exact::ZERO).unwrap().to_string(), "61237855.02");
        assert_eq!(
            Exact::parse("100.10")
                .unwrap()
                .minus(Exact::parse("90.1").unwrap())
                .unwrap()
                .to_string(),
            "10.00"
        );
        assert_eq!(Exact::parse("-0.05").unwrap().to_string(), "-0.05");
        assert_eq!(Exact::parse("1234567.5").unwrap().grouped(), "1,234,567.5");
        assert_eq!(Exact::parse("-1234").unwrap().grouped(), "-1,234");
        for bad in ["", "1e5", "2024-01-01", "INV-1", "1.2.3", "."] {
            assert_eq!(Exact::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn sums_agree_with_a_naive_cent_count() {
        // Against integers of cents: no float anywhere, so every sum is exact.
        let mut cents: i128 = 0;
        let mut exact = Exact::ZERO;
        for i in 0..10_000i128 {
            let c = (i * 7919) % 100_003 - 50_000;
            cents += c;
            let text = format!(
                "{}{}.{:02}",
                if c < 0 { "-" } else { "" },
                c.abs() / 100,
                c.abs() % 100
            );
            exact = exact.plus(Exact::parse(&text).unwrap()).unwrap();
        }
        let want = format!(
            "{}{}.{:02}",
            if cents < 0 { "-" } else { "" },
            cents.abs() / 100,
            cents.abs() % 100
        );
        assert_eq!(exact.to_string(), want);
    }
}
