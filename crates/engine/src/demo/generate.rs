//! Deterministic invoice streams: one generator per company, seeded from the demo seed,
//! yielding invoices in date order so nothing needs to be held in memory.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::companies::Profile;

pub const FIRST_DAY: (i32, u32, u32) = (2023, 1, 1);
pub const DAYS: i64 = 731;
const PRODUCTS: usize = 200;
const CUSTOMERS: u32 = 400;
const AVERAGE_LINES: f64 = 3.4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceType {
    Sale,
    Return,
    Cancelled,
    Intercompany,
}

impl InvoiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceType::Sale => "SALE",
            InvoiceType::Return => "RETURN",
            InvoiceType::Cancelled => "CANCELLED",
            InvoiceType::Intercompany => "INTERCOMPANY",
        }
    }

    /// The legacy reports never counted cancelled or intercompany invoices.
    pub fn in_legacy(self) -> bool {
        matches!(self, InvoiceType::Sale | InvoiceType::Return)
    }
}

#[derive(Debug, Clone)]
pub struct Line {
    pub line_no: u32,
    pub product: String,
    pub quantity: i64,
    pub price_cents: i64,
    pub net_cents: i64,
    pub tax_cents: i64,
}

/// What the legacy export does with an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyFate {
    /// Exported with its net amount.
    Exported,
    /// Not exported: filtered by a legacy rule.
    Excluded,
    /// Posted after the legacy export's cut-off.
    MissedCutoff,
    /// Exported with a hand-corrected amount (cents added).
    Adjusted(i64),
}

#[derive(Debug, Clone)]
pub struct Invoice {
    pub id: String,
    pub date: NaiveDate,
    pub posted_at: NaiveDateTime,
    pub branch: &'static str,
    pub customer: String,
    pub kind: InvoiceType,
    pub lines: Vec<Line>,
    pub legacy: LegacyFate,
}

impl Invoice {
    pub fn net_cents(&self) -> i64 {
        self.lines.iter().map(|l| l.net_cents).sum()
    }
}

pub struct CompanyStream {
    profile: Profile,
    rng: ChaCha8Rng,
    prices: Vec<i64>,
    target_lines: u64,
    emitted_lines: u64,
    estimated_invoices: f64,
    next_number: u64,
}

pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).expect("valid date")
}

/// A stream of its own for every (seed, company, purpose), so changing one file's content
/// never shifts another's.
pub fn rng_for(seed: u64, company_index: usize, purpose: u64) -> ChaCha8Rng {
    let mixed = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((company_index as u64 + 1) * 0x1000_0000_01B3)
        .wrapping_add(purpose.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    ChaCha8Rng::seed_from_u64(mixed)
}

impl CompanyStream {
    pub fn new(profile: Profile, company_index: usize, seed: u64, target_lines: u64) -> Self {
        let mut rng = rng_for(seed, company_index, 1);
        let prices = (0..PRODUCTS)
            .map(|_| {
                let ln = rng.random_range((500f64).ln()..(40_000f64).ln());
                ln.exp().round() as i64
            })
            .collect();
        CompanyStream {
            profile,
            rng,
            prices,
            target_lines,
            emitted_lines: 0,
            estimated_invoices: (target_lines as f64 / AVERAGE_LINES).max(1.0),
            next_number: 1,
        }
    }

    fn draw_kind(&mut self) -> InvoiceType {
        let u: f64 = self.rng.random();
        if u < 0.014 {
            InvoiceType::Cancelled
        } else if u < 0.019 {
            InvoiceType::Intercompany
        } else if u < 0.077 {
            InvoiceType::Return
        } else {
            InvoiceType::Sale
        }
    }

    fn draw_lines(&mut self, kind: InvoiceType) -> Vec<Line> {
        let count = match kind {
            InvoiceType::Return => self.rng.random_range(1..=2),
            InvoiceType::Intercompany => self.rng.random_range(2..=6),
            _ => self.rng.random_range(1..=6),
        };
        (1..=count)
            .map(|line_no| {
                let product = self.rng.random_range(0..PRODUCTS);
                let mut quantity: i64 = if self.rng.random::<f64>() < 0.05 {
                    self.rng.random_range(10..=20)
                } else {
                    self.rng.random_range(1..=5)
                };
                match kind {
                    InvoiceType::Return => quantity = -quantity.min(3),
                    InvoiceType::Intercompany => quantity *= 3,
                    _ => {}
                }
                let price_cents = self.prices[product];
                let net_cents = quantity * price_cents;
                let tax_cents = (net_cents as f64 * self.profile.tax_rate).round() as i64;
                Line {
                    line_no,
                    product: format!("P{:04}", product + 1),
                    quantity,
                    price_cents,
                    net_cents,
                    tax_cents,
                }
            })
            .collect()
    }

    fn draw_fate(&mut self, kind: InvoiceType, day: i64) -> LegacyFate {
        let u: f64 = self.rng.random();
        if !kind.in_legacy() {
            LegacyFate::Excluded
        } else if day >= DAYS - 3 && u < 0.5 {
            LegacyFate::MissedCutoff
        } else if u < 0.0008 {
            let cents = self.rng.random_range(1..=500);
            LegacyFate::Adjusted(if self.rng.random::<bool>() {
                cents
            } else {
                -cents
            })
        } else {
            LegacyFate::Exported
        }
    }
}

impl Iterator for CompanyStream {
    type Item = Invoice;

    fn next(&mut self) -> Option<Invoice> {
        if self.emitted_lines >= self.target_lines {
            return None;
        }
        let number = self.next_number;
        self.next_number += 1;
        let day =
            (((number - 1) as f64 * DAYS as f64 / self.estimated_invoices) as i64).min(DAYS - 1);
        let date = first_day() + Duration::days(day);
        let kind = self.draw_kind();
        let lines = self.draw_lines(kind);
        self.emitted_lines += lines.len() as u64;
        let branch = self.profile.branches[self.rng.random_range(0..self.profile.branches.len())];
        let customer = if kind == InvoiceType::Intercompany {
            format!("IC-{}", self.profile.prefix)
        } else {
            format!("C{:05}", self.rng.random_range(1..=CUSTOMERS))
        };
        let seconds = self.rng.random_range(8 * 3600..19 * 3600);
        let posted_at = date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(seconds);
        let legacy = self.draw_fate(kind, day);
        Some(Invoice {
            id: format!("{}-{:08}", self.profile.prefix, number),
            date,
            posted_at,
            branch,
            customer,
            kind,
            lines,
            legacy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::companies::COMPANIES;
    use super::*;

    #[test]
    fn streams_are_deterministic_and_dated_in_order() {
        let a: Vec<_> = CompanyStream::new(COMPANIES[0].clone(), 0, 7, 2_000)
            .map(|i| {
                let net = i.net_cents();
                (i.id, i.date, net)
            })
            .collect();
        let b: Vec<_> = CompanyStream::new(COMPANIES[0].clone(), 0, 7, 2_000)
            .map(|i| {
                let net = i.net_cents();
                (i.id, i.date, net)
            })
            .collect();
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].1 <= w[1].1));
        let c: Vec<_> = CompanyStream::new(COMPANIES[0].clone(), 0, 8, 2_000)
            .map(|i| i.net_cents())
            .collect();
        assert_ne!(a.iter().map(|x| x.2).collect::<Vec<_>>(), c);
    }

    #[test]
    fn stops_near_the_target_line_count() {
        let lines: usize = CompanyStream::new(COMPANIES[1].clone(), 1, 1, 10_000)
            .map(|i| i.lines.len())
            .sum();
        assert!((10_000..10_010).contains(&lines), "{lines}");
    }
}
