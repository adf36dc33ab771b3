//! A configured table read for one company: an entity's or a legacy export's `table` folder
//! under its source's root (`{company}` in it names one table per company), or one table of
//! every company with a `company_column` picking the company's rows.

use std::path::Path;

use super::{At, Filter, Named, Table};
use crate::error::Result;

/// How a configuration names a table: the folder template, the column saying whose each
/// row is (when one table holds every company's), and the prefix of its settings
/// (`entities.invoices`, `legacy.sales`) for messages.
pub struct Configured<'a> {
    pub folder: &'a str,
    pub company_column: Option<&'a str>,
    pub prefix: &'a str,
}

/// The company's table under `root`, opened at `at`, and the filter taking its rows; a
/// company column the table lacks is named here, before anything is read.
pub fn open_for(
    root: &Path,
    named: &Configured,
    company: &str,
    at: &At,
) -> Result<(Table, Option<Filter>)> {
    let path = root.join(named.folder.replace("{company}", company));
    let table = Table::open(&path, at, &Named::under(named.prefix))?;
    let filter = named.company_column.map(|c| Filter {
        column: c.to_string(),
        value: company.to_string(),
        setting: format!("{}.company_column", named.prefix),
    });
    if let Some(f) = &filter {
        table.check(f)?;
    }
    Ok((table, filter))
}
