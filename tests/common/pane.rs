//! The real binary in a real terminal: a tmux session at 80×24 without colour, read back
//! from the pane as a user over SSH sees it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::unique;

pub struct Pane {
    name: String,
}

impl Pane {
    /// The workbench opened in `ws` with no arguments.
    pub fn open(ws: &Path) -> Pane {
        Pane::run(ws, &[])
    }

    /// `assay ARGS` in `dir`, in a new tmux session at 80×24, with NO_COLOR and no mouse.
    pub fn run(dir: &Path, args: &[&str]) -> Pane {
        Pane::start(dir, &[], args)
    }

    /// As `run`, with these variables set for the program (the tmux server's own
    /// environment is not the test's).
    pub fn start(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Pane {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "this test drives the workbench in tmux; install tmux (scripts/test.sh does)"
        );
        let name = unique("assay_smoke");
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
        let command = format!(
            "cd '{}' && NO_COLOR=1 ASSAY_MOUSE=off {} '{}' {}",
            dir.display(),
            vars.join(" "),
            env!("CARGO_BIN_EXE_assay"),
            quoted.join(" ")
        );
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "80",
                "-y",
                "24",
                &command,
            ])
            .env_remove("TMUX")
            .status()
            .unwrap();
        assert!(status.success());
        Pane { name }
    }

    pub fn text(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    /// Wait until the pane shows what `ok` looks for; the pane's text either way.
    pub fn wait(&self, within: Duration, ok: impl Fn(&str) -> bool) -> (bool, String) {
        let started = Instant::now();
        loop {
            let text = self.text();
            if ok(&text) {
                return (true, text);
            }
            if started.elapsed() > within {
                return (false, text);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}
