//! The files a demo writes: source CSVs as an ERP would drop them, and legacy exports with
//! the quirks of the old reporting.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::Datelike;

use super::companies::{ExportStyle, Profile};
use super::generate::{Invoice, LegacyFate};
use crate::error::{IoContext, Result};

/// One CSV file per calendar year, opened on first use with its header.
pub struct YearFiles {
    dir: PathBuf,
    stem: String,
    preamble: String,
    open: BTreeMap<i32, BufWriter<File>>,
}

impl YearFiles {
    pub fn new(dir: &Path, stem: &str, preamble: String) -> Result<Self> {
        std::fs::create_dir_all(dir).io_context(|| format!("cannot create {}", dir.display()))?;
        Ok(YearFiles {
            dir: dir.to_path_buf(),
            stem: stem.to_string(),
            preamble,
            open: BTreeMap::new(),
        })
    }

    pub fn write(&mut self, year: i32, line: &str) -> Result<()> {
        if !self.open.contains_key(&year) {
            let path = self.dir.join(format!("{}_{year}.csv", self.stem));
            let file =
                File::create(&path).io_context(|| format!("cannot write {}", path.display()))?;
            let mut w = BufWriter::with_capacity(1 << 16, file);
            w.write_all(self.preamble.as_bytes())
                .io_context(|| format!("cannot write {}", path.display()))?;
            self.open.insert(year, w);
        }
        let w = self.open.get_mut(&year).expect("opened above");
        w.write_all(line.as_bytes())
            .and_then(|_| w.write_all(b"\n"))
            .io_context(|| {
                format!(
                    "cannot write {}/{}_{year}.csv",
                    self.dir.display(),
                    self.stem
                )
            })
    }

    pub fn finish(mut self) -> Result<()> {
        for (year, w) in self.open.iter_mut() {
            w.flush().io_context(|| {
                format!(
                    "cannot write {}/{}_{year}.csv",
                    self.dir.display(),
                    self.stem
                )
            })?;
        }
        Ok(())
    }
}

/// Cents as a decimal string with the given decimal separator: -1234 → "-12.34".
pub fn money(cents: i64, decimal: char) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}{decimal}{:02}", abs / 100, abs % 100)
}

/// The source ERP's invoice header files.
pub fn invoice_header(profile: &Profile) -> String {
    let customer = if profile.camel_case_customer {
        "customerId"
    } else {
        "customer_id"
    };
    format!(
        "invoice_id,invoice_date,branch,{customer},invoice_type,posted_at,customer_name,customer_email\n"
    )
}

pub fn invoice_row(inv: &Invoice) -> String {
    let (name, email) = person(&inv.customer);
    format!(
        "{},{},{},{},{},{},{name},{email}",
        inv.id,
        inv.date.format("%Y-%m-%d"),
        inv.branch,
        inv.customer,
        inv.kind.as_str(),
        inv.posted_at.format("%Y-%m-%d %H:%M:%S")
    )
}

const FIRST_NAMES: [&str; 20] = [
    "Anna", "Bruno", "Chloe", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Klara",
    "Lukas", "Marta", "Nils", "Olga", "Pavel", "Rosa", "Simon", "Tara", "Viktor",
];
const LAST_NAMES: [&str; 20] = [
    "Albers",
    "Brandt",
    "Costa",
    "Dumont",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Horvat",
    "Iversen",
    "Jansen",
    "Keller",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Olsen",
    "Petrov",
    "Quint",
    "Richter",
    "Schulz",
    "Varga",
];

/// A customer's name and e-mail address (personal data, marked `pii` in the demo's
/// config), the same for the same customer id in every company's files.
pub fn person(customer: &str) -> (String, String) {
    let Some(n) = customer
        .strip_prefix('C')
        .and_then(|n| n.parse::<usize>().ok())
    else {
        // An intercompany customer is a company of the group, not a person.
        return (format!("Group company {customer}"), String::new());
    };
    let (first, last) = (FIRST_NAMES[n % 20], LAST_NAMES[(n / 20) % 20]);
    let email = format!(
        "{}.{}{n}@mail.example",
        first.to_lowercase(),
        last.to_lowercase()
    );
    (format!("{first} {last}"), email)
}

/// The first bytes of a legacy export: byte-order mark (if any) and header.
pub fn legacy_preamble(profile: &Profile) -> String {
    match profile.export {
        ExportStyle::European => {
            "invoice_id;invoice_date;branch;customer_id;invoice_type;net_amount\n".into()
        }
        ExportStyle::Bom => {
            "\u{FEFF}invoice_id,invoice_date,branch,customer_id,invoice_type,net_amount\n".into()
        }
        ExportStyle::RenamedHeaders => "InvoiceNumber,Date,Branch,Customer,Type,Amount\n".into(),
        ExportStyle::Plain | ExportStyle::TrailingSpaces => {
            "invoice_id,invoice_date,branch,customer_id,invoice_type,net_amount\n".into()
        }
    }
}

/// The legacy export's line for an invoice, or None when the legacy rules left it out.
pub fn legacy_row(profile: &Profile, inv: &Invoice) -> Option<String> {
    let net = match inv.legacy {
        LegacyFate::Exported => inv.net_cents(),
        LegacyFate::Adjusted(delta) => inv.net_cents() + delta,
        LegacyFate::Excluded | LegacyFate::MissedCutoff => return None,
    };
    let kind = inv.kind.as_str();
    Some(match profile.export {
        ExportStyle::European => format!(
            "{};{};{};{};{kind};{}",
            inv.id,
            inv.date.format("%d/%m/%Y"),
            inv.branch,
            inv.customer,
            money(net, ',')
        ),
        ExportStyle::TrailingSpaces => format!(
            "{},{},{:<10},{:<8},{kind},{}",
            inv.id,
            inv.date.format("%Y-%m-%d"),
            inv.branch,
            inv.customer,
            money(net, '.')
        ),
        _ => format!(
            "{},{},{},{},{kind},{}",
            inv.id,
            inv.date.format("%Y-%m-%d"),
            inv.branch,
            inv.customer,
            money(net, '.')
        ),
    })
}

pub const ORDER_HEADER: &str = "order_id,order_date,branch,customer_id,status,amount\n";

pub fn order_row(order_id: &str, inv: &Invoice, days_before: i64, status: &str) -> (i32, String) {
    let date = inv.date - chrono::Duration::days(days_before);
    let line = format!(
        "{order_id},{},{},{},{status},{}",
        date.format("%Y-%m-%d"),
        inv.branch,
        inv.customer,
        money(inv.net_cents().abs(), '.')
    );
    (date.year().max(super::generate::FIRST_DAY.0), line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_stable_and_csv_safe() {
        assert_eq!(
            person("C00042"),
            (
                "Chloe Costa".to_string(),
                "chloe.costa42@mail.example".to_string()
            )
        );
        let (name, email) = person("C00399");
        assert!(!name.contains(',') && !email.contains(','));
        assert_eq!(person("IC-NW").1, "");
    }

    #[test]
    fn money_formats_cents() {
        assert_eq!(money(123456, '.'), "1234.56");
        assert_eq!(money(-5, ','), "-0,05");
        assert_eq!(money(0, '.'), "0.00");
    }
}
