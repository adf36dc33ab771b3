//! The text files of a demo workspace: its `assay.toml` and the SQL models.

use super::companies::{ExportStyle, Profile};
use super::sheets::LegacyFormat;

/// The demo's `assay.toml`. Written by hand (not serialised) so it reads like a config a
/// person keeps, with comments saying why each unusual line is there.
pub fn config_toml(opts: &super::DemoOptions, companies: &[Profile]) -> String {
    let (seed, rows, legacy) = (opts.seed, opts.rows, opts.legacy_format);
    let layers = match opts.dbt {
        true => {
            "# dbt builds silver and gold: `assay build` runs `dbt build` in dbt/ and reads\n\
                 # its manifest and run results.\ndbt_project = \"dbt\""
        }
        false => "models = \"models\"",
    };
    let mut warehouse = match opts.clickhouse.as_ref() {
        Some((url, database)) => format!(
            "# bronze, silver and gold live in ClickHouse (databases {database}_bronze, …);\n\
             # the cache keeps the catalog and the legacy imports.\n\
             kind = \"clickhouse\"\nurl = {url:?}\ndatabase = {database:?}"
        ),
        None => "kind = \"duckdb\"".to_string(),
    };
    if let Some((name, shards)) = &opts.cluster {
        warehouse.push_str(&format!(
            "\n# Spread over the shards of cluster {name}, by company: each shard's rows in\n\
             # <layer>_shard databases, read through Distributed tables of the layers' names.\n\
             cluster = {name:?}\nshards = {shards:?}"
        ));
    }
    let mut t = String::new();
    t.push_str(&format!(
        r#"# assay demo workspace (seed {seed}, {rows} invoice lines).
# The legacy exports exclude cancelled and intercompany invoices; the gold model does not,
# so gold revenue is about 4 % higher than legacy. Find out why with `assay explain revenue`.

[workspace]
name = "Demo retail group"
parallelism = 4
retention = 3

[warehouse]
{warehouse}

[layers]
{layers}

[freshness]
warn_after = "26h"
error_after = "3d"

"#
    ));
    for c in companies {
        let branches: Vec<String> = c.branches.iter().map(|b| format!("\"{b}\"")).collect();
        t.push_str(&format!(
            "[companies.{}]\nname = \"{}\"\nbranches = [{}]\n\n",
            c.id,
            c.name,
            branches.join(", ")
        ));
    }
    t.push_str(
        r#"[sources.erp_files]
kind = "files"
root = "sources/files"

[sources.erp_db]
kind = "duckdb"
path = "sources/erp.duckdb"

[entities.invoices]
source = "erp_files"
files = "{company}/invoices_*.csv"
keys = ["invoice_id"]
pii = ["customer_name", "customer_email"]   # personal data: masked wherever it is shown

[entities.invoices.overrides.nordwind]
rename = { customerId = "customer_id" }   # Nordwind's ERP spells it customerId

[entities.invoice_lines]
source = "erp_db"
query = "SELECT * EXCLUDE (company_id) FROM invoice_lines WHERE company_id = {company}"
keys = ["invoice_id", "line_no"]

[entities.orders]
source = "erp_files"
files = "{company}/orders_*.csv"
keys = ["order_id"]
warn_after = "2d"
error_after = "7d"

[entities.stock]
source = "erp_db"
query = "SELECT * EXCLUDE (company_id) FROM stock WHERE company_id = {company}"
keys = ["branch", "product_id", "snapshot_date"]

"#,
    );
    if legacy == LegacyFormat::Qvd {
        t.push_str(
            r#"[legacy.sales]                 # the retired Qlik app's QVD files, one per company and year
files = "legacy/{company}/sales_*.qvd"

[legacy.sales.format]
dual = "number"                # a dual value (a date, an amount shown as 1.234,50) read as its number

"#,
        );
    } else if legacy == LegacyFormat::Xlsx {
        t.push_str(
            r#"[legacy.sales]                 # one workbook per company and year
files = "legacy/{company}/sales_*.xlsx"

[legacy.sales.format]
sheet = "{company}"            # each workbook's sheet is named after its company

"#,
        );
    } else {
        t.push_str(
            r#"[legacy.sales]
files = "legacy/{company}/sales_*.csv"

[legacy.sales.format]
delimiter = ","
decimal = "."
date_format = "%Y-%m-%d"
encoding = "utf-8"

"#,
        );
    }
    for c in companies {
        match c.export {
            ExportStyle::European if legacy == LegacyFormat::Csv => t.push_str(&format!(
                "[legacy.sales.overrides.{}]   # exported from a French spreadsheet\ndelimiter = \";\"\ndecimal = \",\"\ndate_format = \"%d/%m/%Y\"\n\n",
                c.id
            )),
            ExportStyle::RenamedHeaders => t.push_str(&format!(
                "[legacy.sales.overrides.{}]   # the old BI tool's own column names\nrename = {{ InvoiceNumber = \"invoice_id\", Date = \"invoice_date\", Branch = \"branch\", Customer = \"customer_id\", Type = \"invoice_type\", Amount = \"net_amount\" }}\n\n",
                c.id
            )),
            _ => {}
        }
    }
    t.push_str(
        r#"[comparisons.revenue]
legacy = "sales"
table = "gold.fct_sales"
keys = ["invoice_id"]
measures = ["net_amount"]
dimensions = ["branch", "invoice_type", "month"]
period = "month"
skip = ["tax_amount", "lines"]
normalize_text = true
tolerance = { absolute = 1.0, relative = 0.0005 }
"#,
    );
    t
}

/// (relative path, SQL) of every model.
pub const MODELS: [(&str, &str); 6] = [
    (
        "silver/invoices.sql",
        r#"-- Invoice headers, one row per company and invoice, text cleaned and typed.
SELECT
    _company                          AS company,
    trim(invoice_id)                  AS invoice_id,
    CAST(invoice_date AS DATE)        AS invoice_date,
    trim(branch)                      AS branch,
    trim(customer_id)                 AS customer_id,
    upper(trim(invoice_type))         AS invoice_type,
    CAST(posted_at AS TIMESTAMP)      AS posted_at,
    -- The name is kept for the invoice print; the e-mail stays in bronze (silver keeps
    -- no contact data).
    trim(customer_name)               AS customer_name
FROM bronze.invoices
"#,
    ),
    (
        "silver/invoice_lines.sql",
        r#"-- Invoice lines with amounts as exact decimals.
SELECT
    _company                          AS company,
    invoice_id,
    line_no,
    product_id,
    quantity,
    CAST(unit_price AS DECIMAL(12, 2)) AS unit_price,
    CAST(net_amount AS DECIMAL(14, 2)) AS net_amount,
    CAST(tax_amount AS DECIMAL(14, 2)) AS tax_amount
FROM bronze.invoice_lines
"#,
    ),
    (
        "silver/orders.sql",
        r#"-- Customer orders.
SELECT
    _company                          AS company,
    order_id,
    CAST(order_date AS DATE)          AS order_date,
    branch,
    customer_id,
    upper(status)                     AS status,
    CAST(amount AS DECIMAL(14, 2))    AS amount
FROM bronze.orders
"#,
    ),
    (
        "gold/fct_sales.sql",
        r#"-- Revenue per invoice, net of tax.
-- Every invoice type is carried over from silver (see the revenue comparison).
SELECT
    i.company,
    i.invoice_id,
    i.invoice_date,
    date_trunc('month', i.invoice_date)::DATE AS month,
    i.branch,
    i.customer_id,
    i.invoice_type,
    sum(l.net_amount)                 AS net_amount,
    sum(l.tax_amount)                 AS tax_amount,
    count(*)                          AS lines
FROM silver.invoices AS i
JOIN silver.invoice_lines AS l USING (company, invoice_id)
GROUP BY ALL
"#,
    ),
    (
        "gold/sales_by_month.sql",
        r#"-- Monthly revenue per company and branch, for the board pack.
SELECT company, month, branch, sum(net_amount) AS net_amount, count(*) AS invoices
FROM gold.fct_sales
GROUP BY ALL
"#,
    ),
    (
        "gold/stock_value.sql",
        r#"-- Stock value per company, branch and month-end snapshot.
SELECT
    _company AS company,
    branch,
    CAST(snapshot_date AS DATE) AS snapshot_date,
    sum(on_hand * unit_cost)    AS stock_value
FROM bronze.stock
GROUP BY ALL
"#,
    ),
];
