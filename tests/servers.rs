//! Extraction from the real PostgreSQL and MariaDB servers of this machine (127.0.0.1,
//! started by scripts/test.sh): declared types survive, NULL and '' stay apart, awkward
//! text round-trips, and an unreachable server is a clear error.

mod common;

use common::*;

use std::path::Path;
use std::process::Command;

use mysql::prelude::Queryable;

fn csv(ws: &Path, sql: &str) -> String {
    sql_csv(ws, sql)
}

const ROWS: &str = "('acme', 1, 10.50, DATE '2024-01-31', 'plain'), \
    ('acme', 2, -3.25, DATE '2024-02-29', 'a, \"quoted\"\nline'), \
    ('acme', 3, NULL, NULL, ''), \
    ('acme', 4, 0.00, DATE '2023-12-31', NULL), \
    ('other', 5, 99.99, DATE '2024-03-01', 'not acme')";

fn workspace(kind: &str, port: u16, database: &str, user: &str, table: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[companies.acme]\nname = \"Acme\"\n\n\
         [sources.db]\nkind = \"{kind}\"\nhost = \"127.0.0.1\"\nport = {port}\ndatabase = \"{database}\"\nuser = \"{user}\"\n\n\
         [entities.sales]\nsource = \"db\"\nquery = \"SELECT id, amount, sold_on, note FROM {table} WHERE company = {{company}} ORDER BY id\"\nkeys = [\"id\"]\n"
    );
    std::fs::write(dir.path().join("assay.toml"), config).unwrap();
    dir
}

fn check_loaded(ws: &Path) {
    let out = assay(ws, &["extract", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let types = csv(ws, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'sales__data' AND column_name IN ('amount', 'sold_on') ORDER BY 1");
    assert_eq!(
        types,
        "column_name,data_type\namount,\"DECIMAL(12,2)\"\nsold_on,DATE\n"
    );
    let rows = csv(ws, "SELECT id, amount, sold_on, note IS NULL AS note_null, length(note) AS len FROM bronze.sales ORDER BY id");
    assert_eq!(rows, "id,amount,sold_on,note_null,len\n1,10.50,2024-01-31,false,5\n2,-3.25,2024-02-29,false,16\n3,,,false,0\n4,0.00,2023-12-31,true,\n");
    assert_eq!(
        csv(ws, "SELECT note FROM bronze.sales WHERE id = 2"),
        "note\n\"a, \"\"quoted\"\"\nline\"\n"
    );
    assert_eq!(
        csv(
            ws,
            "SELECT count(*) AS n FROM bronze.sales WHERE _source LIKE 'db: SELECT%'"
        ),
        "n\n4\n"
    );
    // No staged file is left behind.
    let tmp = ws.join(".assay/tmp");
    assert!(!tmp.exists() || std::fs::read_dir(&tmp).unwrap().next().is_none());
}

#[test]
fn postgres_rows_arrive_typed_and_exact() {
    let table = unique("assay_pg_sales");
    let mut pg = postgres::Client::connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test",
        postgres::NoTls,
    )
    .expect("PostgreSQL on 127.0.0.1:5432 (scripts/test.sh starts it)");
    pg.batch_execute(&format!(
        "CREATE TABLE {table} (company text, id int, amount numeric(12,2), sold_on date, note text); INSERT INTO {table} VALUES {ROWS}"
    ))
    .unwrap();
    let ws = workspace("postgres", 5432, "test", "postgres", &table);
    check_loaded(ws.path());
    pg.batch_execute(&format!("DROP TABLE {table}")).unwrap();
}

#[test]
fn mariadb_rows_arrive_typed_and_exact() {
    let table = unique("assay_my_sales");
    let mut my =
        mysql::Conn::new(mysql::Opts::from_url("mysql://root@127.0.0.1:3306/test").unwrap())
            .expect("MariaDB on 127.0.0.1:3306 (scripts/test.sh starts it)");
    my.query_drop(format!(
        "CREATE TABLE {table} (company varchar(20), id int, amount decimal(12,2), sold_on date, note text)"
    ))
    .unwrap();
    my.query_drop(format!(
        "INSERT INTO {table} VALUES {}",
        ROWS.replace("DATE '", "'")
    ))
    .unwrap();
    let ws = workspace("mysql", 3306, "test", "root", &table);
    check_loaded(ws.path());
    my.query_drop(format!("DROP TABLE {table}")).unwrap();
}

#[test]
fn an_unreachable_server_is_named_and_nothing_is_loaded() {
    let ws = workspace("postgres", 5999, "test", "postgres", "nowhere");
    let out = assay(ws.path(), &["extract", "--all"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let message = text(&out);
    assert!(
        message.contains("sources.db: cannot connect to postgres at 127.0.0.1:5999"),
        "{message}"
    );
    assert_eq!(
        csv(
            ws.path(),
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'bronze'"
        ),
        "n\n0\n"
    );
}

#[test]
fn a_missing_password_variable_is_named_and_its_value_never_printed() {
    let ws = workspace("postgres", 5432, "test", "postgres", "nowhere");
    let path = ws.path().join("assay.toml");
    let cfg = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        cfg.replace(
            "user = \"postgres\"\n",
            "user = \"postgres\"\npassword_env = \"ASSAY_TEST_UNSET_PASSWORD\"\n",
        ),
    )
    .unwrap();
    let out = assay(ws.path(), &["extract", "--all"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out).contains(
            "sources.db.password_env: environment variable ASSAY_TEST_UNSET_PASSWORD is not set"
        ),
        "{}",
        text(&out)
    );
    let secret = "s3cr3t-value-never-shown";
    let shown = Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(ws.path())
        .env("ASSAY_TEST_UNSET_PASSWORD", secret)
        .args(["extract", "--all"])
        .output()
        .unwrap();
    assert!(!text(&shown).contains(secret), "{}", text(&shown));
}
