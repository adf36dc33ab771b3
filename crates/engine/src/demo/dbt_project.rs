//! `assay demo --dbt`: the demo's silver and gold models as a dbt project (`dbt/`), built by
//! dbt-duckdb into the workspace's cache (its path comes from `ASSAY_CACHE`, which `assay
//! build` sets), so compare and explain read the dbt-built gold exactly where the native
//! build puts it. Sources are the bronze views (with dbt freshness settings), `bronze.x`
//! becomes `{{ source('bronze', 'x') }}` and `silver.x`/`gold.x` become `{{ ref('x') }}`,
//! and a few schema tests say what a team would check.

use std::path::Path;

use crate::build::models::table_references;
use crate::error::Result;

const PROJECT: &str = r#"name: assay_demo
version: "1.0.0"
config-version: 2
profile: assay_demo
model-paths: ["models"]
macro-paths: ["macros"]

models:
  assay_demo:
    +materialized: table
    silver:
      +schema: silver
    gold:
      +schema: gold
"#;

/// The cache is the database: `assay build` runs dbt with ASSAY_CACHE set to its path.
const PROFILES: &str = r#"assay_demo:
  target: cache
  outputs:
    cache:
      type: duckdb
      path: "{{ env_var('ASSAY_CACHE') }}"
      threads: 1
"#;

/// Layers are schemas named as they are (dbt would write `main_gold`).
const SCHEMA_NAME: &str = r#"{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
"#;

const SOURCES: &str = r#"version: 2

sources:
  - name: bronze
    schema: bronze
    loaded_at_field: _loaded_at
    freshness:
      warn_after: {count: 26, period: hour}
      error_after: {count: 3, period: day}
    tables:
      - name: invoices
      - name: invoice_lines
      - name: orders
      - name: stock
"#;

const TESTS: &str = r#"version: 2

models:
  - name: invoices
    columns:
      - name: invoice_id
        data_tests: [not_null]
  - name: fct_sales
    columns:
      - name: invoice_id
        data_tests: [not_null]
      - name: net_amount
        data_tests: [not_null]
"#;

/// A model's SQL with its layer references written as dbt's `source` and `ref`.
pub fn jinja_sql(sql: &str) -> String {
    let mut out = sql.to_string();
    for table in table_references(sql) {
        let Some((layer, name)) = table.split_once('.') else {
            continue;
        };
        let jinja = match layer {
            "bronze" => format!("{{{{ source('bronze', '{name}') }}}}"),
            _ => format!("{{{{ ref('{name}') }}}}"),
        };
        out = replace_table(&out, &table, &jinja);
    }
    out
}

/// `text` with each whole-word `table` replaced (`silver.invoices` is not `silver.invoices_x`).
fn replace_table(text: &str, table: &str, with: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(table) {
        let before = match at {
            0 => out.chars().last(),
            _ => rest[..at].chars().last(),
        };
        let after = rest[at + table.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(table);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + table.len()..];
    }
    out.push_str(rest);
    out
}

/// Write `dbt/` under `root` with `models` ((layer/name.sql, SQL) pairs).
pub fn write(root: &Path, models: &[(&str, &str)]) -> Result<()> {
    let dir = root.join("dbt");
    super::write_text(&dir.join("dbt_project.yml"), PROJECT)?;
    super::write_text(&dir.join("profiles.yml"), PROFILES)?;
    super::write_text(&dir.join("macros/generate_schema_name.sql"), SCHEMA_NAME)?;
    super::write_text(&dir.join("models/sources.yml"), SOURCES)?;
    super::write_text(&dir.join("models/schema.yml"), TESTS)?;
    for (path, sql) in models {
        super::write_text(&dir.join("models").join(path), &jinja_sql(sql))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_references_become_sources_and_refs() {
        let sql = "SELECT * FROM silver.invoices AS i JOIN silver.invoice_lines USING (id)\n\
                   JOIN bronze.stock s ON true -- silver.invoices_old is not read\n";
        let out = jinja_sql(sql);
        assert!(out.contains("FROM {{ ref('invoices') }} AS i"), "{out}");
        assert!(
            out.contains("JOIN {{ ref('invoice_lines') }} USING"),
            "{out}"
        );
        assert!(
            out.contains("JOIN {{ source('bronze', 'stock') }} s"),
            "{out}"
        );
        assert!(out.contains("silver.invoices_old"), "{out}");
    }
}
