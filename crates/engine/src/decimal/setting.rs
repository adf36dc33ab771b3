//! An exact decimal as a setting in a TOML file or a command line (`tolerance.absolute =
//! 0.01`, `--tolerance 0.01`). TOML hands numbers over as floats; a float is read back
//! through its shortest decimal form, which is the text the user wrote for any number of
//! up to 15 significant digits, so `0.29` is 0.29 exactly (not 0.28999999999999998). A
//! string (`"0.000000000000000001"`) is read as written, for more digits than that.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

use super::Exact;

/// A decimal setting from its text: a plain decimal such as `0.01` or `1e-3`-free `12`;
/// an error saying what is wrong with anything else.
pub fn parse(text: &str) -> Result<Exact, String> {
    let t = text.trim();
    if let Some(e) = Exact::parse(t) {
        return Ok(e);
    }
    match t.parse::<f64>() {
        Ok(f) => from_float(f),
        Err(_) => Err(format!("`{text}` is not a number; write e.g. 0.01")),
    }
}

/// A float as the decimal it was written as (its shortest form).
pub fn from_float(f: f64) -> Result<Exact, String> {
    if !f.is_finite() {
        return Err(format!(
            "`{f}` is not a number a difference can be held to; write e.g. 0.01"
        ));
    }
    // Rust prints floats without an exponent and with the fewest digits that read back.
    Exact::parse(&format!("{f}"))
        .ok_or_else(|| format!("`{f}` has more than 36 digits; write it as a string"))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Exact, D::Error> {
    d.deserialize_any(Setting)
}

/// Written as a number when a float keeps it exactly (the usual case, and what a user
/// would write), else as a string, so writing and reading back never changes it.
pub fn serialize<S: Serializer>(value: &Exact, s: S) -> Result<S::Ok, S::Error> {
    match value.to_string().parse::<f64>() {
        Ok(f) if from_float(f).is_ok_and(|back| back == *value) => s.serialize_f64(f),
        _ => s.serialize_str(&value.to_string()),
    }
}

struct Setting;

impl Visitor<'_> for Setting {
    type Value = Exact;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal number such as 0.01")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Exact, E> {
        from_float(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Exact, E> {
        Ok(Exact::from_scaled(v.into(), 0))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Exact, E> {
        Ok(Exact::from_scaled(v.into(), 0))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Exact, E> {
        parse(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct T {
        #[serde(with = "super")]
        x: Exact,
    }

    fn read(text: &str) -> Result<Exact, String> {
        toml::from_str::<T>(text)
            .map(|t| t.x)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn toml_numbers_are_read_as_written() {
        assert_eq!(read("x = 0.29").unwrap().to_string(), "0.29");
        assert_eq!(read("x = 0.29").unwrap().units_down(2), 29);
        assert_eq!(read("x = 0.0005").unwrap().to_string(), "0.0005");
        assert_eq!(read("x = 3").unwrap().to_string(), "3");
        assert_eq!(read("x = 1e-3").unwrap().to_string(), "0.001");
        let many = read("x = \"0.000000000000000000001\"").unwrap();
        assert_eq!(many.to_string(), "0.000000000000000000001");
        for bad in ["x = nan", "x = inf", "x = \"ten\"", "x = true"] {
            let e = read(bad).unwrap_err();
            assert!(e.contains("0.01"), "{bad}: {e}");
        }
    }

    #[test]
    fn written_settings_read_back_unchanged() {
        for text in [
            "0.01",
            "0.0005",
            "12",
            "0.000000000000000000001",
            "0.1234567890123456789",
        ] {
            let t = T {
                x: Exact::parse(text).unwrap(),
            };
            let written = toml::to_string(&t).unwrap();
            assert_eq!(toml::from_str::<T>(&written).unwrap(), t, "{written}");
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), t, "{json}");
        }
        assert_eq!(
            toml::to_string(&T {
                x: Exact::parse("0.01").unwrap()
            })
            .unwrap(),
            "x = 0.01\n"
        );
        assert_eq!(parse(" 0.25 ").unwrap().to_string(), "0.25");
        assert!(parse("-").is_err());
    }
}
