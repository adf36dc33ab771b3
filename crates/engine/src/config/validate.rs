//! Checks that need the whole config: references between sections, required settings per
//! kind, and values that parse but make no sense. Each finding is (key path, message).

use std::path::Path;

use super::model::{Config, SourceKind, WarehouseKind};
use super::tables::{table_problem, unknown};
use crate::sql::is_plain_identifier;

type Findings = Vec<(String, String)>;

pub const ENCODINGS: [&str; 5] = ["utf-8", "utf-16", "latin-1", "cp1252", "windows-1252"];

pub fn validate(c: &Config, root: &Path) -> Findings {
    let mut f = Findings::new();
    workspace(c, &mut f);
    freshness(c, &mut f);
    warehouse(c, &mut f);
    companies(c, &mut f);
    super::validate_sources::sources(c, &mut f);
    entities(c, &mut f);
    super::validate_delta::entities(c, &mut f);
    legacy(c, &mut f);
    super::validate_legacy::origin(c, &mut f);
    legacy_names(c, &mut f);
    comparisons(c, root, &mut f);
    super::validate_tests::tests(c, root, &mut f);
    super::validate_pii::pii(c, root, &mut f);
    f
}

fn push(f: &mut Findings, key: impl Into<String>, message: impl Into<String>) {
    f.push((key.into(), message.into()));
}

fn freshness(c: &Config, f: &mut Findings) {
    if c.freshness.volume_runs.is_some_and(|n| n < 5) {
        push(
            f,
            "freshness.volume_runs",
            "at least 5: fewer earlier loads say nothing about what is normal",
        );
    }
    if let Some(t) = c.freshness.volume_threshold {
        if !t.is_finite() || t <= 0.0 {
            push(
                f,
                "freshness.volume_threshold",
                format!("`{t}` is not a positive number of deviations; the default is 3.5"),
            );
        }
    }
}

fn workspace(c: &Config, f: &mut Findings) {
    if c.workspace.parallelism == 0 {
        push(f, "workspace.parallelism", "must be at least 1");
    }
    if c.workspace.threads == 0 {
        push(
            f,
            "workspace.threads",
            "at least 1 (1 builds the models one after another)",
        );
    }
    if c.workspace.retention == 0 {
        push(
            f,
            "workspace.retention",
            "must be at least 1 (the current version)",
        );
    }
    if let (Some(w), Some(e)) = (c.freshness.warn_after, c.freshness.error_after) {
        if w > e {
            push(
                f,
                "freshness.warn_after",
                format!("{w} is later than error_after ({e})"),
            );
        }
    }
}

fn warehouse(c: &Config, f: &mut Findings) {
    cluster(c, f);
    if c.warehouse.kind == WarehouseKind::Clickhouse {
        if c.warehouse.url.is_some() && c.warehouse.url_env.is_some() {
            push(f, "warehouse.url_env", "set `url` or `url_env`, not both");
        }
        if c.warehouse
            .url_env
            .as_deref()
            .is_some_and(super::validate_sources::not_a_variable_name)
        {
            push(
                f,
                "warehouse.url_env",
                "must be the name of an environment variable",
            );
        }
        if c.warehouse.url.is_none() && c.warehouse.url_env.is_none() {
            push(
                f,
                "warehouse.url",
                "a clickhouse warehouse needs `url` (e.g. http://127.0.0.1:8123) or `url_env`",
            );
        }
        if c.warehouse.database.is_none() {
            push(
                f,
                "warehouse.database",
                "a clickhouse warehouse needs `database`",
            );
        }
        for (field, value) in [
            ("timeout_secs", c.warehouse.timeout_secs),
            ("connect_timeout_secs", c.warehouse.connect_timeout_secs),
        ] {
            if value == Some(0) {
                push(f, format!("warehouse.{field}"), "must be at least 1 second");
            }
        }
    }
}

/// `cluster` and `shards` come together, on a ClickHouse warehouse.
fn cluster(c: &Config, f: &mut Findings) {
    let w = &c.warehouse;
    match (&w.cluster, &w.shards) {
        (Some(_), _) if w.kind != WarehouseKind::Clickhouse => push(
            f,
            "warehouse.cluster",
            "a cluster is a ClickHouse one: set kind = \"clickhouse\"",
        ),
        (Some(name), _) if !is_plain_identifier(name) => push(
            f,
            "warehouse.cluster",
            format!("`{name}`: letters, digits and _ only (a remote_servers entry)"),
        ),
        (Some(_), None) => push(
            f,
            "warehouse.shards",
            "a cluster needs the HTTP URL of each shard (e.g. [\"http://10.0.0.1:8123\", \"http://10.0.0.2:8123\"])",
        ),
        (Some(_), Some(urls)) if urls.is_empty() => {
            push(f, "warehouse.shards", "lists no shard")
        }
        (None, Some(_)) => push(
            f,
            "warehouse.shards",
            "shards are read only with `cluster` (the remote_servers entry they form)",
        ),
        _ => {}
    }
}

fn companies(c: &Config, f: &mut Findings) {
    for (id, company) in &c.companies {
        if !is_plain_identifier(id) {
            push(
                f,
                format!("companies.{id}"),
                "a company id must be letters, digits and underscores (it names files and rows)",
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for branch in &company.branches {
            if branch.trim().is_empty() {
                push(
                    f,
                    format!("companies.{id}.branches"),
                    "a branch name is empty",
                );
            } else if !seen.insert(branch) {
                push(
                    f,
                    format!("companies.{id}.branches"),
                    format!("branch `{branch}` is listed twice"),
                );
            }
        }
    }
}

fn entities(c: &Config, f: &mut Findings) {
    for (name, e) in &c.entities {
        let key = |k: &str| format!("entities.{name}.{k}");
        let delta = c
            .sources
            .get(&e.source)
            .is_some_and(|s| s.kind == SourceKind::Delta);
        if let (Some(inc), false) = (&e.incremental, delta) {
            let files = c
                .sources
                .get(&e.source)
                .is_some_and(|s| s.kind == SourceKind::Files);
            if files {
                push(f, key("incremental"), "files are read incrementally already (an unchanged file is not read again); a cursor is for database sources");
            } else if !is_plain_identifier(&inc.cursor) {
                push(
                    f,
                    key("incremental.cursor"),
                    format!("`{}`: a column name of letters, digits and _", inc.cursor),
                );
            } else if e.keys.is_empty() {
                push(f, key("keys"), "an incremental entity needs its keys: a row read again replaces the one it updates");
            }
        }
        if !is_plain_identifier(name) {
            push(f, format!("entities.{name}"), "an entity name must be letters, digits and underscores (it names the bronze table)");
        }
        match c.sources.get(&e.source) {
            None => push(
                f,
                key("source"),
                unknown("source", &e.source, c.sources.keys()),
            ),
            Some(s) if s.kind == SourceKind::Files => {
                if e.files.is_none() {
                    push(
                        f,
                        format!("entities.{name}"),
                        "a files source needs `files`, a glob such as \"{company}/sales_*.csv\"",
                    );
                }
                if e.query.is_some() {
                    push(
                        f,
                        key("query"),
                        "a files source reads `files`, not a `query`",
                    );
                }
                if let Some(glob) = &e.files {
                    if glob.trim().is_empty() {
                        push(
                            f,
                            key("files"),
                            "is empty; give a glob such as \"{company}/sales_*.csv\"",
                        );
                    } else if e.format.is_none() && infer_format(glob).is_none() {
                        push(f, key("format"), "cannot tell the format from the file names; set format = \"csv\" | \"parquet\" | \"json\"");
                    }
                }
            }
            // Its own checks: `validate_delta`.
            Some(s) if s.kind == SourceKind::Delta => {}
            Some(s) => {
                if e.query.is_none() {
                    push(f, format!("entities.{name}"), format!("a {} source needs `query`, e.g. \"SELECT * FROM t WHERE company = {{company}}\"", s.kind.as_str()));
                }
                if e.files.is_some() {
                    push(
                        f,
                        key("files"),
                        format!("a {} source runs a `query`, not `files`", s.kind.as_str()),
                    );
                }
            }
        }
        for company in e.overrides.keys() {
            if !c.companies.contains_key(company) {
                push(
                    f,
                    format!("entities.{name}.overrides.{company}"),
                    unknown("company", company, c.companies.keys()),
                );
            }
        }
        if let (Some(w), Some(er)) = (e.warn_after, e.error_after) {
            if w > er {
                push(
                    f,
                    key("warn_after"),
                    format!("{w} is later than error_after ({er})"),
                );
            }
        }
    }
}

/// The file format implied by a glob's extension.
pub fn infer_format(glob: &str) -> Option<super::model::FileFormat> {
    use super::model::FileFormat;
    let lower = glob.to_ascii_lowercase();
    let lower = lower.trim_end_matches(".gz");
    if lower.ends_with(".csv") || lower.ends_with(".tsv") || lower.ends_with(".txt") {
        Some(FileFormat::Csv)
    } else if lower.ends_with(".parquet") {
        Some(FileFormat::Parquet)
    } else if lower.ends_with(".json") || lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
        Some(FileFormat::Json)
    } else {
        None
    }
}

fn legacy(c: &Config, f: &mut Findings) {
    for (name, l) in &c.legacy {
        if !is_plain_identifier(name) {
            push(f, format!("legacy.{name}"), "a legacy export name must be letters, digits and underscores (it names the legacy table)");
        }
        let mut hint_sets = vec![(format!("legacy.{name}.format"), &l.format)];
        for (company, hints) in &l.overrides {
            if !c.companies.contains_key(company) {
                push(
                    f,
                    format!("legacy.{name}.overrides.{company}"),
                    unknown("company", company, c.companies.keys()),
                );
            }
            hint_sets.push((format!("legacy.{name}.overrides.{company}"), hints));
        }
        for (prefix, h) in hint_sets {
            if let Some(d) = &h.delimiter {
                if d.chars().count() != 1 && d != "\\t" {
                    push(
                        f,
                        format!("{prefix}.delimiter"),
                        format!("must be one character, not `{d}`"),
                    );
                } else if !d.is_ascii() {
                    // The structure check and the importer split on one byte.
                    push(
                        f,
                        format!("{prefix}.delimiter"),
                        format!(
                            "`{d}` is not an ASCII character; use one such as , ; | or \"\\t\""
                        ),
                    );
                }
            }
            if let Some(d) = &h.decimal {
                if d != "." && d != "," {
                    push(
                        f,
                        format!("{prefix}.decimal"),
                        format!("must be \".\" or \",\", not `{d}`"),
                    );
                }
            }
            if let Some(e) = &h.encoding {
                if !ENCODINGS.contains(&e.to_ascii_lowercase().as_str()) {
                    push(
                        f,
                        format!("{prefix}.encoding"),
                        format!("`{e}` is not one of {}", ENCODINGS.join(", ")),
                    );
                }
            }
            for problem in h
                .fixed_width
                .as_deref()
                .map(super::fixed::problems)
                .unwrap_or_default()
            {
                push(f, format!("{prefix}.fixed_width"), problem);
            }
            if h.fixed_width.is_some() && (h.delimiter.is_some() || h.sheet.is_some()) {
                push(
                    f,
                    format!("{prefix}.fixed_width"),
                    "a fixed-width file has no `delimiter` or `sheet`; give one kind of layout",
                );
            }
            if let Some(fmt) = &h.date_format {
                if !fmt.contains('%') {
                    push(
                        f,
                        format!("{prefix}.date_format"),
                        format!("`{fmt}` has no strftime fields; write e.g. \"%d/%m/%Y\""),
                    );
                } else if let Err(field) = date_fields_known(fmt) {
                    push(
                        f,
                        format!("{prefix}.date_format"),
                        format!(
                            "`{fmt}`: `{field}` is not a date field DuckDB reads (%Y %m %d %H \
                             %M %S, %b, %y…)"
                        ),
                    );
                }
            }
        }
    }
}

/// Whether every `%` field of a strptime format is one DuckDB reads; Err is the first that
/// is not (`%Q`, a lone `%` at the end).
pub fn date_fields_known(format: &str) -> std::result::Result<(), String> {
    const FIELDS: &str = "aAwdbBmyYHIpMSfgzZjUWcxXGVunT%";
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        let mut field = String::from("%");
        let mut next = chars.next();
        if next == Some('-') {
            field.push('-');
            next = chars.next();
        }
        match next {
            Some(n) if FIELDS.contains(n) => {}
            Some(n) => {
                field.push(n);
                return Err(field);
            }
            None => return Err(field),
        }
    }
    Ok(())
}

/// Every legacy export is a view `legacy.<export>` over tables `legacy.<export>__<company>`;
/// two of those names must never be the same (export `sales__old` and company `old_x` of
/// `sales` would otherwise share a table).
fn legacy_names(c: &Config, f: &mut Findings) {
    let mut owner: std::collections::BTreeMap<String, String> = Default::default();
    for export in c.legacy.keys() {
        let mut names = vec![(export.clone(), format!("the view of export `{export}`"))];
        for company in c.companies.keys() {
            names.push((
                super::model::legacy_table_name(export, company),
                format!("the table of export `{export}` for company `{company}`"),
            ));
        }
        for (name, what) in names {
            match owner.get(&name) {
                Some(other) => push(
                    f,
                    format!("legacy.{export}"),
                    format!("legacy.{name} would be both {other} and {what}; rename the export"),
                ),
                None => {
                    owner.insert(name, what);
                }
            }
        }
    }
}

fn comparisons(c: &Config, root: &Path, f: &mut Findings) {
    for (name, cmp) in &c.comparisons {
        let key = |k: &str| format!("comparisons.{name}.{k}");
        if !c.legacy.contains_key(&cmp.legacy) {
            push(
                f,
                key("legacy"),
                unknown("legacy export", &cmp.legacy, c.legacy.keys()),
            );
        }
        if let Some(problem) = table_problem(c, root, &cmp.table) {
            push(f, key("table"), problem);
        }
        if cmp.keys.is_empty() {
            push(f, key("keys"), "needs at least one key column");
        }
        for company in &cmp.companies {
            if !c.companies.contains_key(company) {
                push(
                    f,
                    key("companies"),
                    unknown("company", company, c.companies.keys()),
                );
            }
        }
        if let Some(tz) = &cmp.timezone {
            if super::offset_minutes(tz).is_none() {
                push(
                    f,
                    key("timezone"),
                    format!("`{tz}` is not UTC or a fixed offset like +02:00 (named zones need DuckDB's ICU extension, which this build does not include)"),
                );
            }
        }
        for lookup in &cmp.explain.lookups {
            if let super::LookupSetting::Given(g) = lookup {
                if g.table.is_some() == g.file.is_some() {
                    push(
                        f,
                        format!("comparisons.{name}.explain.lookups"),
                        "a lookup names one `table` or one `file` (with `on` for its columns)",
                    );
                }
            }
        }
        // Non-numbers were refused when the file was read; a sign is a number's own.
        for (which, value) in [
            ("absolute", cmp.tolerance.absolute),
            ("relative", cmp.tolerance.relative),
            ("rows_relative", cmp.tolerance.rows_relative),
        ] {
            if value.is_negative() {
                push(
                    f,
                    format!("comparisons.{name}.tolerance.{which}"),
                    "tolerances cannot be negative",
                );
            }
        }
        for (field, list) in [
            ("keys", &cmp.keys),
            ("measures", &cmp.measures),
            ("dimensions", &cmp.dimensions),
            ("skip", &cmp.skip),
        ] {
            for (i, column) in list.iter().enumerate() {
                if column.trim().is_empty() {
                    push(f, key(field), "a column name is empty");
                } else if list[..i].contains(column) {
                    push(f, key(field), format!("`{column}` is listed twice"));
                }
            }
        }
        if let Some(period) = &cmp.period {
            if !cmp.dimensions.contains(period) {
                push(
                    f,
                    key("period"),
                    format!("`{period}` is not one of this comparison's dimensions"),
                );
            }
        }
        for k in &cmp.keys {
            if cmp.skip.contains(k) {
                push(
                    f,
                    key("skip"),
                    format!("`{k}` is a key column; keys cannot be skipped"),
                );
            }
        }
        for m in &cmp.measures {
            if cmp.keys.contains(m) {
                push(
                    f,
                    key("measures"),
                    format!("`{m}` is a key column; a measure is summed"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::date_fields_known;

    /// The warehouse findings of `[warehouse]` written as `toml`.
    fn warehouse_findings(toml: &str) -> Vec<(String, String)> {
        let config: super::Config = toml::from_str(&format!("[warehouse]\n{toml}")).unwrap();
        let mut f = Vec::new();
        super::warehouse(&config, &mut f);
        f
    }

    #[test]
    fn a_cluster_comes_with_its_shards_on_clickhouse() {
        let ch = "kind = \"clickhouse\"\nurl = \"http://h:8123\"\ndatabase = \"d\"\n";
        assert!(warehouse_findings(&format!(
            "{ch}cluster = \"c\"\nshards = [\"http://h:8123\"]"
        ))
        .is_empty());
        let keys = |toml: &str| -> Vec<String> {
            warehouse_findings(toml)
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(keys(&format!("{ch}cluster = \"c\"")), ["warehouse.shards"]);
        assert_eq!(
            keys(&format!("{ch}shards = [\"http://h:8123\"]")),
            ["warehouse.shards"]
        );
        assert_eq!(
            keys(&format!("{ch}cluster = \"c; x\"\nshards = []")),
            ["warehouse.cluster"]
        );
        assert_eq!(
            keys("cluster = \"c\"\nshards = [\"http://h:8123\"]"),
            ["warehouse.cluster"]
        );
    }

    /// Before: `date_format = "%Q/%m"` passed validate and failed at import with DuckDB's
    /// raw error and no setting.
    #[test]
    fn unknown_date_fields_are_named() {
        assert_eq!(date_fields_known("%d/%m/%Y"), Ok(()));
        assert_eq!(date_fields_known("%-d.%-m.%y %H:%M:%S"), Ok(()));
        assert_eq!(date_fields_known("100%% %Y"), Ok(()));
        assert_eq!(date_fields_known("%Q/%m"), Err("%Q".into()));
        assert_eq!(date_fields_known("%Y-%"), Err("%".into()));
    }
}
