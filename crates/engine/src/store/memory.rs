//! DuckDB's memory cap: set from `ASSAY_MEMORY_LIMIT`, read back in bytes so work that
//! runs side by side (parallel extractions) can be sized to fit inside it.

use duckdb::Connection;

use crate::error::{Error, Result};

/// A size like `512MB`, `2GB`, `244.1 MiB` (DuckDB's own way of writing it) in bytes:
/// KB, MB… count in thousands, KiB, MiB… in 1024s. None for anything else.
pub fn bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let at = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(at);
    let n: f64 = number.trim().parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "B" | "BYTES" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KIB" => 1024.0,
        "MIB" => 1024.0 * 1024.0,
        "GIB" => 1024.0 * 1024.0 * 1024.0,
        "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    (n.is_finite() && n > 0.0).then_some((n * factor) as u64)
}

/// Cap DuckDB's memory (for the whole database, whichever connection sets it): past it,
/// joins, sorts and temporary tables spill to disk. `limit` is a size like `512MB`, as
/// `ASSAY_MEMORY_LIMIT` gives it.
pub fn set_memory_limit(conn: &Connection, limit: &str) -> Result<()> {
    if bytes(limit).is_none() {
        return Err(Error::Usage(format!(
            "ASSAY_MEMORY_LIMIT=`{limit}` is not a size like 512MB or 2GB"
        )));
    }
    conn.execute_batch(&format!("SET memory_limit = '{}'", limit.trim()))?;
    Ok(())
}

/// The cap DuckDB works under now, in bytes (its default is most of the machine's memory).
pub fn memory_limit(conn: &Connection) -> Result<Option<u64>> {
    let text: String =
        conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))?;
    Ok(bytes(&text))
}

/// The cap as people set it: 256000000 → "256MB".
pub fn shown(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 && b % 100_000_000 == 0 => {
            format!("{}GB", b as f64 / 1e9)
        }
        b if b >= 1_000_000 => format!("{}MB", b / 1_000_000),
        b => format!("{b}B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_duckdb_and_people_write_them() {
        assert_eq!(bytes("256MB"), Some(256_000_000));
        assert_eq!(bytes("244.1 MiB"), Some(255_957_401));
        assert_eq!(bytes("2GB"), Some(2_000_000_000));
        assert_eq!(bytes(" 1.5 gib "), Some(1_610_612_736));
        assert_eq!(bytes("lots"), None);
        assert_eq!(bytes("0MB"), None);
        assert_eq!(bytes("-1GB"), None);
        assert_eq!(bytes("12 parsecs"), None);
        assert_eq!(shown(256_000_000), "256MB");
        assert_eq!(shown(2_000_000_000), "2GB");
    }

    #[test]
    fn the_cap_set_is_the_cap_read() {
        let conn = Connection::open_in_memory().unwrap();
        set_memory_limit(&conn, "256MB").unwrap();
        let read = memory_limit(&conn).unwrap().unwrap();
        // DuckDB keeps it in MiB with one decimal.
        assert!(read.abs_diff(256_000_000) < 100_000, "{read}");
        assert!(set_memory_limit(&conn, "12 parsecs").is_err());
    }
}
