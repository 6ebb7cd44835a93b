//! The writer thread: owns the one write connection and commits requests in groups.
//!
//! SQLite allows one writer at a time and an fsync costs the same for one row as for
//! a hundred, so every write goes through this thread: it takes the first queued
//! request, drains whatever else is queued (up to a cap), runs them all inside one
//! `BEGIN IMMEDIATE … COMMIT`, and answers every request only after the group is
//! durable. A request that fails must leave the others of its group alone: the
//! group is then rolled back and run again with each request in its own
//! SAVEPOINT, the failing one rolled back to it. Requests rarely fail, and a
//! savepoint costs every page the group touches twice a copy, so the group runs
//! without them first.
//!
//! Durable commits are pipelined: the connection commits without an fsync
//! (`synchronous=NORMAL`, which keeps the file consistent, not durable) and hands
//! the group to the syncer thread, which fsyncs the WAL once for every group
//! committed meanwhile and only then answers their requests. The writer runs the
//! next group while the disk flushes the last one. A reader may see a commit a few
//! milliseconds before it is durable; nothing acts on it before then, because every
//! caller acts on its answer.
//!
//! Policy for a failed fsync (PostgreSQL's "fsyncgate" lesson): after a COMMIT or
//! an fsync fails with an I/O error, the writer refuses every later request with
//! `Error::Io`; the process must restart and recover from what is on disk.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::{Error, Result};

/// A write request, type-erased so one channel carries every kind of write.
pub(crate) trait Job: Send {
    /// Runs the request's statements; false if it failed (its savepoint is undone).
    /// May run more than once (after a rollback): the last run's result counts.
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
    work: F,
    result: Option<Result<R>>,
    reply: Reply<R>,
}

impl<R, F> ClosureJob<R, F>
where
    R: Send + 'static,
    F: FnMut(&Connection) -> Result<R> + Send + 'static,
{
    pub(crate) fn new(work: F, reply: Reply<R>) -> Self {
        ClosureJob {
            work,
            result: None,
            reply,
        }
    }
}

impl<R, F> Job for ClosureJob<R, F>
where
    R: Send + 'static,
    F: FnMut(&Connection) -> Result<R> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        // A panicking request must not take the writer (and every later write) down.
        let result = catch_unwind(AssertUnwindSafe(|| (self.work)(conn)))
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

/// Why writes are refused, once a commit or an fsync failed.
type Poison = Arc<OnceLock<String>>;

/// The writer thread's body. With `wal` (durable mode), groups are answered by a
/// syncer thread after it fsynced that file; without, as soon as they commit.
pub(crate) fn run(
    conn: Connection,
    rx: Receiver<Message>,
    max_group: usize,
    counters: Arc<Counters>,
    checkpoint_every: Duration,
    wal: Option<File>,
) {
    let poisoned: Poison = Arc::default();
    let syncer = match wal.map(|wal| start_syncer(wal, Arc::clone(&poisoned))) {
        Some(Ok(syncer)) => Some(syncer),
        Some(Err(e)) => {
            let _ = poisoned.set(format!("cannot start the syncer thread: {e}"));
            None
        }
        None => None,
    };
    let mut last_checkpoint = Instant::now();
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
        if let Some(reason) = poisoned.get() {
            finish_all(group, &Err(Error::Io(reason.clone())));
            continue;
        }
        if let Err(raw) = commit_group(&conn, &mut group) {
            // Disk full is recoverable (SQLite rolled back cleanly); a failed write or
            // fsync is not: the page cache may no longer match the disk.
            if matches!(&raw, rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::SystemIoFailure)
            {
                let _ = poisoned.set(format!("an earlier commit failed, writes refused: {raw}"));
            }
            finish_all(group, &Err(Error::from(raw)));
            continue;
        }
        match &syncer {
            // The syncer outlives every send: it ends when this sender is dropped.
            Some((to_syncer, _)) => {
                if let Err(std::sync::mpsc::SendError(group)) = to_syncer.send(group) {
                    finish_all(group, &Err(Error::Closed));
                }
            }
            None => finish_all(group, &Ok(())),
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
    // Every committed group is answered before the connection closes.
    if let Some((to_syncer, handle)) = syncer {
        drop(to_syncer);
        let _ = handle.join();
    }
    // Dropping `conn` closes it; the last connection to close checkpoints the WAL.
}

fn finish_all(group: Vec<Box<dyn Job>>, outcome: &Result<()>) {
    for job in group {
        job.finish(outcome.clone());
    }
}

type Syncer = (Sender<Vec<Box<dyn Job>>>, std::thread::JoinHandle<()>);

fn start_syncer(wal: File, poisoned: Poison) -> std::io::Result<Syncer> {
    let (tx, rx) = channel::<Vec<Box<dyn Job>>>();
    let handle = std::thread::Builder::new()
        .name("store-syncer".into())
        .spawn(move || sync_loop(&wal, &rx, &poisoned))?;
    Ok((tx, handle))
}

/// Answers committed groups once the WAL holding them is on disk: one fsync for
/// every group that committed while the previous fsync ran.
fn sync_loop(wal: &File, rx: &Receiver<Vec<Box<dyn Job>>>, poisoned: &Poison) {
    while let Ok(first) = rx.recv() {
        let mut groups = vec![first];
        groups.extend(rx.try_iter());
        let outcome = match poisoned.get() {
            Some(reason) => Err(Error::Io(reason.clone())),
            None => wal.sync_data().map_err(|e| {
                let reason = format!("an fsync of the WAL failed, writes refused: {e}");
                let _ = poisoned.set(reason.clone());
                Error::Io(reason)
            }),
        };
        for group in groups {
            finish_all(group, &outcome);
        }
    }
}

/// Runs a group in one transaction; `Err` if the transaction itself failed.
fn commit_group(
    conn: &Connection,
    group: &mut [Box<dyn Job>],
) -> std::result::Result<(), rusqlite::Error> {
    let outcome = (|| {
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        // A request that failed may have written part of its rows: undo the
        // group and run it again with savepoints. A group of one needs none
        // (its failure rolls the transaction back).
        if !group.iter_mut().all(|job| job.run(conn)) {
            conn.prepare_cached("ROLLBACK")?.execute([])?;
            if group.len() == 1 {
                return Ok(());
            }
            conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
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
