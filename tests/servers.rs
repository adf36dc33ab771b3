//! Extraction from the real PostgreSQL, MariaDB and ClickHouse servers of this machine
//! (127.0.0.1, started by scripts/test.sh): declared types survive, NULL and '' stay apart,
//! awkward text round-trips, and an unreachable or slow server is a clear error.

mod common;

use common::*;

use std::path::Path;
use std::process::Command;

use assay_engine::config::Warehouse;
use assay_engine::warehouse::ClickHouse;
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

/// A ClickHouse database of its own for one test, and a workspace reading `table` in it.
fn clickhouse_workspace(db: &str, table: &str, extra: &str) -> tempfile::TempDir {
    let ws = workspace("clickhouse", 8123, db, "default", table);
    let path = ws.path().join("assay.toml");
    let cfg = std::fs::read_to_string(&path).unwrap().replace(
        "host = \"127.0.0.1\"\nport = 8123\n",
        &format!("url = \"http://127.0.0.1:8123\"\n{extra}"),
    );
    std::fs::write(&path, cfg).unwrap();
    ws
}

fn clickhouse_admin() -> ClickHouse {
    ClickHouse::connect(&Warehouse::clickhouse(
        "http://127.0.0.1:8123",
        "default",
        30,
    ))
    .expect("ClickHouse on 127.0.0.1:8123 (scripts/test.sh starts it)")
}

#[test]
fn clickhouse_rows_arrive_typed_and_exact() {
    let db = unique("assay_ch_source");
    let ch = clickhouse_admin();
    ch.execute(&format!("CREATE DATABASE {db}")).unwrap();
    ch.execute(&format!(
        "CREATE TABLE {db}.sales (company String, id Int32, amount Nullable(Decimal(12, 2)), \
         sold_on Nullable(Date), note Nullable(String)) ENGINE = MergeTree ORDER BY id"
    ))
    .unwrap();
    ch.execute(&format!(
        "INSERT INTO {db}.sales VALUES {}",
        ROWS.replace("DATE '", "'")
    ))
    .unwrap();
    let ws = clickhouse_workspace(&db, "sales", "");
    check_loaded(ws.path());
    ch.execute(&format!("DROP DATABASE {db}")).unwrap();
}

#[test]
fn a_clickhouse_source_names_its_settings_and_kills_a_slow_query() {
    let ws = clickhouse_workspace("default", "t", "");
    let path = ws.path().join("assay.toml");
    let cfg = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, cfg.replace(":8123", ":8999")).unwrap();
    let out = assay(ws.path(), &["extract", "--all"]);
    exited_saying(
        &out,
        3,
        "cannot reach ClickHouse at http://127.0.0.1:8999 (sources.db.url)",
    );

    let ws = clickhouse_workspace("no_such_db_here", "t", "");
    let out = assay(ws.path(), &["extract", "--all"]);
    assert!(
        text(&out).contains("sources.db.database: ClickHouse at http://127.0.0.1:8123 has no database `no_such_db_here`"),
        "{}",
        text(&out)
    );

    // A query that would run for minutes: stopped at timeout_secs and killed on the server.
    let marker = unique("slow_marker");
    let ws = clickhouse_workspace("default", "t", "timeout_secs = 2\n");
    let path = ws.path().join("assay.toml");
    let cfg = std::fs::read_to_string(&path).unwrap();
    let slow = format!(
        "SELECT 1 AS id, '{marker}' AS note, sum(cityHash64(number)) AS amount, {{company}} AS company \
         FROM numbers(100000000000) WHERE company != ''"
    );
    let cfg = cfg
        .lines()
        .map(|l| {
            if l.starts_with("query = ") {
                format!("query = {:?}", slow)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&path, cfg).unwrap();
    let started = std::time::Instant::now();
    let out = assay(ws.path(), &["extract", "--all"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    exited_saying(&out, 3, "sources.db.timeout_secs");
    let ch = clickhouse_admin();
    let running = |ch: &ClickHouse| {
        ch.query_number(&format!(
            "SELECT count() FROM system.processes WHERE query LIKE '%{marker}%' \
             AND query NOT LIKE '%system.processes%'"
        ))
        .unwrap()
        .0
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while running(&ch) > 0 && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(running(&ch), 0, "the slow query still runs on the server");
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

/// Before: a source given by `url_env` was named `localhost:default port` (the unset
/// host/port settings) and the server's refusal was only "db error".
#[test]
fn a_url_env_source_is_named_by_its_url_with_the_servers_reason() {
    let ws = workspace("postgres", 5432, "test", "postgres", "nowhere");
    let path = ws.path().join("assay.toml");
    let cfg = std::fs::read_to_string(&path).unwrap().replace(
        "host = \"127.0.0.1\"\nport = 5432\n",
        "url_env = \"ASSAY_TEST_PG_URL\"\n",
    );
    std::fs::write(&path, cfg).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(ws.path())
        .env(
            "ASSAY_TEST_PG_URL",
            "postgres://postgres:s3cret@127.0.0.1:5432/assay_no_such_db",
        )
        .args(["extract", "--all"])
        .output()
        .unwrap();
    exited_saying(
        &out,
        3,
        "cannot connect to postgres at 127.0.0.1:5432/assay_no_such_db (sources.db.url_env)",
    );
    assert!(
        text(&out).contains("database \"assay_no_such_db\" does not exist"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("s3cret"), "{}", text(&out));
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
    failed_saying(
        &out,
        "sources.db.password_env: environment variable ASSAY_TEST_UNSET_PASSWORD is not set",
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
