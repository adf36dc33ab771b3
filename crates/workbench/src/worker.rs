//! Runs jobs off the UI thread: each lane has its own DuckDB connection and runs one job at
//! a time on `spawn_blocking`. Latest wins within a kind: a newer job replaces a pending one
//! of its kind (typing in a filter must not queue forty queries) and interrupts a running
//! one that it makes pointless; jobs of other kinds wait their turn in order (opening a
//! comparison asks for rows, causes and a drill step on one lane, and each must run). Esc
//! interrupts them all.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use duckdb::InterruptHandle;
use tokio::sync::mpsc::UnboundedSender;

use super::app::Msg;
#[cfg(test)]
use super::jobs::Payload;
use super::jobs::{execute, Job, Lane, LaneState, Progress, LANES};
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::extract::Cancel;
use crate::store::{Session, Wait};

struct Slot {
    state: Arc<Mutex<LaneState>>,
    interrupt: Arc<InterruptHandle>,
    cancel: Arc<Cancel>,
    running: Option<Job>,
    /// Waiting jobs, at most one of each kind, oldest first.
    pending: Vec<Job>,
}

pub struct Worker {
    ws: Arc<Workspace>,
    slots: BTreeMap<Lane, Slot>,
    tx: UnboundedSender<Msg>,
}

impl Worker {
    /// A worker whose lanes each have a session on the workspace's cache, capped at
    /// `memory_limit` (see `set_memory_limit`) each.
    pub fn new(
        ws: Arc<Workspace>,
        memory_limit: Option<&str>,
        tx: UnboundedSender<Msg>,
    ) -> Result<Worker> {
        let mut slots = BTreeMap::new();
        let personal = crate::jobs::masking::Personal::new();
        for lane in LANES {
            let session = Session::new(&ws.cache_path())?;
            if let Some(limit) = memory_limit {
                super::set_memory_limit(session.conn(), limit)?;
            }
            slots.insert(
                lane,
                Slot {
                    interrupt: session.interrupt_handle(),
                    state: Arc::new(Mutex::new(LaneState::new(session, personal.clone()))),
                    cancel: Cancel::new(),
                    running: None,
                    pending: Vec::new(),
                },
            );
        }
        Ok(Worker { ws, slots, tx })
    }

    pub fn submit(&mut self, job: Job) {
        let lane = job.lane();
        let slot = self.slots.get_mut(&lane).expect("every lane has a slot");
        match &slot.running {
            None => self.start(lane, job),
            Some(running) => {
                if job.replaces(running) && running.is_superseded_by_newer() {
                    // The cache's statement stops; so does a warehouse query in flight.
                    slot.cancel.cancel();
                    slot.interrupt.interrupt();
                }
                slot.pending.retain(|p| !job.replaces(p));
                slot.pending.push(job);
            }
        }
    }

    /// The job on `lane` ended; start the pending one, if any.
    pub fn finished(&mut self, lane: Lane) {
        let slot = self.slots.get_mut(&lane).expect("every lane has a slot");
        slot.running = None;
        if slot.pending.is_empty() {
            let _ = self.tx.send(Msg::Busy(lane, None));
        } else {
            let job = slot.pending.remove(0);
            self.start(lane, job);
        }
    }

    pub fn cancel_all(&mut self) {
        for slot in self.slots.values_mut() {
            slot.pending.clear();
            if slot.running.is_some() {
                slot.cancel.cancel();
                slot.interrupt.interrupt();
            }
        }
    }

    fn start(&mut self, lane: Lane, job: Job) {
        let slot = self.slots.get_mut(&lane).expect("every lane has a slot");
        slot.running = Some(job.clone());
        slot.cancel = Cancel::new();
        let _ = self.tx.send(Msg::Busy(lane, Some(job.describe())));
        let (state, cancel, tx, ws) = (
            slot.state.clone(),
            slot.cancel.clone(),
            self.tx.clone(),
            self.ws.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let result = match state.lock() {
                Ok(mut lane_state) => {
                    let events_tx = tx.clone();
                    let sink = move |e: crate::extract::Event| {
                        let _ = events_tx.send(Msg::Extract(e));
                    };
                    // Another process's work on the cache shows where the job's work would.
                    let busy_tx = tx.clone();
                    let wait = Wait::for_workspace(&ws).notify(move |m| {
                        let _ = busy_tx.send(Msg::Busy(lane, Some(m.to_string())));
                    });
                    let progress_tx = tx.clone();
                    let busy = move |m: String| {
                        let _ = progress_tx.send(Msg::Busy(lane, Some(m)));
                    };
                    let progress = Progress {
                        extract: &sink,
                        busy: &busy,
                    };
                    execute(&ws, &mut lane_state, &job, &cancel, &wait, &progress)
                }
                Err(_) => Err(Error::Runtime("an earlier job on this lane crashed".into())),
            };
            let _ = tx.send(Msg::Done(job, result));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn workspace() -> (tempfile::TempDir, Arc<Workspace>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("assay.toml"), "[workspace]\nname = \"t\"\n").unwrap();
        let ws = Workspace::load(dir.path()).unwrap();
        (dir, Arc::new(ws))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn esc_interrupts_a_running_query_and_drops_pending_ones() {
        let (_dir, ws) = workspace();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut worker = Worker::new(ws, None, tx).unwrap();
        let slow = Job::Sql {
            text: "SELECT sum(i * j) FROM range(100000000) a(i), range(100000) b(j)".into(),
            limit: 10,
            write: false,
        };
        worker.submit(slow);
        // Two more while it runs: they wait (the newest replacing the older).
        worker.submit(Job::Sql {
            text: "SELECT 1".into(),
            limit: 10,
            write: false,
        });
        worker.submit(Job::Sql {
            text: "SELECT 2 AS two".into(),
            limit: 10,
            write: false,
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let asked = Instant::now();
        worker.cancel_all();
        let mut done = Vec::new();
        while done.is_empty() {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .unwrap()
                .unwrap()
            {
                Msg::Done(job, result) => done.push((job, result)),
                _ => continue,
            }
        }
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "the interrupt took {:?}",
            asked.elapsed()
        );
        assert!(
            matches!(done[0].1, Err(Error::Cancelled)),
            "{:?}",
            done[0].1.as_ref().err()
        );
        // Esc also dropped the pending job; a new one runs.
        worker.finished(Lane::Sql);
        worker.submit(Job::Sql {
            text: "SELECT 2 AS two".into(),
            limit: 10,
            write: false,
        });
        loop {
            if let Msg::Done(job, result) = rx.recv().await.unwrap() {
                assert_eq!(
                    job,
                    Job::Sql {
                        text: "SELECT 2 AS two".into(),
                        limit: 10,
                        write: false,
                    }
                );
                assert!(matches!(result, Ok(Payload::SqlRows { total: 1, .. })));
                break;
            }
        }
    }
}
