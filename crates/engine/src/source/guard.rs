//! Server work that cannot hang: the driver call runs on a thread of its own while the
//! caller watches the clock and the user's cancel. A server that accepts and never answers,
//! a query past `timeout_secs` or a Ctrl-C ends the wait; the query is cancelled on the
//! server (PostgreSQL's cancel request, MySQL's `KILL QUERY`) and, if the driver still does
//! not return, its thread is left behind so the process can go on (and end).

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

type Kill = Box<dyn FnOnce() + Send>;

enum Msg<T> {
    /// Logged in; how to cancel the query from outside.
    Connected(Kill),
    Rows(u64),
    Done(Result<T>),
}

/// The worker's side: say when logged in (with a way to cancel) and how far it got.
pub struct Link<T> {
    tx: Sender<Msg<T>>,
}

impl<T> Link<T> {
    pub fn connected(&self, kill: impl FnOnce() + Send + 'static) {
        let _ = self.tx.send(Msg::Connected(Box::new(kill)));
    }

    pub fn rows(&self, n: u64) {
        let _ = self.tx.send(Msg::Rows(n));
    }
}

/// What the wait is bounded by, and how to name it when it runs out.
pub struct Limits {
    pub connect: Duration,
    pub statement: Duration,
    /// `sources.NAME`, for messages.
    pub setting: String,
    /// `postgres at host:port`, for messages.
    pub place: String,
}

/// How often the waiting side looks at the clock and the cancel flag.
const POLL: Duration = Duration::from_millis(50);
/// How long a cancelled driver call gets to return before its thread is left behind.
const GRACE: Duration = Duration::from_secs(2);

/// Run `work` on its own thread, bounded by `limits` and `cancelled`.
pub fn guarded<T: Send + 'static>(
    limits: &Limits,
    cancelled: &dyn Fn() -> bool,
    on_rows: &mut dyn FnMut(u64),
    work: impl FnOnce(&Link<T>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let link = Link { tx };
        let result = work(&link);
        let _ = link.tx.send(Msg::Done(result));
    });
    let mut kill: Option<Kill> = None;
    let mut deadline = Instant::now() + limits.connect;
    loop {
        let stop = match rx.recv_timeout(POLL) {
            Ok(Msg::Connected(k)) => {
                kill = Some(k);
                deadline = Instant::now() + limits.statement;
                continue;
            }
            Ok(Msg::Rows(n)) => {
                on_rows(n);
                continue;
            }
            Ok(Msg::Done(result)) => return result,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::Runtime(format!(
                    "{}: the connection to {} ended without an answer",
                    limits.setting, limits.place
                )))
            }
            Err(RecvTimeoutError::Timeout) if cancelled() => Error::Cancelled,
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => continue,
            Err(RecvTimeoutError::Timeout) => timed_out(limits, kill.is_some()),
        };
        if let Some(k) = kill.take() {
            // The cancel request opens a connection of its own, which may hang as well.
            std::thread::spawn(k);
        }
        let until = Instant::now() + GRACE;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left.min(POLL)) {
                Ok(Msg::Done(_)) | Err(RecvTimeoutError::Disconnected) => break,
                _ => {}
            }
        }
        return Err(stop);
    }
}

fn timed_out(limits: &Limits, logged_in: bool) -> Error {
    if logged_in {
        Error::Runtime(format!(
            "{}: the query did not finish within {} s ({}.timeout_secs); it was cancelled on the server",
            limits.setting,
            limits.statement.as_secs(),
            limits.setting
        ))
    } else {
        Error::Runtime(format!(
            "{}: {} did not complete the login within {} s ({}.connect_timeout_secs): \
             is it the right host and port, and is the server answering?",
            limits.setting,
            limits.place,
            limits.connect.as_secs(),
            limits.setting
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn limits(connect_ms: u64, statement_ms: u64) -> Limits {
        Limits {
            connect: Duration::from_millis(connect_ms),
            statement: Duration::from_millis(statement_ms),
            setting: "sources.erp".into(),
            place: "postgres at 127.0.0.1:1".into(),
        }
    }

    #[test]
    fn a_silent_server_ends_the_wait_at_the_connect_timeout() {
        let started = Instant::now();
        let err = guarded::<()>(&limits(200, 10_000), &|| false, &mut |_| {}, |_| {
            std::thread::sleep(Duration::from_secs(30));
            Ok(())
        })
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            err.to_string().contains("sources.erp.connect_timeout_secs"),
            "{err}"
        );
    }

    #[test]
    fn a_slow_query_is_killed_at_the_statement_timeout() {
        let killed = Arc::new(AtomicBool::new(false));
        let seen = killed.clone();
        let err = guarded::<()>(&limits(1_000, 200), &|| false, &mut |_| {}, move |link| {
            let flag = seen.clone();
            link.connected(move || flag.store(true, Ordering::SeqCst));
            while !seen.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(Error::Runtime(
                "canceling statement due to user request".into(),
            ))
        })
        .unwrap_err();
        assert!(killed.load(Ordering::SeqCst));
        assert!(
            err.to_string().contains("sources.erp.timeout_secs"),
            "{err}"
        );
    }

    #[test]
    fn cancel_ends_the_wait_and_rows_are_reported() {
        let mut rows = Vec::new();
        let started = Instant::now();
        let err = guarded::<()>(
            &limits(1_000, 60_000),
            &|| started.elapsed() > Duration::from_millis(300),
            &mut |n| rows.push(n),
            |link| {
                link.connected(|| {});
                link.rows(100_000);
                std::thread::sleep(Duration::from_secs(30));
                Ok(())
            },
        )
        .unwrap_err();
        assert!(matches!(err, Error::Cancelled));
        assert_eq!(rows, vec![100_000]);
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
