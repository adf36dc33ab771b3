//! The flags that name what to compare, shared by `compare` and `explain`: a comparison of
//! assay.toml, or two sides given ad hoc with no config at all.

use std::path::PathBuf;

use crate::config::{CsvHints, DualAs, FixedColumn, LegacyKind, SheetRef, Workspace};
use crate::error::{Error, Result};
use crate::recon::report::{SideFormat, Spec};
use crate::recon::{adhoc, adhoc_delta, Rules};
use crate::store::Store;
use assay_engine::decimal::Exact;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct SideArgs {
    /// Ad hoc, no config needed: the legacy side, a file or glob (CSV, Parquet, JSON) or a
    /// table of the workspace (schema.table).
    #[arg(long, requires_all = ["new", "key"])]
    pub legacy: Option<String>,
    /// Ad hoc: the new side, a file, glob or schema.table.
    #[arg(long, requires = "legacy")]
    pub new: Option<String>,
    /// Ad hoc: read the legacy side's Delta table at this version (the latest by default).
    #[arg(long, value_name = "N", requires = "legacy")]
    pub legacy_version: Option<u64>,
    /// Ad hoc: read the new side's Delta table at this version (the latest by default).
    #[arg(long, value_name = "N", requires = "legacy")]
    pub new_version: Option<u64>,
    /// Ad hoc: key columns (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', requires = "legacy")]
    pub key: Vec<String>,
    /// Measures to total (ad hoc; for a configured comparison, picks one to explain).
    #[arg(long, value_delimiter = ',')]
    pub measure: Vec<String>,
    /// Ad hoc: dimensions to break the delta down by, outermost first (the nesting order).
    #[arg(long, value_delimiter = ',')]
    pub dimension: Vec<String>,
    /// Ad hoc: a legacy column and its new name, `old=new` (repeatable).
    #[arg(long = "map", value_parser = parse_mapping, value_name = "OLD=NEW", requires = "legacy")]
    pub map: Vec<(String, String)>,
    /// Ad hoc: absolute tolerance for numbers.
    #[arg(long, default_value = "0", value_parser = parse_tolerance)]
    pub tolerance: Exact,
    /// Ad hoc: the UTC offset of naive timestamps compared with TIMESTAMPTZ ones (+02:00).
    #[arg(long, value_parser = parse_offset, value_name = "OFFSET", requires = "legacy")]
    pub timezone: Option<String>,
    /// Only these companies (repeatable; configured comparisons).
    #[arg(long = "company", value_name = "ID")]
    pub company: Vec<String>,
    #[command(flatten)]
    pub formats: FormatArgs,
}

/// How each side's CSV files are written, when sniffing the first file is not enough.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FormatArgs {
    /// Ad hoc CSV: the legacy files' delimiter (`;`, `\t` for a tab). Sniffed when not given.
    #[arg(long, value_name = "CHAR")]
    pub legacy_delimiter: Option<String>,
    /// Ad hoc CSV: the legacy files' decimal mark (`.` or `,`). Sniffed when not given.
    #[arg(long, value_name = "MARK", value_parser = ["." , ","])]
    pub legacy_decimal: Option<String>,
    /// Ad hoc CSV: the legacy files' date format (`%d/%m/%Y`). Sniffed when not given.
    #[arg(long, value_name = "FORMAT", value_parser = parse_date_format)]
    pub legacy_date_format: Option<String>,
    /// Ad hoc CSV: the legacy files' encoding. Sniffed when not given (latin-1 for bytes
    /// that are not UTF-8, UTF-16 by its byte-order mark).
    #[arg(long, value_name = "NAME", value_parser = ["utf-8", "utf-16", "latin-1", "cp1252", "windows-1252"])]
    pub legacy_encoding: Option<String>,
    /// Ad hoc CSV: a legacy header and the column name to use, `OLD=NEW` (repeatable).
    #[arg(long, value_parser = parse_mapping, value_name = "OLD=NEW")]
    pub legacy_header_rename: Vec<(String, String)>,
    /// Ad hoc spreadsheet (xlsx, xlsm, xls, xlsb, ods): the legacy sheet, by name or 1-based
    /// number (default: the first).
    #[arg(long, value_name = "NAME|N")]
    pub legacy_sheet: Option<String>,
    /// Ad hoc spreadsheet: the legacy cells to read, like `A3:F200` (default: all used).
    #[arg(long, value_name = "A1:B2")]
    pub legacy_range: Option<String>,
    /// Ad hoc spreadsheet: rows of legacy header (2 flattens a merged group header).
    #[arg(long, value_name = "N")]
    pub legacy_header_rows: Option<u32>,
    /// Ad hoc fixed-width text: the legacy columns, `name:width` (after the column before)
    /// or `name:start-end` (1-based characters), comma-separated; `--legacy-header-rows`
    /// lines above the data are skipped.
    #[arg(long, value_name = "SPEC", value_parser = parse_fixed_width)]
    pub legacy_fixed_width: Option<Layout>,
    /// Ad hoc Qlik QVD: read a dual value (a number with its shown text) as its number
    /// (default; date fields as ISO dates) or as its text.
    #[arg(long, value_name = "AS", value_parser = ["number", "text"])]
    pub legacy_dual: Option<String>,
    /// Ad hoc: what the legacy files are when their extension does not say (`csv`, `xlsx`
    /// for any workbook, told apart by content, or `qvd`).
    #[arg(long, value_name = "KIND", value_enum)]
    pub legacy_format: Option<LegacyFormatArg>,
    /// Ad hoc spreadsheet: the new side's sheet, by name or 1-based number.
    #[arg(long, value_name = "NAME|N")]
    pub new_sheet: Option<String>,
    /// Ad hoc CSV: the new files' delimiter.
    #[arg(long, value_name = "CHAR")]
    pub new_delimiter: Option<String>,
    /// Ad hoc CSV: the new files' decimal mark.
    #[arg(long, value_name = "MARK", value_parser = ["." , ","])]
    pub new_decimal: Option<String>,
    /// Ad hoc CSV: the new files' date format.
    #[arg(long, value_name = "FORMAT", value_parser = parse_date_format)]
    pub new_date_format: Option<String>,
    /// Ad hoc CSV: the new files' encoding.
    #[arg(long, value_name = "NAME", value_parser = ["utf-8", "utf-16", "latin-1", "cp1252", "windows-1252"])]
    pub new_encoding: Option<String>,
    /// Ad hoc CSV: a new-side header and the column name to use, `OLD=NEW` (repeatable).
    #[arg(long, value_parser = parse_mapping, value_name = "OLD=NEW")]
    pub new_header_rename: Vec<(String, String)>,
}

impl FormatArgs {
    /// The hints given for one side (`legacy` or the new one).
    pub fn hints(&self, legacy: bool) -> CsvHints {
        let pick =
            |l: &Option<String>, n: &Option<String>| if legacy { l.clone() } else { n.clone() };
        let renames = if legacy {
            &self.legacy_header_rename
        } else {
            &self.new_header_rename
        };
        CsvHints {
            delimiter: pick(&self.legacy_delimiter, &self.new_delimiter),
            decimal: pick(&self.legacy_decimal, &self.new_decimal),
            date_format: pick(&self.legacy_date_format, &self.new_date_format),
            encoding: pick(&self.legacy_encoding, &self.new_encoding),
            rename: renames.iter().cloned().collect(),
            sheet: pick(&self.legacy_sheet, &self.new_sheet).map(|s| match s.parse() {
                Ok(n) => SheetRef::Number(n),
                Err(_) => SheetRef::Name(s),
            }),
            range: if legacy {
                self.legacy_range.clone()
            } else {
                None
            },
            header_rows: if legacy {
                self.legacy_header_rows
            } else {
                None
            },
            fixed_width: self
                .legacy_fixed_width
                .clone()
                .filter(|_| legacy)
                .map(|l| l.0),
            kind: self.legacy_format.filter(|_| legacy).map(|k| match k {
                LegacyFormatArg::Csv => LegacyKind::Csv,
                LegacyFormatArg::Xlsx => LegacyKind::Xlsx,
                LegacyFormatArg::Qvd => LegacyKind::Qvd,
            }),
            dual: match self.legacy_dual.as_deref().filter(|_| legacy) {
                Some("text") => Some(DualAs::Text),
                Some(_) => Some(DualAs::Number),
                None => None,
            },
        }
    }
}

/// `--legacy-format`'s values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LegacyFormatArg {
    Csv,
    Xlsx,
    Qvd,
}

/// A fixed-width layout as one flag value (clap would take a bare Vec for many values).
#[derive(Debug, Clone)]
pub struct Layout(Vec<FixedColumn>);

fn parse_fixed_width(text: &str) -> std::result::Result<Layout, String> {
    crate::config::fixed::parse_spec(text).map(Layout)
}

fn parse_offset(text: &str) -> std::result::Result<String, String> {
    crate::config::offset_minutes(text)
        .map(|_| text.to_string())
        .ok_or_else(|| format!("`{text}` is not UTC or an offset like +02:00"))
}

/// A strptime format whose every field DuckDB reads.
fn parse_date_format(text: &str) -> std::result::Result<String, String> {
    crate::config::date_fields_known(text)
        .map(|_| text.to_string())
        .map_err(|field| {
            format!("`{field}` is not a date field DuckDB reads (%Y %m %d %H %M %S, %b, %y…)")
        })
}

fn parse_mapping(text: &str) -> std::result::Result<(String, String), String> {
    text.split_once('=')
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| format!("`{text}` is not OLD=NEW"))
}

impl SideArgs {
    pub fn is_adhoc(&self) -> bool {
        self.legacy.is_some()
    }
}

/// The folder an invocation works in: `-C DIR` or the current one.
pub fn base_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    match dir {
        Some(d) => Ok(d),
        None => std::env::current_dir().map_err(|e| Error::Runtime(format!("current folder: {e}"))),
    }
}

/// The cache an ad hoc compare runs in: the workspace's when there is one (for its tables),
/// an in-memory one otherwise.
pub fn adhoc_store(base: &std::path::Path) -> Result<Store> {
    match Workspace::discover(base) {
        // Ad hoc sides become scratch files or temporary tables: the cache is only read.
        Ok(ws) => super::open_cache(&ws, crate::store::Access::Read, None),
        Err(_) => {
            let store = Store::in_memory()?;
            // Ctrl-C interrupts its statements as it does the workspace cache's.
            super::interrupt().register(store.interrupt_handle());
            super::cap_memory(&store)?;
            Ok(store)
        }
    }
}

/// Both sides from the flags alone. CSV and JSON sides are read once (into Parquet scratch
/// files, or temporary tables), so the several passes of a compare do not parse them again.
pub fn adhoc_spec(
    store: &Store,
    args: &SideArgs,
    base: &std::path::Path,
) -> Result<(Spec, Vec<SideFormat>)> {
    let conn = store.conn();
    let mut formats = Vec::new();
    let mut read = |spec: Option<&str>, role: &str, legacy: bool| -> Result<_> {
        let spec = spec.unwrap_or_default();
        let version = if legacy {
            args.legacy_version
        } else {
            args.new_version
        };
        if let Some(dir) = adhoc_delta::table_dir(spec, base) {
            let (relation, read) = adhoc_delta::side(conn, &dir, role, version)?;
            eprintln!("note: {role} side {spec} is a Delta table, read at version {read}");
            return Ok(relation);
        }
        if version.is_some() {
            return Err(Error::Usage(format!(
                "--{role}-version: {spec} is not a Delta table (it has no _delta_log folder)"
            )));
        }
        let side = adhoc::side(conn, spec, base, role, &args.formats.hints(legacy))?;
        // What was assumed is said, so a wrong guess is seen (and overridden by a flag).
        if let Some(format) = side.format {
            eprintln!(
                "note: {role} side {spec} read with {} (--{role}-delimiter, --{role}-decimal, … set it)",
                crate::legacy::sniff::describe(&format)
            );
            formats.push(SideFormat {
                side: role.to_string(),
                source: spec.to_string(),
                format,
            });
        }
        Ok(side.relation)
    };
    let legacy = read(args.legacy.as_deref(), "legacy", true)?;
    let new = read(args.new.as_deref(), "new", false)?;
    let spec = Spec {
        legacy,
        new,
        keys: args.key.clone(),
        map: args.map.clone(),
        measures: args.measure.clone(),
        dimensions: args.dimension.clone(),
        skip: Vec::new(),
        dimension_candidates: None,
        personal: Vec::new(),
        rules: Rules {
            absolute: args.tolerance,
            timezone: args.timezone.clone(),
            ..Rules::default()
        },
    };
    adhoc::check_measures(
        conn,
        &spec,
        [
            args.legacy.as_deref().unwrap_or_default(),
            args.new.as_deref().unwrap_or_default(),
        ],
    )?;
    Ok((spec, formats))
}

/// A tolerance is an exact decimal ≥ 0 (`0.29` is 29 cents, not 0.28999…): NaN,
/// infinities and negatives would reach the comparison as nonsense.
fn parse_tolerance(text: &str) -> Result<Exact, String> {
    let value = assay_engine::decimal::setting::parse(text)?;
    if value.is_negative() {
        return Err(format!("`{text}`: a tolerance is a number of 0 or more"));
    }
    Ok(value)
}
