//! The eight companies of the demo group, each with the quirks a real migration meets, and
//! as many plain stores beside them as a larger group needs (`assay demo --companies 150`).

use std::borrow::Cow;

/// How one company's legacy export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportStyle {
    /// Comma-separated, ISO dates, decimal point.
    Plain,
    /// Semicolons, decimal commas and dd/mm/yyyy dates (a European spreadsheet).
    European,
    /// Starts with a UTF-8 byte-order mark.
    Bom,
    /// Text fields padded with trailing spaces (a fixed-width report turned into CSV).
    TrailingSpaces,
    /// Different header names, mapped in the config.
    RenamedHeaders,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: Cow<'static, str>,
    pub name: Cow<'static, str>,
    pub prefix: Cow<'static, str>,
    pub branches: &'static [&'static str],
    /// Share of the demo's invoice lines.
    pub weight: f64,
    pub tax_rate: f64,
    pub export: ExportStyle,
    /// The company's ERP spells `customer_id` as `customerId`.
    pub camel_case_customer: bool,
}

pub const COMPANIES: [Profile; 8] = [
    Profile {
        id: Cow::Borrowed("acme"),
        name: Cow::Borrowed("Acme Retail"),
        prefix: Cow::Borrowed("ACM"),
        branches: &["north", "south", "east"],
        weight: 0.20,
        tax_rate: 0.20,
        export: ExportStyle::Plain,
        camel_case_customer: false,
    },
    Profile {
        id: Cow::Borrowed("borealis"),
        name: Cow::Borrowed("Borealis Foods"),
        prefix: Cow::Borrowed("BOR"),
        branches: &["oslo", "bergen"],
        weight: 0.14,
        tax_rate: 0.15,
        export: ExportStyle::Bom,
        camel_case_customer: false,
    },
    Profile {
        id: Cow::Borrowed("cobalt"),
        name: Cow::Borrowed("Cobalt Hardware"),
        prefix: Cow::Borrowed("COB"),
        branches: &["central", "harbour", "airport", "mall"],
        weight: 0.16,
        tax_rate: 0.20,
        export: ExportStyle::TrailingSpaces,
        camel_case_customer: false,
    },
    Profile {
        id: Cow::Borrowed("dunmore"),
        name: Cow::Borrowed("Dunmore Books"),
        prefix: Cow::Borrowed("DUN"),
        branches: &["main"],
        weight: 0.06,
        tax_rate: 0.05,
        export: ExportStyle::Plain,
        camel_case_customer: false,
    },
    Profile {
        id: Cow::Borrowed("ember"),
        name: Cow::Borrowed("Ember Outdoor"),
        prefix: Cow::Borrowed("EMB"),
        branches: &["alpine", "coast"],
        weight: 0.10,
        tax_rate: 0.21,
        export: ExportStyle::Plain,
        camel_case_customer: false,
    },
    Profile {
        id: Cow::Borrowed("fjord"),
        name: Cow::Borrowed("Fjord Fashion"),
        prefix: Cow::Borrowed("FJO"),
        branches: &["city", "outlet", "online"],
        weight: 0.12,
        tax_rate: 0.25,
        export: ExportStyle::RenamedHeaders,
        camel_case_customer: false,
    },
    Profile {
        id: Cow::Borrowed("lumen"),
        name: Cow::Borrowed("Lumen Lighting"),
        prefix: Cow::Borrowed("LUM"),
        branches: &["lyon", "paris"],
        weight: 0.12,
        tax_rate: 0.20,
        export: ExportStyle::European,
        camel_case_customer: false,
    },
    Profile {
        id: Cow::Borrowed("nordwind"),
        name: Cow::Borrowed("Nordwind Marine"),
        prefix: Cow::Borrowed("NOR"),
        branches: &["kiel", "hamburg"],
        weight: 0.10,
        tax_rate: 0.19,
        export: ExportStyle::Plain,
        camel_case_customer: true,
    },
];

/// Companies of a demo: the eight, then `store_009`… up to `n`, each a plain store with
/// the branches and tax of one of the eight (in turn). Every company gets an equal share of
/// the lines beyond the eight, so a large group is many small companies.
pub fn roster(n: usize) -> Vec<Profile> {
    let mut out: Vec<Profile> = COMPANIES.to_vec();
    for i in COMPANIES.len()..n {
        let like = &COMPANIES[i % COMPANIES.len()];
        out.push(Profile {
            id: Cow::Owned(format!("store_{:03}", i + 1)),
            name: Cow::Owned(format!("Store {:03}", i + 1)),
            prefix: Cow::Owned(format!("S{:03}", i + 1)),
            branches: like.branches,
            weight: 0.0,
            tax_rate: like.tax_rate,
            export: ExportStyle::Plain,
            camel_case_customer: false,
        });
    }
    if out.len() > COMPANIES.len() {
        let share = 1.0 / out.len() as f64;
        for p in &mut out {
            p.weight = share;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_group_is_the_eight_and_plain_stores_sharing_the_lines() {
        assert_eq!(roster(8).len(), 8);
        let group = roster(150);
        assert_eq!(group.len(), 150);
        assert_eq!(group[7].id, "nordwind");
        assert_eq!(group[8].id, "store_009");
        assert_eq!(group[149].id, "store_150");
        let total: f64 = group.iter().map(|p| p.weight).sum();
        assert!((total - 1.0).abs() < 1e-9);
        let mut ids: Vec<&str> = group.iter().map(|p| p.id.as_ref()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 150, "ids are unique");
    }
}
