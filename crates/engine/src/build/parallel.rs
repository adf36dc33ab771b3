//! Models built at once as their dependencies allow (`workspace.threads`): each worker
//! takes the first model in build order whose chosen models it reads are built, on a
//! connection of its own (and a ClickHouse client of its own). A failed model skips only
//! what reads it, directly or not; the others still build.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Condvar, Mutex};

use super::{build_one, skipped, BuildStatus, Model, ModelOutcome};
use crate::cancel::Cancel;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::store::Store;

/// What the workers share: the models still to build, those building, how each ended.
struct Board {
    pending: Vec<usize>,
    building: usize,
    ended: BTreeMap<String, BuildStatus>,
    outcomes: Vec<(usize, ModelOutcome)>,
    failure: Option<Error>,
    /// Workers that have stopped.
    stopped: usize,
}

/// What a worker does next.
enum Next {
    Build(usize),
    /// A model that reads one that failed: recorded as skipped, not built.
    Skip(usize, String),
    Wait,
    Done,
}

impl Board {
    fn next(&mut self, all: &[Model], chosen: &BTreeSet<String>) -> Next {
        if self.failure.is_some() || (self.pending.is_empty() && self.building == 0) {
            return Next::Done;
        }
        for (at, &i) in self.pending.iter().enumerate() {
            // A model reading its own table is refused by `build_one`, not waited on.
            let me = all[i].qualified();
            let waits_on: Vec<&String> = all[i]
                .reads
                .iter()
                .filter(|r| chosen.contains(*r) && **r != me)
                .collect();
            if let Some(cause) = waits_on
                .iter()
                .find(|r| matches!(self.ended.get(**r), Some(s) if *s != BuildStatus::Ok))
            {
                self.pending.remove(at);
                return Next::Skip(i, (*cause).clone());
            }
            if waits_on.iter().all(|r| self.ended.contains_key(*r)) {
                self.pending.remove(at);
                self.building += 1;
                return Next::Build(i);
            }
        }
        match (self.pending.is_empty(), self.building) {
            (true, 0) => Next::Done,
            // Nothing building and nothing ready: the models left wait on each other. The
            // first is built, so its own error says why, rather than everyone waiting.
            (false, 0) => {
                self.building += 1;
                Next::Build(self.pending.remove(0))
            }
            _ => Next::Wait,
        }
    }
}

/// Build the models `order` lists (already cut to the chosen ones) with `threads` workers.
pub(super) fn run(
    ws: &Workspace,
    store: &Store,
    (all, order): (&[Model], Vec<usize>),
    (policy, cancel): (&crate::pii::Policy, &std::sync::Arc<Cancel>),
    threads: usize,
    sink: &dyn Fn(&ModelOutcome),
) -> Result<Vec<ModelOutcome>> {
    let chosen: BTreeSet<String> = order.iter().map(|&i| all[i].qualified()).collect();
    let board = Mutex::new(Board {
        pending: order.clone(),
        building: 0,
        ended: BTreeMap::new(),
        outcomes: Vec::new(),
        failure: None,
        stopped: 0,
    });
    let moved = Condvar::new();
    std::thread::scope(|scope| -> Result<()> {
        let mut workers = Vec::new();
        let count = threads.max(1).min(order.len().max(1));
        for _ in 0..count {
            let own = store.sibling()?;
            cancel.register(own.interrupt_handle());
            let warehouse = crate::warehouse::connect(&ws.config.warehouse)?;
            if let Some(ch) = &warehouse {
                ch.watch(Some(cancel.clone()));
            }
            let (board, moved, chosen) = (&board, &moved, &chosen);
            workers.push(scope.spawn(move || {
                work(
                    &own,
                    warehouse.as_ref(),
                    (all, chosen),
                    (board, moved),
                    (policy, cancel),
                )
            }));
        }
        // Outcomes are told here, on the caller's thread, as they come.
        tell(&board, &moved, count, sink);
        for w in workers {
            w.join()
                .map_err(|_| Error::Runtime("a build worker panicked".into()))?;
        }
        Ok(())
    })?;
    let mut board = board.into_inner().expect("build board");
    if let Some(e) = board.failure.take() {
        return Err(e);
    }
    let place: BTreeMap<usize, usize> = order.iter().enumerate().map(|(at, &i)| (i, at)).collect();
    board.outcomes.sort_by_key(|(i, _)| place[i]);
    Ok(board.outcomes.into_iter().map(|(_, o)| o).collect())
}

/// Each outcome to `sink` as it is recorded, until every worker has stopped.
fn tell(board: &Mutex<Board>, moved: &Condvar, workers: usize, sink: &dyn Fn(&ModelOutcome)) {
    let mut told = 0;
    let mut b = board.lock().expect("build board");
    loop {
        while told < b.outcomes.len() {
            let o = b.outcomes[told].1.clone();
            told += 1;
            drop(b);
            sink(&o);
            b = board.lock().expect("build board");
        }
        if b.stopped == workers {
            return;
        }
        b = moved.wait(b).expect("build board");
    }
}

/// One worker: takes models until none is left, waiting while the ready ones are built.
fn work(
    store: &Store,
    warehouse: Option<&crate::warehouse::ClickHouse>,
    (all, chosen): (&[Model], &BTreeSet<String>),
    (board, moved): (&Mutex<Board>, &Condvar),
    (policy, cancel): (&crate::pii::Policy, &std::sync::Arc<Cancel>),
) {
    loop {
        let next = {
            let mut b = board.lock().expect("build board");
            loop {
                if cancel.is_cancelled() && b.failure.is_none() {
                    b.failure = Some(Error::Cancelled);
                }
                match b.next(all, chosen) {
                    Next::Wait => b = moved.wait(b).expect("build board"),
                    other => break other,
                }
            }
        };
        let (i, built, outcome) = match next {
            // Waiting was done under the lock above; `next` is never Wait here.
            Next::Done | Next::Wait => {
                board.lock().expect("build board").stopped += 1;
                moved.notify_all();
                return;
            }
            Next::Skip(i, cause) => (i, false, Ok(skipped(&all[i], &cause))),
            Next::Build(i) => (i, true, build_one(store, warehouse, &all[i], policy)),
        };
        let mut b = board.lock().expect("build board");
        if built {
            b.building -= 1;
        }
        match outcome {
            Ok(o) => {
                b.ended.insert(all[i].qualified(), o.status);
                b.outcomes.push((i, o));
            }
            Err(e) => {
                b.failure.get_or_insert(e);
            }
        }
        drop(b);
        moved.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str, reads: &[&str]) -> Model {
        Model {
            layer: "gold".into(),
            name: name.into(),
            path: format!("models/gold/{name}.sql").into(),
            sql: String::new(),
            reads: reads.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn board(n: usize) -> Board {
        Board {
            pending: (0..n).collect(),
            building: 0,
            ended: BTreeMap::new(),
            outcomes: Vec::new(),
            failure: None,
            stopped: 0,
        }
    }

    /// Before: a model reading its own table waited for itself, and the build hung.
    #[test]
    fn a_model_reading_itself_or_a_cycle_is_built_not_waited_on() {
        let all = [model("again", &["gold.again"])];
        let chosen: BTreeSet<String> = ["gold.again".to_string()].into();
        assert!(matches!(board(1).next(&all, &chosen), Next::Build(0)));
        let all = [model("a", &["gold.b"]), model("b", &["gold.a"])];
        let chosen: BTreeSet<String> = ["gold.a".to_string(), "gold.b".to_string()].into();
        let mut b = board(2);
        assert!(matches!(b.next(&all, &chosen), Next::Build(0)));
        // While `a` builds, `b` waits for it.
        assert!(matches!(b.next(&all, &chosen), Next::Wait));
    }

    #[test]
    fn what_reads_a_failed_model_is_skipped_and_the_rest_waits_its_turn() {
        let all = [model("a", &[]), model("b", &["gold.a"]), model("c", &[])];
        let chosen: BTreeSet<String> = ["gold.a", "gold.b", "gold.c"].map(String::from).into();
        let mut b = board(3);
        assert!(matches!(b.next(&all, &chosen), Next::Build(0)));
        assert!(matches!(b.next(&all, &chosen), Next::Build(2)));
        assert!(matches!(b.next(&all, &chosen), Next::Wait));
        b.building -= 1;
        b.ended.insert("gold.a".into(), BuildStatus::Failed);
        assert!(matches!(b.next(&all, &chosen), Next::Skip(1, ref c) if c == "gold.a"));
    }
}
