//! Cache schema versions. Each migration moves the cache one version up, inside the same
//! transaction as the version bump, so a cache is always at exactly one known version.

use duckdb::Connection;

use crate::error::{Error, Result};

/// Ordered migrations; the cache's `schema_version` is how many of them have run.
pub const MIGRATIONS: &[&str] = &[
    // v1: the layer schemas, the meta table and the run log.
    r#"
    CREATE SCHEMA IF NOT EXISTS legacy;
    CREATE SCHEMA IF NOT EXISTS bronze;
    CREATE SCHEMA IF NOT EXISTS silver;
    CREATE SCHEMA IF NOT EXISTS gold;
    CREATE SCHEMA IF NOT EXISTS assay;
    CREATE TABLE assay.meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    CREATE SEQUENCE assay.run_ids START 1;
    CREATE TABLE assay.runs (
        id BIGINT PRIMARY KEY DEFAULT nextval('assay.run_ids'),
        kind VARCHAR NOT NULL,
        company VARCHAR,
        entity VARCHAR,
        started TIMESTAMP NOT NULL,
        finished TIMESTAMP,
        status VARCHAR NOT NULL,
        rows BIGINT,
        error VARCHAR
    );
    "#,
    // v2: table versions (which run's slice is current) and each run's source schema.
    r#"
    CREATE TABLE assay.table_versions (
        layer VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        company VARCHAR NOT NULL,
        run_id BIGINT NOT NULL,
        created TIMESTAMP NOT NULL,
        rows BIGINT NOT NULL,
        is_current BOOLEAN NOT NULL,
        PRIMARY KEY (layer, table_name, company, run_id)
    );
    CREATE TABLE assay.run_columns (
        run_id BIGINT NOT NULL,
        ordinal INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        PRIMARY KEY (run_id, ordinal)
    );
    ALTER TABLE assay.runs ADD COLUMN source VARCHAR;
    "#,
    // v3: what each legacy export import was made from, to skip unchanged files.
    r#"
    CREATE TABLE assay.legacy_imports (
        export VARCHAR NOT NULL,
        company VARCHAR NOT NULL,
        fingerprint VARCHAR NOT NULL,
        rows BIGINT NOT NULL,
        imported TIMESTAMP NOT NULL,
        PRIMARY KEY (export, company)
    );
    "#,
    // v4: rows per company of each build (a model's table holds every company's rows);
    // company '*' marks a model with no company column, whose rows are the table's.
    r#"
    CREATE TABLE assay.run_company_rows (
        run_id BIGINT NOT NULL,
        company VARCHAR NOT NULL,
        rows BIGINT NOT NULL,
        PRIMARY KEY (run_id, company)
    );
    "#,
    // v5: data test verdicts, per run × test × company, with up to five failing rows.
    r#"
    CREATE TABLE assay.test_results (
        run_id BIGINT NOT NULL,
        test VARCHAR NOT NULL,
        company VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        failing BIGINT NOT NULL,
        samples VARCHAR NOT NULL,
        error VARCHAR,
        PRIMARY KEY (run_id, test, company)
    );
    "#,
    // v6: the schema and volume alerts someone acknowledged (keyed by the extraction run).
    r#"
    CREATE TABLE assay.acknowledged (
        company VARCHAR NOT NULL,
        entity VARCHAR NOT NULL,
        run_id BIGINT NOT NULL,
        acknowledged_by VARCHAR NOT NULL,
        acknowledged_at TIMESTAMP NOT NULL,
        PRIMARY KEY (company, entity, run_id)
    );
    "#,
    // v7: each time someone chose to see personal data unmasked, and the salt that keys
    // the hashes personal values are shown as (random per workspace, so a table of hashed
    // e-mail addresses cannot undo them).
    r#"
    CREATE TABLE assay.reveals (
        revealed_at TIMESTAMP NOT NULL,
        revealed_by VARCHAR NOT NULL,
        place VARCHAR NOT NULL,
        what VARCHAR NOT NULL
    );
    INSERT INTO assay.meta
        SELECT 'pii_salt', md5(CAST(gen_random_uuid() AS VARCHAR))
        WHERE NOT EXISTS (SELECT 1 FROM assay.meta WHERE key = 'pii_salt');
    "#,
    // v8: what each extraction of files read (their fingerprint), so the next one can skip
    // files that have not changed.
    r#"
    CREATE TABLE assay.run_inputs (
        run_id BIGINT PRIMARY KEY,
        fingerprint VARCHAR NOT NULL
    );
    "#,
];

pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// The cache's schema version: None for a database with no assay catalog at all.
pub fn current_version(conn: &Connection) -> Result<Option<u32>> {
    let has_meta: bool = conn.query_row(
        "SELECT count(*) > 0 FROM information_schema.tables \
         WHERE table_schema = 'assay' AND table_name = 'meta'",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(None);
    }
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM assay.meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            duckdb::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })?;
    match version {
        None => Ok(Some(0)),
        Some(v) => v.parse().map(Some).map_err(|_| {
            Error::CacheVersion(format!("the cache's schema_version `{v}` is not a number"))
        }),
    }
}

/// True when the database holds tables of its own (not an empty file).
pub fn has_user_tables(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT count(*) > 0 FROM information_schema.tables \
         WHERE table_catalog = current_database() AND table_schema NOT IN ('information_schema', 'pg_catalog')",
        [],
        |r| r.get(0),
    )?)
}

/// Run migrations `from+1 ..= to`, each in its own transaction with its version bump.
pub fn migrate(conn: &Connection, from: u32, to: u32) -> Result<()> {
    for version in from + 1..=to {
        let sql = MIGRATIONS[(version - 1) as usize];
        let bump = format!(
            "INSERT OR REPLACE INTO assay.meta VALUES ('schema_version', '{version}'), \
             ('written_by', {});",
            crate::sql::literal(env!("CARGO_PKG_VERSION"))
        );
        let batch = format!("BEGIN TRANSACTION;\n{sql}\n{bump}\nCOMMIT;");
        if let Err(e) = conn.execute_batch(&batch) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(Error::Runtime(format!(
                "migrating the cache to schema v{version} failed (it stays at v{}): {e}",
                version - 1
            )));
        }
    }
    Ok(())
}
