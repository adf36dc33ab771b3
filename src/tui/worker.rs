//! Runs jobs off the UI thread: each lane has its own DuckDB connection and runs one job at
//! a time on `spawn_blocking`; a newer job replaces a pending one (latest wins) and
//! interrupts a running one that it makes pointless; Esc interrupts them all.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use duckdb::InterruptHandle;
use tokio::sync::mpsc::UnboundedSender;

use super::app::Msg;
use super::jobs::{execute, Job, Lane, LaneState, LANES};
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::extract::Cancel;
use crate::store::Store;

struct Slot {
    state: Arc<Mutex<LaneState>>,
    interrupt: Arc<InterruptHandle>,
    cancel: Arc<Cancel>,
    running: Option<Job>,
    pending: Option<Job>,
}

pub struct Worker {
    ws: Arc<Workspace>,
    slots: BTreeMap<Lane, Slot>,
    tx: UnboundedSender<Msg>,
}

impl Worker {
    pub fn new(ws: Arc<Workspace>, store: &Store, tx: UnboundedSender<Msg>) -> Result<Worker> {
        let mut slots = BTreeMap::new();
        for lane in LANES {
            let lane_store = store.sibling()?;
            slots.insert(
                lane,
                Slot {
                    interrupt: lane_store.interrupt_handle(),
                    state: Arc::new(Mutex::new(LaneState {
                        store: lane_store,
                        drill: None,
                    })),
                    cancel: Cancel::new(),
                    running: None,
                    pending: None,
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
                if running.is_superseded_by_newer() {
                    slot.interrupt.interrupt();
                }
                slot.pending = Some(job);
            }
        }
    }

    /// The job on `lane` ended; start the pending one, if any.
    pub fn finished(&mut self, lane: Lane) {
        let slot = self.slots.get_mut(&lane).expect("every lane has a slot");
        slot.running = None;
        match slot.pending.take() {
            Some(job) => self.start(lane, job),
            None => {
                let _ = self.tx.send(Msg::Busy(lane, None));
            }
        }
    }

    pub fn cancel_all(&mut self) {
        for slot in self.slots.values_mut() {
            slot.pending = None;
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
                    execute(&ws, &mut lane_state, &job, &cancel, &sink)
                }
                Err(_) => Err(Error::Runtime("an earlier job on this lane crashed".into())),
            };
            let _ = tx.send(Msg::Done(job, result));
        });
    }
}
