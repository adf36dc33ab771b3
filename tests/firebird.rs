//! Firebird as a source, on the real server of this machine (Debian's 3.0 on 127.0.0.1:3050,
//! installed and started by scripts/test.sh with a user `assay` that may create databases):
//! per-company extraction with exact NUMERIC sums, declared types, character sets, a slow
//! query ended on the server at its timeout, a silent server, a wrong password.

mod common;

use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const PASSWORD_ENV: &str = "ASSAY_TEST_FB_PASSWORD";

/// A database of one test's own, dropped at the end.
struct FbDatabase {
    path: String,
}

impl FbDatabase {
    fn create(prefix: &str) -> FbDatabase {
        let db = FbDatabase {
            path: format!("/var/lib/firebird/3.0/data/{}.fdb", unique(prefix)),
        };
        let created = db.isql(&format!(
            "CREATE DATABASE 'localhost:{}' USER 'ASSAY' PASSWORD 'assay' DEFAULT CHARACTER SET UTF8;\n",
            db.path
        ));
        assert!(
            created.status.success() && stderr(&created).trim().is_empty(),
            "Firebird on 127.0.0.1:3050 with user assay (scripts/test.sh sets it up): {}",
            text(&created)
        );
        db
    }

    fn isql(&self, script: &str) -> Output {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), script).unwrap();
        Command::new("isql-fb")
            // The script is UTF-8: said, so text in a WIN1252 column is stored as written.
            .args(["-q", "-ch", "UTF8", "-i"])
            .arg(file.path())
            .output()
            .expect("isql-fb (firebird3.0-utils)")
    }

    /// Runs `sql` (statements ending in `;`) in this database and commits.
    fn run(&self, sql: &str) -> String {
        let out = self.isql(&format!(
            "CONNECT 'localhost:{}' USER 'ASSAY' PASSWORD 'assay';\n{sql}\nCOMMIT;\n",
            self.path
        ));
        assert!(
            out.status.success() && stderr(&out).trim().is_empty(),
            "{sql}: {}",
            text(&out)
        );
        stdout(&out)
    }
}

impl Drop for FbDatabase {
    fn drop(&mut self) {
        let _ = self.isql(&format!(
            "CONNECT 'localhost:{}' USER 'ASSAY' PASSWORD 'assay';\nDROP DATABASE;\n",
            self.path
        ));
    }
}

/// A workspace with companies acme and beta reading `query` from `db`.
fn workspace(db: &FbDatabase, query: &str, extra: &str) -> tempfile::TempDir {
    workspace_at(&db.path, 3050, query, extra)
}

fn workspace_at(database: &str, port: u16, query: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[workspace]\nparallelism = 1\n\n[companies.acme]\nname = \"Acme\"\n\n[companies.beta]\nname = \"Beta\"\n\n\
         [sources.fb]\nkind = \"firebird\"\nhost = \"127.0.0.1\"\nport = {port}\ndatabase = \"{database}\"\n\
         user = \"assay\"\npassword_env = \"{PASSWORD_ENV}\"\n{extra}\n\n\
         [entities.invoices]\nsource = \"fb\"\nquery = \"{query}\"\nkeys = [\"ID\"]\n"
    );
    std::fs::write(dir.path().join("assay.toml"), config).unwrap();
    dir
}

fn command(ws: &Path, password: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_assay"));
    c.current_dir(ws).args(args).env(PASSWORD_ENV, password);
    c
}

/// `assay extract --all` started, its output piped, for `finish`.
fn extracting(ws: &Path) -> std::process::Child {
    command(ws, "assay", &["extract", "--all"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn extract(ws: &Path) -> Output {
    command(ws, "assay", &["extract", "--all"])
        .output()
        .unwrap()
}

const INVOICES: &str = "CREATE TABLE invoices (company VARCHAR(10), id INTEGER NOT NULL, \
    amount NUMERIC(18,2), rate DECIMAL(9,4), sold_on DATE, stamped TIMESTAMP, \
    note VARCHAR(60), legacy_note VARCHAR(20) CHARACTER SET WIN1252, paid BOOLEAN);\n\
    INSERT INTO invoices VALUES ('acme', 1, 123456789012345.67, 1.2500, DATE '2024-01-31', TIMESTAMP '2024-01-31 10:11:12', 'plain', 'Café', TRUE);\n\
    INSERT INTO invoices VALUES ('acme', 2, 0.01, NULL, DATE '2024-02-29', NULL, 'a, \"quoted\"', 'Ünïcode', FALSE);\n\
    INSERT INTO invoices VALUES ('acme', 3, -3.25, 0.0001, NULL, NULL, '', NULL, NULL);\n\
    INSERT INTO invoices VALUES ('beta', 4, 99999999999999.99, 9.9999, DATE '2023-12-31', NULL, NULL, 'ß', TRUE);\n\
    INSERT INTO invoices VALUES ('beta', 5, 0.00, NULL, NULL, NULL, 'x', NULL, NULL);";

const QUERY: &str = "SELECT id, amount, rate, sold_on, stamped, note, legacy_note, paid \
    FROM invoices WHERE company = {company}";

#[test]
fn firebird_rows_arrive_per_company_typed_and_exact() {
    let db = FbDatabase::create("assay_fb_rows");
    db.run(INVOICES);
    let ws = workspace(&db, QUERY, "");
    let out = extract(ws.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ws = ws.path();
    // The catalogue's types, names as Firebird keeps them (unquoted: upper case).
    assert_eq!(
        sql_csv(
            ws,
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_name = 'invoices__data' AND column_name IN \
             ('ID', 'AMOUNT', 'RATE', 'SOLD_ON', 'STAMPED', 'NOTE', 'PAID') ORDER BY 1"
        ),
        "column_name,data_type\nAMOUNT,\"DECIMAL(18,2)\"\nID,INTEGER\nNOTE,VARCHAR\nPAID,BOOLEAN\n\
         RATE,\"DECIMAL(9,4)\"\nSOLD_ON,DATE\nSTAMPED,TIMESTAMP\n"
    );
    // Exact to the cent where a float would not be (17 significant digits).
    assert_eq!(
        sql_csv(
            ws,
            "SELECT _company, sum(amount)::VARCHAR AS total, count(*) AS n \
             FROM bronze.invoices GROUP BY 1 ORDER BY 1"
        ),
        "_company,total,n\nacme,123456789012342.43,3\nbeta,99999999999999.99,2\n"
    );
    assert_eq!(
        sql_csv(
            ws,
            "SELECT id, rate, sold_on, stamped::VARCHAR AS stamped, note IS NULL AS null_note, length(note) AS len, \
             legacy_note, paid FROM bronze.invoices ORDER BY id"
        ),
        "ID,RATE,SOLD_ON,stamped,null_note,len,LEGACY_NOTE,PAID\n\
         1,1.2500,2024-01-31,2024-01-31 10:11:12,false,5,Café,true\n\
         2,,2024-02-29,,false,11,Ünïcode,false\n\
         3,0.0001,,,false,0,,\n\
         4,9.9999,2023-12-31,,true,,ß,true\n\
         5,,,,false,1,,\n"
    );
    assert_eq!(
        sql_csv(ws, "SELECT note FROM bronze.invoices WHERE id = 2"),
        "NOTE\n\"a, \"\"quoted\"\"\"\n"
    );
    // The describing view was rolled back: nothing of assay's is left in the database.
    let left = db
        .run("SELECT count(*) FROM RDB$RELATIONS WHERE RDB$RELATION_NAME STARTING WITH 'ASSAY_D';");
    assert!(left.split_whitespace().last() == Some("0"), "{left}");
}

/// Statements of this test still running on the server, found by a marker in their text.
fn still_running(db: &FbDatabase, marker: &str) -> i64 {
    for _ in 0..50 {
        let out = db.run(&format!(
            "SELECT count(*) FROM MON$STATEMENTS WHERE MON$STATE = 1 \
             AND MON$SQL_TEXT CONTAINING '{marker}' \
             AND MON$ATTACHMENT_ID <> CURRENT_CONNECTION;"
        ));
        let n: i64 = out.split_whitespace().last().unwrap().parse().unwrap();
        if n == 0 {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    1
}

#[test]
fn a_slow_firebird_query_is_ended_on_the_server_at_its_timeout() {
    let db = FbDatabase::create("assay_fb_slow");
    let marker = unique("assay_slow");
    // Four catalogue tables crossed: billions of rows to count.
    let query = format!(
        "SELECT 1 AS id, count(*) AS n, '{marker}' AS m FROM RDB$TYPES a, RDB$TYPES b, \
         RDB$TYPES c, RDB$TYPES d WHERE {{company}} <> ''"
    );
    let ws = workspace(&db, &query, "timeout_secs = 2");
    let (code, all, took) = finish(extracting(ws.path()), Duration::from_secs(90));
    assert_eq!(code, Some(3), "{all}");
    assert!(all.contains("sources.fb.timeout_secs"), "{all}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_eq!(
        still_running(&db, &marker),
        0,
        "the query kept running on the server"
    );
}

#[test]
fn a_silent_server_and_a_wrong_password_are_named() {
    let port = silent_server();
    let ws = workspace_at(
        "/nowhere.fdb",
        port,
        "SELECT 1 AS id FROM RDB$DATABASE",
        "connect_timeout_secs = 2",
    );
    let (code, all, took) = finish(extracting(ws.path()), Duration::from_secs(60));
    assert_eq!(code, Some(3), "{all}");
    assert!(all.contains("sources.fb.connect_timeout_secs"), "{all}");
    assert!(took < Duration::from_secs(20), "took {took:?}");

    let db = FbDatabase::create("assay_fb_password");
    db.run(INVOICES);
    let ws = workspace(&db, QUERY, "");
    let secret = "not-the-password-7431";
    let out = command(ws.path(), secret, &["extract", "--all"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("sources.fb: cannot connect to firebird at 127.0.0.1:3050"),
        "{said}"
    );
    assert!(!said.contains(secret), "the password was printed: {said}");
    // A database that is not there is the server's own word, named by the setting.
    let ws = workspace_at(
        "/var/lib/firebird/3.0/data/nothing_here.fdb",
        3050,
        QUERY,
        "",
    );
    let out = extract(ws.path());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("sources.fb"), "{}", text(&out));
    // Nothing of a failed extraction is in the cache.
    let nothing: PathBuf = ws.path().join(".assay/tmp");
    assert!(!nothing.exists() || std::fs::read_dir(&nothing).unwrap().next().is_none());
}

#[test]
fn a_firebird_source_needs_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("assay.toml"),
        "[companies.acme]\nname = \"Acme\"\n\n[sources.fb]\nkind = \"firebird\"\nhost = \"127.0.0.1\"\n\
         charset = \"KLINGON\"\n\n[entities.x]\nsource = \"fb\"\nquery = \"SELECT 1 AS id FROM RDB$DATABASE\"\n",
    )
    .unwrap();
    let out = assay(dir.path(), &["validate"]);
    let said = text(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("a firebird source needs `database`"),
        "{said}"
    );
    assert!(said.contains("a firebird source needs `user`"), "{said}");
    assert!(said.contains("sources.fb.charset"), "{said}");
    assert!(said.contains("`KLINGON`"), "{said}");
}

/// The Firebird type a column of the cache's legacy rows is stored as.
fn firebird_type(duck: &str) -> String {
    match duck {
        "VARCHAR" => "VARCHAR(200)".into(),
        "DATE" => "DATE".into(),
        "BIGINT" => "BIGINT".into(),
        "INTEGER" => "INTEGER".into(),
        "DOUBLE" => "DOUBLE PRECISION".into(),
        "BOOLEAN" => "BOOLEAN".into(),
        "TIMESTAMP" => "TIMESTAMP".into(),
        d if d.starts_with("DECIMAL") => d.replace("DECIMAL", "NUMERIC"),
        other => panic!("no Firebird type for {other}"),
    }
}

/// DuckDB SQL writing column `n` of `duck` type as a Firebird literal (NULL as NULL).
fn literal_sql(n: &str, duck: &str) -> String {
    let col = format!("\"{n}\"");
    let text = match duck {
        "VARCHAR" => format!("'''' || replace({col}, '''', '''''') || ''''"),
        "DATE" => format!("'DATE ''' || {col}::VARCHAR || ''''"),
        "TIMESTAMP" => format!("'TIMESTAMP ''' || {col}::VARCHAR || ''''"),
        _ => format!("{col}::VARCHAR"),
    };
    format!("coalesce({text}, 'NULL')")
}

/// A legacy side read from a Firebird table (upper-case names, as Firebird keeps them) gives
/// the numbers the demo's export files gave, to the cent.
#[test]
fn legacy_from_a_firebird_table_gives_the_numbers_the_files_gave() {
    use common::money::amount;
    let (_tmp, ws) = built_demo("300", "5");
    let by_files = stdout(&assay(&ws, &["compare", "revenue", "--format", "json"]));
    let columns = legacy_columns(&ws, "sales");
    // `_company` cannot be an unquoted Firebird name: the table's company column is COMPANY.
    let fb_name = |n: &str| {
        if n == "_company" {
            "company".to_string()
        } else {
            n.to_string()
        }
    };
    let db = FbDatabase::create("assay_fb_legacy");
    let defs: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!("{} {}", fb_name(n), firebird_type(t)))
        .collect();
    let mut script = format!(
        "CREATE TABLE legacy_sales ({});\nCOMMIT;\n",
        defs.join(", ")
    );
    let values: Vec<String> = columns.iter().map(|(n, t)| literal_sql(n, t)).collect();
    let inserts = sql_csv(
        &ws,
        &format!(
            "SELECT 'INSERT INTO legacy_sales VALUES (' || concat_ws(', ', {}) || ');' AS s \
             FROM legacy.sales",
            values.join(", ")
        ),
    );
    for line in inserts.lines().skip(1) {
        // CSV: a field holding commas or quotes is quoted, its quotes doubled.
        let sql = match line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => line.to_string(),
        };
        script.push_str(&sql);
        script.push('\n');
    }
    db.run(&script);

    let path = ws.join("assay.toml");
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let mut sales = toml_edit::Table::new();
    sales["source"] = toml_edit::value("billing");
    sales["table"] = toml_edit::value("legacy_sales");
    sales["company_column"] = toml_edit::value("COMPANY");
    doc["legacy"]["sales"] = toml_edit::Item::Table(sales);
    let source = format!(
        "kind = \"firebird\"\nhost = \"127.0.0.1\"\ndatabase = \"{}\"\nuser = \"assay\"\npassword_env = \"{PASSWORD_ENV}\"\n",
        db.path
    );
    let source: toml_edit::DocumentMut = source.parse().unwrap();
    doc["sources"]["billing"] = toml_edit::Item::Table(source.as_table().clone());
    std::fs::write(&path, doc.to_string()).unwrap();

    let out = command(&ws, "assay", &["compare", "revenue", "--format", "json"])
        .output()
        .unwrap();
    let by_table = stdout(&out);
    assert!(by_table.starts_with('{'), "{}", text(&out));
    for at in [
        path!["revenue", "measures", 0, "legacy"],
        path!["revenue", "measures", 0, "delta"],
    ] {
        assert_eq!(amount(&by_table, at), amount(&by_files, at));
    }
    let rows = |body: &str| {
        serde_json::from_str::<serde_json::Value>(body).unwrap()["revenue"]["rows"].clone()
    };
    assert_eq!(rows(&by_table), rows(&by_files));
}
