//! Progress for long jobs: a bar on a terminal, plain lines in logs and pipes.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    started: Instant,
    last_percent: u64,
}

impl Progress {
    pub fn new(label: &str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} rows, {per_sec}, eta {eta}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar.set_message(label.to_string());
            bar
        });
        Progress {
            bar,
            label: label.to_string(),
            started: Instant::now(),
            last_percent: 0,
        }
    }

    pub fn update(&mut self, done: u64, total: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None => {
                let percent = (done * 100).checked_div(total).unwrap_or(100);
                if percent >= self.last_percent + 10 || (percent == 100 && self.last_percent < 100)
                {
                    self.last_percent = percent;
                    let secs = self.started.elapsed().as_secs_f64().max(1e-9);
                    eprintln!(
                        "{}: {done}/{total} rows ({percent}%), {:.0} rows/s",
                        self.label,
                        done as f64 / secs
                    );
                }
            }
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// On a terminal, a spinner naming the stage a long job is in (see `trace::watch_stages`),
/// cleared when dropped; nothing in logs and pipes.
pub struct Stages {
    bar: ProgressBar,
    _watch: crate::trace::StageWatch,
}

pub fn stages(label: &str) -> Option<Stages> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})")
            .expect("static template"),
    );
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let shown = bar.clone();
    let watch = crate::trace::watch_stages(move |stage| shown.set_message(stage.to_string()));
    Some(Stages { bar, _watch: watch })
}

impl Drop for Stages {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Extraction events as bars (terminal) or lines (logs), from any worker thread.
pub struct JobProgress {
    multi: Option<indicatif::MultiProgress>,
    bars: std::sync::Mutex<std::collections::BTreeMap<(String, String), ProgressBar>>,
    /// The outcome table (stdout) lands on the same screen as these lines (stderr).
    table_beside: bool,
}

impl JobProgress {
    pub fn new() -> Self {
        JobProgress {
            multi: std::io::stderr()
                .is_terminal()
                .then(indicatif::MultiProgress::new),
            table_beside: std::io::stderr().is_terminal() && std::io::stdout().is_terminal(),
            bars: Default::default(),
        }
    }

    pub fn handle(&self, event: crate::extract::Event) {
        use crate::extract::Event;
        match event {
            Event::Started {
                company,
                entity,
                run_id,
                source,
            } => match &self.multi {
                Some(multi) => {
                    let bar = multi.add(ProgressBar::new(1000));
                    bar.set_style(
                        ProgressStyle::with_template("{msg:28} [{bar:24}] {percent:>3}% {prefix}")
                            .expect("static template")
                            .progress_chars("=> "),
                    );
                    bar.set_message(format!("{company}/{entity}"));
                    self.bars
                        .lock()
                        .expect("bars")
                        .insert((company, entity), bar);
                }
                None => eprintln!("{company}/{entity}: run {run_id} reading {source}"),
            },
            Event::Progress {
                company,
                entity,
                rows,
                done_fraction,
                rows_per_sec,
            } => {
                if let Some(bar) = self.bars.lock().expect("bars").get(&(company, entity)) {
                    bar.set_position((done_fraction.unwrap_or(0.0) * 1000.0) as u64);
                    bar.set_prefix(format!("{rows} rows, {rows_per_sec:.0} rows/s"));
                }
            }
            Event::Drift {
                company,
                entity,
                drift,
            } => {
                let line = format!("{company}/{entity}: drift: {drift}");
                match &self.multi {
                    Some(multi) => {
                        let _ = multi.println(line);
                    }
                    None => eprintln!("{line}"),
                }
            }
            Event::Finished { outcome } => {
                let line = finished_line(&outcome, self.table_beside);
                let bar = self
                    .bars
                    .lock()
                    .expect("bars")
                    .remove(&(outcome.company.clone(), outcome.entity.clone()));
                match (&self.multi, bar) {
                    (Some(multi), Some(bar)) => {
                        bar.finish_and_clear();
                        multi.remove(&bar);
                        let _ = multi.println(line);
                    }
                    (Some(multi), None) => {
                        let _ = multi.println(line);
                    }
                    (None, _) => eprintln!("{line}"),
                }
            }
        }
    }
}

/// The line a finished run leaves on stderr. When the outcome table goes to the same
/// screen (`table_beside`), a failure's reason is left to the table: printed in both, a
/// 250-character error filled the screen twice.
fn finished_line(outcome: &crate::extract::Outcome, table_beside: bool) -> String {
    let place = format!("{}/{}", outcome.company, outcome.entity);
    match &outcome.error {
        None if outcome.unchanged => {
            format!(
                "{place}: unchanged, not read again ({} rows kept)",
                outcome.rows
            )
        }
        None => format!("{place}: {} rows in {:.1}s", outcome.rows, outcome.seconds),
        Some(_) if table_beside => {
            format!(
                "{place}: {} (the reason is in the table)",
                outcome.status.as_str()
            )
        }
        Some(e) => format!("{place}: {}: {e}", outcome.status.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunStatus;

    /// Before: a failed run's error was printed on stderr and again in the table on the
    /// same screen.
    #[test]
    fn a_failure_is_told_once_on_one_screen() {
        let outcome = crate::extract::Outcome {
            company: "acme".into(),
            entity: "orders".into(),
            status: RunStatus::Failed,
            run_id: Some(3),
            rows: 0,
            seconds: 0.1,
            error: Some("schema drift in orders for acme: ".to_string() + &"x".repeat(200)),
            drift_failure: true,
            unchanged: false,
        };
        let beside = finished_line(&outcome, true);
        assert_eq!(beside, "acme/orders: failed (the reason is in the table)");
        let apart = finished_line(&outcome, false);
        assert!(
            apart.contains("schema drift") && apart.len() > 200,
            "{apart}"
        );
    }
}
