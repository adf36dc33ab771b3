//! The demo's models in ClickHouse SQL (written for 18.16 and later: no trim functions, joins
//! with explicit strictness, GROUP BY spelled out). They compute what the DuckDB models do,
//! including the forgotten legacy rules; `bronze.`, `silver.`, `gold.` are pointed at the
//! workspace's databases when they run.

pub const MODELS: [(&str, &str); 6] = [
    (
        "silver/invoices.sql",
        r#"-- Invoice headers, one row per company and invoice, text cleaned and typed.
SELECT
    _company                                                                AS company,
    replaceRegexpAll(ifNull(invoice_id, ''), '^\\s+|\\s+$', '')             AS invoice_id,
    toDate(invoice_date)                                                    AS invoice_date,
    replaceRegexpAll(ifNull(branch, ''), '^\\s+|\\s+$', '')                 AS branch,
    replaceRegexpAll(ifNull(customer_id, ''), '^\\s+|\\s+$', '')            AS customer_id,
    upper(replaceRegexpAll(ifNull(invoice_type, ''), '^\\s+|\\s+$', ''))    AS invoice_type,
    toDateTime(posted_at)                                                   AS posted_at,
    -- The name is kept for the invoice print; the e-mail stays in bronze.
    replaceRegexpAll(ifNull(customer_name, ''), '^\\s+|\\s+$', '')          AS customer_name
FROM bronze.invoices
"#,
    ),
    (
        "silver/invoice_lines.sql",
        r#"-- Invoice lines with amounts as exact decimals.
SELECT
    _company                      AS company,
    ifNull(invoice_id, '')        AS invoice_id,
    line_no,
    product_id,
    quantity,
    toDecimal64(unit_price, 2)    AS unit_price,
    toDecimal64(net_amount, 2)    AS net_amount,
    toDecimal64(tax_amount, 2)    AS tax_amount
FROM bronze.invoice_lines
"#,
    ),
    (
        "silver/orders.sql",
        r#"-- Customer orders.
SELECT
    _company                      AS company,
    order_id,
    toDate(order_date)            AS order_date,
    branch,
    customer_id,
    upper(ifNull(status, ''))     AS status,
    toDecimal64(amount, 2)        AS amount
FROM bronze.orders
"#,
    ),
    (
        "gold/fct_sales.sql",
        r#"-- Revenue per invoice, net of tax.
-- Every invoice type is carried over from silver (see the revenue comparison).
SELECT
    company,
    invoice_id,
    invoice_date,
    toStartOfMonth(invoice_date)  AS month,
    branch,
    customer_id,
    invoice_type,
    sum(net_amount)               AS net_amount,
    sum(tax_amount)               AS tax_amount,
    count()                       AS lines
FROM silver.invoices
ALL INNER JOIN silver.invoice_lines USING (company, invoice_id)
GROUP BY company, invoice_id, invoice_date, month, branch, customer_id, invoice_type
"#,
    ),
    (
        "gold/sales_by_month.sql",
        r#"-- Monthly revenue per company and branch, for the board pack.
SELECT company, month, branch, sum(net_amount) AS net_amount, count() AS invoices
FROM gold.fct_sales
GROUP BY company, month, branch
"#,
    ),
    (
        "gold/stock_value.sql",
        r#"-- Stock value per company, branch and month-end snapshot.
SELECT
    _company AS company,
    branch,
    toDate(snapshot_date)       AS snapshot_date,
    sum(on_hand * unit_cost)    AS stock_value
FROM bronze.stock
GROUP BY company, branch, snapshot_date
"#,
    ),
];
