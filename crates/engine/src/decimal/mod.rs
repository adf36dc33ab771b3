//! Exact decimal numbers as the engines print them ("1234.50"): parsed to a scaled integer,
//! added and subtracted without rounding, printed with their scale. Sums read from the
//! engines as text stay exact this way; a float would print 61237855.020000085.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod setting;

/// Places a floating-point measure is rounded to, once per value, before it is summed
/// exactly: the same values then give the same sum in any order and on either engine.
pub const FLOAT_SCALE: u32 = 6;

/// A decimal: `value / 10^scale`. Equality and order are numeric (`1.50 == 1.5`).
#[derive(Debug, Clone, Copy)]
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

    /// The same number at `scale` places: exact, or None when places would be lost (or on
    /// overflow).
    pub fn rescale(self, scale: u32) -> Option<Exact> {
        if scale >= self.scale {
            return Some(Exact {
                value: self.at_scale(scale)?,
                scale,
            });
        }
        let div = 10i128.checked_pow(self.scale - scale)?;
        (self.value % div == 0).then_some(Exact {
            value: self.value / div,
            scale,
        })
    }

    pub fn scale(self) -> u32 {
        self.scale
    }

    pub fn abs(self) -> Exact {
        Exact {
            value: self.value.abs(),
            scale: self.scale,
        }
    }

    /// The nearest float, for ratios and bars (never for a figure that is printed).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    pub fn is_zero(self) -> bool {
        self.value == 0
    }

    pub fn is_negative(self) -> bool {
        self.value < 0
    }

    /// The integer `self × 10^scale`, when that is exact (explain sums deltas as integers).
    pub fn units_at(self, scale: u32) -> Option<i128> {
        Some(self.rescale(scale)?.value)
    }

    /// The whole units of `10^-scale` in `self`, the rest cut off toward zero: a tolerance
    /// of 0.005 allows no whole cent, 0.29 allows 29 (never 28, as `0.29 * 100.0` would).
    /// Saturates beyond 38 digits.
    pub fn units_down(self, scale: u32) -> i128 {
        if scale >= self.scale {
            return self.at_scale(scale).unwrap_or(if self.value < 0 {
                i128::MIN
            } else {
                i128::MAX
            });
        }
        match 10i128.checked_pow(self.scale - scale) {
            Some(div) => self.value / div,
            None => 0,
        }
    }

    /// The same number without trailing zeros after the point: `0.0500` is `0.05`, `2.0`
    /// is `2`. For settings read back to the user, never for amounts (they keep their scale).
    pub fn trimmed(self) -> Exact {
        let mut e = self;
        while e.scale > 0 && e.value % 10 == 0 {
            e = Exact {
                value: e.value / 10,
                scale: e.scale - 1,
            };
        }
        e
    }

    /// self × other, exactly (the scales add); None beyond 38 digits.
    pub fn times(self, other: Exact) -> Option<Exact> {
        Some(Exact {
            value: self.value.checked_mul(other.value)?,
            scale: self.scale.checked_add(other.scale)?,
        })
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

    /// new − legacy exactly, or an error naming what (`of`) overflowed 38 digits.
    pub fn delta(new: Exact, legacy: Exact, of: &str) -> crate::error::Result<Exact> {
        new.minus(legacy).ok_or_else(|| {
            crate::error::Error::Runtime(format!("the delta of {of} overflows 38 digits"))
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

impl Default for Exact {
    fn default() -> Exact {
        Exact::ZERO
    }
}

impl PartialEq for Exact {
    fn eq(&self, other: &Exact) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Exact {}

impl PartialOrd for Exact {
    fn partial_cmp(&self, other: &Exact) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Exact {
    fn cmp(&self, other: &Exact) -> Ordering {
        let scale = self.scale.max(other.scale);
        match (self.at_scale(scale), other.at_scale(scale)) {
            (Some(a), Some(b)) => a.cmp(&b),
            // Beyond 38 digits at a common scale: the floats are far enough apart.
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

/// Serialised as a JSON number written from the decimal text itself ("2313.67", never
/// "2313.6700000000046"), so a reader with a decimal parser gets the exact value.
impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        serde_json::value::RawValue::from_string(self.to_string())
            .map_err(S::Error::custom)?
            .serialize(s)
    }
}

/// Read back from JSON as written: the number's own text (or a string of it), never
/// through a float. JSON only (the raw text is serde_json's).
impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Exact, D::Error> {
        use serde::de::Error;
        let raw: Box<serde_json::value::RawValue> = Deserialize::deserialize(d)?;
        let text = raw.get().trim_matches('"');
        Exact::parse(text)
            .ok_or_else(|| D::Error::custom(format!("`{text}` is not an exact decimal")))
    }
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = self.parts();
        f.write_str(&self.join(&whole, &frac))
    }
}

/// How a numeric column is summed exactly: at its own scale (decimals, integers), or, for a
/// float, each value rounded to `FLOAT_SCALE` places first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numeric {
    pub scale: u32,
    pub float: bool,
}

impl Numeric {
    /// The summing rule for a column of this DuckDB type; None when it is not a number.
    pub fn of(duckdb_type: &str) -> Option<Numeric> {
        let t = duckdb_type.trim().to_ascii_uppercase();
        if let Some(args) = t.strip_prefix("DECIMAL(").and_then(|r| r.strip_suffix(')')) {
            let scale = args.split(',').nth(1)?.trim().parse().ok()?;
            return Some(Numeric {
                scale,
                float: false,
            });
        }
        const INTEGERS: [&str; 10] = [
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UTINYINT",
            "USMALLINT",
            "UINTEGER",
            "UBIGINT",
            "UHUGEINT",
        ];
        if INTEGERS.contains(&t.as_str()) {
            return Some(Numeric {
                scale: 0,
                float: false,
            });
        }
        matches!(t.as_str(), "DOUBLE" | "FLOAT" | "REAL").then_some(Numeric {
            scale: FLOAT_SCALE,
            float: true,
        })
    }

    /// The rule both sides of a compare are summed with: the larger scale; a float on
    /// either side rounds that side's values (the flag stays per side).
    pub fn common_scale(a: Numeric, b: Numeric) -> u32 {
        a.scale.max(b.scale)
    }

    /// `read`, or an error saying what the sum was (`of`) and what came back instead.
    pub fn read_sum(text: Option<&str>, scale: u32, of: &str) -> crate::error::Result<Exact> {
        Numeric::read(text, scale).ok_or_else(|| {
            crate::error::Error::Runtime(format!(
                "{of} came back as `{}`, not a decimal",
                text.unwrap_or_default()
            ))
        })
    }

    /// A sum as an engine printed it, at `scale` places (engines differ in trailing zeros:
    /// ClickHouse 21.9+ drops them). NULL (a sum over no rows) is zero.
    pub fn read(text: Option<&str>, scale: u32) -> Option<Exact> {
        match text.map(str::trim) {
            None | Some("") => Some(Exact::ZERO.rescale(scale)?),
            Some(t) => Exact::parse(t)?.rescale(scale),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_equality_are_numeric_and_json_keeps_the_scale() {
        let a = Exact::parse("1.50").unwrap();
        assert_eq!(a, Exact::parse("1.5").unwrap());
        assert!(Exact::parse("-2").unwrap() < Exact::parse("0.01").unwrap());
        assert_eq!(a.rescale(4).unwrap().to_string(), "1.5000");
        assert_eq!(a.rescale(1).unwrap().to_string(), "1.5");
        assert_eq!(Exact::parse("1.55").unwrap().rescale(1), None);
        let json = serde_json::to_string(&vec![Exact::parse("2313.67").unwrap()]).unwrap();
        assert_eq!(json, "[2313.67]");
        let big = Exact::parse("229577310901.19").unwrap();
        assert_eq!(serde_json::to_string(&big).unwrap(), "229577310901.19");
        assert_eq!(Numeric::read(Some("1.5"), 2).unwrap().to_string(), "1.50");
        assert_eq!(Numeric::read(None, 2).unwrap().to_string(), "0.00");
        assert_eq!(Numeric::read(Some("1e5"), 2), None);
    }

    #[test]
    fn numeric_types_say_their_scale() {
        let of = |t: &str| Numeric::of(t).map(|n| (n.scale, n.float));
        assert_eq!(of("DECIMAL(18,2)"), Some((2, false)));
        assert_eq!(of("decimal(38, 4)"), Some((4, false)));
        assert_eq!(of("BIGINT"), Some((0, false)));
        assert_eq!(of("DOUBLE"), Some((FLOAT_SCALE, true)));
        assert_eq!(of("VARCHAR"), None);
        assert_eq!(of("DATE"), None);
    }

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
    fn units_are_cut_exactly_and_products_are_exact() {
        let e = |t: &str| Exact::parse(t).unwrap();
        assert_eq!(e("0.29").units_down(2), 29);
        assert_eq!(e("0.005").units_down(2), 0);
        assert_eq!(e("1").units_down(2), 100);
        assert_eq!(e("0.019").units_down(2), 1);
        assert_eq!(
            e("0.0005").times(e("1234.56")).unwrap().to_string(),
            "0.617280"
        );
        assert_eq!(e("0.0005").times(e("1234.56")), Some(e("0.61728")));
        assert_eq!(e("0.0500").trimmed().to_string(), "0.05");
        assert_eq!(e("2.00").trimmed().to_string(), "2");
        assert_eq!(e("-10").trimmed().to_string(), "-10");
        let big = Exact::from_scaled(i128::MAX / 2, 0);
        assert_eq!(big.times(e("3")), None);
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
