//! Durations written like `90s`, `30m`, `26h`, `3d` in the config.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    pub seconds: u64,
}

/// `93784` → `1d 2h`: two units are enough to read at a glance.
pub fn human(seconds: i64) -> String {
    let units = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (u, size) in units {
        if rest >= size || (parts.is_empty() && size == 1) {
            parts.push(format!("{}{u}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

impl Duration {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("`{text}` has no unit; write e.g. 30m, 26h or 3d"))?;
        let (number, unit) = text.split_at(split);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` does not start with a whole number"))?;
        let factor = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            other => {
                return Err(format!(
                    "unknown unit `{other}` in `{text}`; use s, m, h, d or w"
                ))
            }
        };
        // Ages are compared as signed seconds; a bound far past any freshness need keeps the
        // product from wrapping (release builds do not check) and chrono from panicking.
        const LIMIT: u64 = 100 * 366 * 86_400;
        match number.checked_mul(factor) {
            Some(seconds) if seconds <= LIMIT => Ok(Duration { seconds }),
            _ => Err(format!("`{text}` is longer than 100 years")),
        }
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.seconds;
        for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
            if s >= size && s.is_multiple_of(size) {
                return write!(f, "{}{unit}", s / size);
            }
        }
        write!(f, "{s}s")
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(Duration::parse("26h").unwrap().seconds, 26 * 3600);
        assert_eq!(Duration::parse("3d").unwrap().to_string(), "3d");
        assert_eq!(Duration::parse("90s").unwrap().to_string(), "90s");
        assert!(Duration::parse("3").unwrap_err().contains("no unit"));
        assert!(Duration::parse("3y").unwrap_err().contains("unknown unit"));
        // 30500000000000w wraps a u64 when multiplied out: refused, not wrapped.
        assert!(Duration::parse("30500000000000w")
            .unwrap_err()
            .contains("100 years"));
        assert!(Duration::parse("18446744073709551615s").is_err());
        assert_eq!(Duration::parse("5200w").unwrap().seconds, 5200 * 604_800);
    }
}
