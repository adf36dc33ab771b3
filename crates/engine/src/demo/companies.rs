//! The eight companies of the demo group, each with the quirks a real migration meets.

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

#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub id: &'static str,
    pub name: &'static str,
    pub prefix: &'static str,
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
        id: "acme",
        name: "Acme Retail",
        prefix: "ACM",
        branches: &["north", "south", "east"],
        weight: 0.20,
        tax_rate: 0.20,
        export: ExportStyle::Plain,
        camel_case_customer: false,
    },
    Profile {
        id: "borealis",
        name: "Borealis Foods",
        prefix: "BOR",
        branches: &["oslo", "bergen"],
        weight: 0.14,
        tax_rate: 0.15,
        export: ExportStyle::Bom,
        camel_case_customer: false,
    },
    Profile {
        id: "cobalt",
        name: "Cobalt Hardware",
        prefix: "COB",
        branches: &["central", "harbour", "airport", "mall"],
        weight: 0.16,
        tax_rate: 0.20,
        export: ExportStyle::TrailingSpaces,
        camel_case_customer: false,
    },
    Profile {
        id: "dunmore",
        name: "Dunmore Books",
        prefix: "DUN",
        branches: &["main"],
        weight: 0.06,
        tax_rate: 0.05,
        export: ExportStyle::Plain,
        camel_case_customer: false,
    },
    Profile {
        id: "ember",
        name: "Ember Outdoor",
        prefix: "EMB",
        branches: &["alpine", "coast"],
        weight: 0.10,
        tax_rate: 0.21,
        export: ExportStyle::Plain,
        camel_case_customer: false,
    },
    Profile {
        id: "fjord",
        name: "Fjord Fashion",
        prefix: "FJO",
        branches: &["city", "outlet", "online"],
        weight: 0.12,
        tax_rate: 0.25,
        export: ExportStyle::RenamedHeaders,
        camel_case_customer: false,
    },
    Profile {
        id: "lumen",
        name: "Lumen Lighting",
        prefix: "LUM",
        branches: &["lyon", "paris"],
        weight: 0.12,
        tax_rate: 0.20,
        export: ExportStyle::European,
        camel_case_customer: false,
    },
    Profile {
        id: "nordwind",
        name: "Nordwind Marine",
        prefix: "NOR",
        branches: &["kiel", "hamburg"],
        weight: 0.10,
        tax_rate: 0.19,
        export: ExportStyle::Plain,
        camel_case_customer: true,
    },
];
