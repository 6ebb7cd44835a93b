//! The writer thread: owns the one write connection and commits requests in groups.
//!
//! SQLite allows one writer at a time and an fsync costs the same for one row as for
//! a hundred, so every write goes through this thread: it takes the first queued
//! request, drains whatever else is queued (up to a cap), runs each in its own
//! SAVEPOINT inside one `BEGIN IMMEDIATE … COMMIT`, and answers every request only
//! after the COMMIT returned. A request that fails rolls back to its savepoint and
//! leaves the others of its group alone.
//!
//! Policy for a failed fsync (PostgreSQL's "fsyncgate" lesson): after a COMMIT fails
//! with an I/O error, the writer refuses every later request with `Error::Io`; the
//! process must restart and recover from what is on disk.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::{Error, Result};

/// A write request, type-erased so one channel carries every kind of write.
pub(crate) trait Job: Send {
    /// Runs the request's statements; false if it failed (its savepoint is undone).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the group's outcome is known.
    fn finish(self: Box<Self>, commit: Result<()>);
}

/// What travels over the writer's channel.
pub(crate) enum Message {
    Job(Box<dyn Job>),
    /// Finish the queued work, then close the connection (clean shutdown).
    Shutdown,
}

/// Where a job's result goes once its group committed.
pub(crate) type Reply<R> = Box<dyn FnOnce(Result<R>) + Send>;

/// A job built from a closure; its result is handed to `reply`.
pub(crate) struct ClosureJob<R, F> {
    work: Option<F>,
    result: Option<Result<R>>,
    reply: Reply<R>,
}

impl<R, F> ClosureJob<R, F>
where
    R: Send + 'static,
    F: FnOnce(&Connection) -> Result<R> + Send + 'static,
{
    pub(crate) fn new(work: F, reply: Reply<R>) -> Self {
        ClosureJob {
            work: Some(work),
            result: None,
            reply,
        }
    }
}

impl<R, F> Job for ClosureJob<R, F>
where
    R: Send + 'static,
    F: FnOnce(&Connection) -> Result<R> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A panicking request must not take the writer (and every later write) down.
        let result = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(Error::Database("write request panicked".into())));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<()>) {
        let answer = match commit {
            Ok(()) => self.result.unwrap_or(Err(Error::Closed)),
            Err(e) => match self.result {
                // A request that failed on its own reports its own error.
                Some(Err(own)) => Err(own),
                _ => Err(e),
            },
        };
        (self.reply)(answer);
    }
}

/// Counters of the group commit, for benchmarks and metrics.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub groups: AtomicU64,
}

/// A snapshot of the writer's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    /// Write requests answered.
    pub requests: u64,
    /// Transactions committed (or attempted): `requests / groups` is the mean group size.
    pub groups: u64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> WriterStats {
        WriterStats {
            requests: self.requests.load(Ordering::Relaxed),
            groups: self.groups.load(Ordering::Relaxed),
        }
    }
}

/// The writer thread's body.
pub(crate) fn run(
    conn: Connection,
    rx: Receiver<Message>,
    max_group: usize,
    counters: Arc<Counters>,
    checkpoint_every: Duration,
) {
    let mut last_checkpoint = Instant::now();
    let mut poisoned: Option<String> = None;
    let mut stopping = false;
    while !stopping {
        let first = match rx.recv() {
            Ok(Message::Job(job)) => job,
            Ok(Message::Shutdown) | Err(_) => break,
        };
        let mut group = vec![first];
        while group.len() < max_group {
            match rx.try_recv() {
                Ok(Message::Job(job)) => group.push(job),
                Ok(Message::Shutdown) => {
                    stopping = true;
                    break;
                }
                Err(_) => break,
            }
        }
        counters.groups.fetch_add(1, Ordering::Relaxed);
        counters
            .requests
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        if let Some(reason) = &poisoned {
            for job in group {
                job.finish(Err(Error::Io(reason.clone())));
            }
            continue;
        }
        if let Err(raw) = commit_group(&conn, &mut group) {
            // Disk full is recoverable (SQLite rolled back cleanly); a failed write or
            // fsync is not: the page cache may no longer match the disk.
            if matches!(&raw, rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::SystemIoFailure)
            {
                poisoned = Some(format!("an earlier commit failed, writes refused: {raw}"));
            }
            let e = Error::from(raw);
            for job in group {
                job.finish(Err(e.clone()));
            }
            continue;
        }
        for job in group {
            job.finish(Ok(()));
        }
        if last_checkpoint.elapsed() >= checkpoint_every {
            // Between groups no write is in progress, so the checkpoint copies
            // the whole WAL and the next group starts it over.
            last_checkpoint = Instant::now();
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                // The commits are in the WAL: nothing is lost, the next one retries.
                eprintln!("stepwise store: checkpoint failed: {e}");
            }
        }
    }
    // Dropping `conn` closes it; the last connection to close checkpoints the WAL.
}

/// Runs a group in one transaction; `Err` if the transaction itself failed.
/// A group of one needs no savepoint: its failure rolls the transaction back.
fn commit_group(
    conn: &Connection,
    group: &mut [Box<dyn Job>],
) -> std::result::Result<(), rusqlite::Error> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    let outcome = (|| {
        if let [job] = group {
            if !job.run(conn) {
                conn.prepare_cached("ROLLBACK")?.execute([])?;
                return Ok(());
            }
        } else {
            let mut savepoint = conn.prepare_cached("SAVEPOINT request")?;
            let mut release = conn.prepare_cached("RELEASE request")?;
            let mut undo = conn.prepare_cached("ROLLBACK TO request")?;
            for job in group.iter_mut() {
                savepoint.execute([])?;
                if !job.run(conn) {
                    undo.execute([])?;
                }
                release.execute([])?;
            }
        }
        conn.prepare_cached("COMMIT")?.execute([])?;
        Ok(())
    })();
    if outcome.is_err() && !conn.is_autocommit() {
        // SQLite may already have rolled back (e.g. on SQLITE_FULL); ignore.
        let _ = conn.execute_batch("ROLLBACK");
    }
    outcome
}
