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
