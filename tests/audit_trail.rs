//! The audit trail under two people and hostile text: the rules file a sign-off rests on.
//! Concurrent decisions all land, rules files that would be misread are refused with their
//! line, and rule SQL cannot leave its parentheses or read a file. Each case failed before
//! its fix.

mod common;

use common::*;

use std::path::{Path, PathBuf};
use std::process::Stdio;

fn demo() -> (tempfile::TempDir, PathBuf) {
    demo_files("500")
}

/// No temporary file of a save is left in `rules/`.
fn no_partial_files(ws: &Path) {
    let partial: Vec<_> = std::fs::read_dir(ws.join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(partial.is_empty(), "{partial:?}");
}

fn proposed(ws: &Path, n: usize) -> PathBuf {
    let path = ws.join("rules/revenue.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = String::from("# Reviewed in the pairing session.\n");
    for i in 0..n {
        text.push_str(&format!(
            "\n[[rule]]\nname = \"r{i}\"\nkind = \"exclude\"\nwhere = \"branch_id = {i}\"\nstatus = \"proposed\"\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Before: every save went through the same `revenue.toml.partial` with no lock around the
/// read-modify-write, so of two accepts at once one was lost (20/20 trials) and the other
/// could exit 3 with "No such file or directory".
#[test]
fn decisions_made_at_once_all_land() {
    let (_tmp, ws) = demo();
    let n = 12;
    let path = proposed(&ws, n);
    for round in 0..2 {
        let children: Vec<_> = (0..n)
            .map(|i| {
                let (verb, note) = if (i + round) % 3 == 0 {
                    ("reject", "not what legacy did")
                } else {
                    ("accept", "legacy left these out")
                };
                std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
                    .current_dir(&ws)
                    .env("ASSAY_USER", format!("user{i}"))
                    .args(["rules", "revenue", verb, &format!("r{i}"), "--note", note])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        }
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.starts_with("# Reviewed in the pairing session.\n"));
        for i in 0..n {
            let want = if (i + round) % 3 == 0 {
                "rejected"
            } else {
                "accepted"
            };
            let table = written
                .split("[[rule]]")
                .find(|t| t.contains(&format!("name = \"r{i}\"")))
                .unwrap();
            assert!(
                table.contains(&format!("status = \"{want}\""))
                    && table.contains(&format!("by = \"user{i}\"")),
                "round {round}, r{i} lost its decision:\n{written}"
            );
        }
    }
    no_partial_files(&ws);
}

/// Before: `[[rules]]` (for `[[rule]]`) and a misspelt key were ignored, so the rules in
/// them silently took no part; `where = ""` excluded every row; `1=1) OR (1=1` left the
/// parentheses every rule stays inside; `read_text(…)` read a local file into errors and
/// the ticket.
#[test]
fn rules_files_that_would_be_misread_are_refused_with_their_line() {
    let (_tmp, ws) = demo();
    let path = ws.join("rules/revenue.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let secret = ws.join("secret.txt");
    std::fs::write(&secret, "hunter2-do-not-print").unwrap();
    let cases = [
        (
            "[[rules]]\nname = \"a\"\nkind = \"exclude\"\nwhere = \"x = 1\"\n".to_string(),
            "line 1: unknown table `rules`",
        ),
        (
            "[[rule]]\nname = \"a\"\nkind = \"exclude\"\nwhere = \"x = 1\"\nstauts = \"accepted\"\n"
                .to_string(),
            "line 5: unknown key `stauts`",
        ),
        (
            "[[rule]]\nname = \"a\"\nkind = \"exclude\"\nwhere = \"\"\n".to_string(),
            "line 4: [[rule]] `where`: it is empty",
        ),
        (
            "[[rule]]\nname = \"a\"\nkind = \"exclude\"\nwhere = \"1=1) OR (1=1\"\n".to_string(),
            "follows a complete expression",
        ),
        (
            format!(
                "[[rule]]\nname = \"a\"\nkind = \"exclude\"\nwhere = \"invoice_id = (SELECT content FROM read_text('{}'))\"\n",
                secret.display()
            ),
            "table function",
        ),
        (
            "[[accepted]]\nname = \"a\"\nwhere = \"length(getenv('HOME')) > 0\"\n".to_string(),
            "getenv",
        ),
    ];
    for (body, says) in cases {
        std::fs::write(&path, &body).unwrap();
        let out = assay(&ws, &["rules", "revenue", "accept", "a", "--note", "x"]);
        exited_saying(&out, 2, says);
        assert!(text(&out).contains("rules/revenue.toml"), "{}", text(&out));
        assert!(!text(&out).contains("hunter2"), "{}", text(&out));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            body,
            "left as it was"
        );
    }
}

/// Before: `accept-difference --where` took any text; now it is parsed before anything
/// is read or written.
#[test]
fn an_accepted_difference_must_be_one_expression() {
    let (_tmp, ws) = demo();
    let out = assay(
        &ws,
        &[
            "rules",
            "revenue",
            "accept-difference",
            "all",
            "--where",
            "1=1) OR (1=1",
            "--note",
            "x",
        ],
    );
    exited_saying(&out, 2, "follows a complete expression");
    assert!(!ws.join("rules/revenue.toml").exists());
}

/// Writers killed at random moments (kill -9, mid-save included) while others decide: the
/// rules file always parses with its comment, every decision whose process said so is in
/// it, and what killed writers left is cleared by the next one.
#[test]
fn writers_killed_mid_save_never_break_the_file() {
    let (_tmp, ws) = demo();
    let n = 16;
    let path = proposed(&ws, n);
    let mut children = Vec::new();
    for i in 0..n {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
            .current_dir(&ws)
            .args([
                "rules",
                "revenue",
                "accept",
                &format!("r{i}"),
                "--note",
                "agreed",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((i, child));
    }
    // Kill every third one a few milliseconds in: some before, some during their save.
    for (i, child) in children.iter_mut() {
        if *i % 3 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(3 * *i as u64));
            let _ = child.kill();
        }
    }
    let mut said_accepted = Vec::new();
    for (i, child) in children {
        let out = child.wait_with_output().unwrap();
        if out.status.code() == Some(0) {
            said_accepted.push(i);
        } else {
            // Only a kill may stop one: never an error of its own.
            assert!(out.status.code().is_none(), "r{i}: {}", text(&out));
        }
    }
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with("# Reviewed in the pairing session.\n"),
        "{written}"
    );
    let parsed: toml::Table = toml::from_str(&written).unwrap();
    assert_eq!(parsed["rule"].as_array().unwrap().len(), n);
    for i in &said_accepted {
        let table = written
            .split("[[rule]]")
            .find(|t| t.contains(&format!("name = \"r{i}\"")))
            .unwrap();
        assert!(table.contains("status = \"accepted\""), "r{i}:\n{written}");
    }
    let out = assay(&ws, &["rules", "revenue", "reject", "r1", "--note", "no"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    no_partial_files(&ws);
}
