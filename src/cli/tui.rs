//! `assay` / `assay tui`: the workbench; `assay screenshots`: pictures of its screens.

use std::path::PathBuf;

use crate::config::Workspace;
use crate::error::{IoContext, Result};
use crate::workbench::harness::Harness;
use crate::workbench::theme::Theme;
use crate::workbench::{self, svg, Options};

#[derive(Debug, Default, clap::Args)]
pub struct TuiArgs {
    /// dark, light, mono or a theme file's name in .assay/themes/ (NO_COLOR forces mono).
    #[arg(long, env = "ASSAY_THEME")]
    pub theme: Option<String>,
    /// Leave the mouse to the terminal (to select text); clicks and the wheel do nothing.
    /// Also `ASSAY_MOUSE=off`.
    #[arg(long)]
    pub no_mouse: bool,
    /// Two sides opened ad hoc, with no config: `--legacy FILE --new FILE --key K` (and
    /// every ad hoc flag of `compare`) open Compare, Drill, causes and Rules on them.
    #[command(flatten)]
    pub sides: super::sides::SideArgs,
}

/// `assay tui`: on the workspace `dir` is in, or on two sides given ad hoc.
pub fn open(dir: Option<PathBuf>, args: TuiArgs) -> Result<i32> {
    if !args.sides.is_adhoc() {
        return run(super::workspace(dir)?, args, None);
    }
    let s = &args.sides;
    if !s.company.is_empty() {
        return Err(crate::error::Error::Usage(
            "--company: two sides opened ad hoc are compared whole".into(),
        ));
    }
    let sides = crate::init::adhoc::Sides {
        legacy: s.legacy.clone().unwrap_or_default(),
        new: s.new.clone().unwrap_or_default(),
        base: super::sides::base_dir(dir)?,
        keys: s.key.clone(),
        measures: s.measure.clone(),
        dimensions: s.dimension.clone(),
        map: s.map.clone(),
        tolerance: s.tolerance,
        timezone: s.timezone.clone(),
        legacy_format: s.formats.hints(true),
        new_format: s.formats.hints(false),
    };
    eprintln!("reading {} ⇄ {} …", sides.legacy, sides.new);
    let (ws, table) = crate::init::adhoc::open(&sides, &adhoc_home()?)?;
    // The folder is what the user needs to find the rules again: home written as `~`.
    let root = ws.root.display().to_string();
    let root = match std::env::var("HOME") {
        Ok(home) if !home.is_empty() && root.starts_with(&home) => {
            format!("~{}", &root[home.len()..])
        }
        _ => root,
    };
    let note = format!(
        "ad hoc: {} ⇄ {} · rules kept in {root} · new side: {table}",
        sides.legacy, sides.new
    );
    run(ws, args, Some(note))
}

/// Where ad hoc workspaces live: `$ASSAY_ADHOC_HOME`, else the user's cache folder.
fn adhoc_home() -> Result<PathBuf> {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(home) = env("ASSAY_ADHOC_HOME") {
        return Ok(home);
    }
    let cache = env("XDG_CACHE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".cache")))
        .ok_or_else(|| {
            crate::error::Error::Usage(
                "no folder for ad hoc workspaces: set ASSAY_ADHOC_HOME (or HOME)".into(),
            )
        })?;
    Ok(cache.join("assay").join("adhoc"))
}

pub fn run(ws: Workspace, args: TuiArgs, compare_first: Option<String>) -> Result<i32> {
    let mouse_off = std::env::var("ASSAY_MOUSE").is_ok_and(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "off" | "0" | "false" | "no"
        )
    });
    workbench::run(
        ws,
        Options {
            theme: args.theme,
            mouse: !(args.no_mouse || mouse_off),
            compare_first,
        },
    )
}

#[derive(Debug, clap::Args)]
pub struct ScreenshotsArgs {
    /// Folder for the pictures (SVG, one per screen).
    #[arg(long, default_value = "screenshots")]
    pub out: PathBuf,
    /// Terminal size the screens are rendered at, COLSxROWS.
    #[arg(long, default_value = "100x30", value_parser = parse_size)]
    pub size: (u16, u16),
    #[arg(long, default_value = "dark")]
    pub theme: String,
}

fn parse_size(text: &str) -> std::result::Result<(u16, u16), String> {
    let (w, h) = text
        .split_once('x')
        .ok_or("expected COLSxROWS, like 100x30")?;
    let w: u16 = w.parse().map_err(|_| format!("`{w}` is not a number"))?;
    let h: u16 = h.parse().map_err(|_| format!("`{h}` is not a number"))?;
    if w < 40 || h < 12 {
        return Err("at least 40x12".into());
    }
    Ok((w, h))
}

/// The scripted visits: (file name, keys pressed from the previous state, caption).
pub const VISITS: [(&str, &str, &str); 14] = [
    (
        "sources",
        "",
        "Sources: freshness of every company, entity and layer",
    ),
    (
        "sources-history",
        "enter",
        "Sources: the history of a row (alerts, tests, volume, runs)",
    ),
    (
        "layers",
        "backspace 2 G enter i",
        "Layers: a gold table in the paged grid, with its profile",
    ),
    (
        "layers-pii",
        "backspace g j enter l l l l l l l",
        "Layers: the customers' names and e-mails (marked pii) masked, in the grid and its profile",
    ),
    (
        "compare",
        "3",
        "Compare: totals, and one line per key: the measure as legacy, new and Δ first",
    ),
    (
        "compare-row",
        "v enter",
        "Compare: a changed row in full, the differences marked",
    ),
    (
        "drill",
        "4 enter",
        "Drill: the gap by branch within the biggest company, and the ranked causes",
    ),
    (
        "drill-rows",
        "enter enter enter",
        "Drill: down to the rows that differ",
    ),
    ("sql", "5", "SQL console"),
    (
        "models",
        "ctrl-o 6",
        "Models: the gold and silver models, their lineage, rows and SQL",
    ),
    (
        "waterfall",
        "7",
        "Waterfall: rows, keys and the measure at every layer, per company, against legacy",
    ),
    (
        "rules",
        "8",
        "Rules: the rules lab's what-if, each rule's effect, what is left and its causes",
    ),
    (
        "parity",
        "9",
        "Parity: every company's gap, what is unexplained, its sign-off and trend",
    ),
    ("help", "?", "Help, generated from the keymap"),
];

pub fn screenshots(ws: Workspace, args: ScreenshotsArgs) -> Result<i32> {
    std::fs::create_dir_all(&args.out)
        .io_context(|| format!("cannot create {}", args.out.display()))?;
    let theme = Theme::pick(Some(&args.theme), &ws.root)?;
    let mut h = Harness::open(&ws.root, args.size.0, args.size.1, theme)?;
    for (name, keys, caption) in VISITS {
        h.press(keys);
        if name == "sql" {
            // Written so that DuckDB and ClickHouse (18.16) both run it.
            h.type_text("SELECT branch, invoice_type, sum(net_amount) AS net FROM gold.fct_sales GROUP BY branch, invoice_type ORDER BY net DESC");
            h.press("f5");
        }
        let picture = svg::render(h.render(), caption);
        let file = args.out.join(format!("{name}.svg"));
        std::fs::write(&file, picture).io_context(|| format!("cannot write {}", file.display()))?;
        println!("{}  {caption}", file.display());
    }
    Ok(0)
}
