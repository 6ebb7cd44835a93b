//! The SQLite backend: one file, WAL mode, a writer thread doing group commit, and a
//! small pool of read connections.
//!
//! WAL lets readers run beside the writer without blocking it. `synchronous=FULL`
//! (the default) fsyncs the WAL on every commit, so an acknowledged transition
//! survives power loss; `NORMAL` survives process crashes only and is opt-in.

mod commit;
mod executions;
mod history;
mod impl_store;
mod machines;
mod pcache;
mod queues;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{Error, Result, schema};
pub use writer::WriterStats;
use writer::{ClosureJob, Counters, Message};

/// How hard each commit pushes data to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync the WAL at every commit: durable across power loss.
    #[default]
    Full,
    /// fsync only at checkpoints: durable across process crashes, may lose the
    /// last commits on power loss; several times faster on real disks.
    Normal,
}

/// Tuning of a [`SqliteStore`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub synchronous: Synchronous,
    /// How long a connection waits for a lock held by another process before
    /// reporting `Error::Busy`.
    pub busy_timeout: Duration,
    /// The most write requests committed in one transaction.
    pub max_group: usize,
    /// Read connections kept open for reuse.
    pub max_idle_readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
            max_group: 512,
            max_idle_readers: 8,
        }
    }
}

/// The write connection's page cache (KiB).
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// How often the writer checkpoints while it commits.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// A WAL this long (in pages) is checkpointed at once, however busy the writer.
const MAX_WAL_FRAMES: i64 = 16 * 1024;

/// The SQLite implementation of [`crate::Store`].
pub struct SqliteStore {
    path: PathBuf,
    options: SqliteOptions,
    sender: SyncSender<Message>,
    writer: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database at `path`, migrating its schema to the newest version.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        pcache::install();
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(&path)?;
        configure(&conn, &options)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Io(format!("cannot enable WAL mode (got {mode})")));
        }
        schema::migrate(&mut conn, schema::SQLITE, now_millis())?;
        conn.set_prepared_statement_cache_capacity(128);
        // The pages the writer touches stay in memory (no re-reads from the OS).
        // The writer checkpoints by time between groups rather than every 1000
        // pages: a page written by many commits of that interval is copied once.
        conn.execute_batch(&format!(
            "PRAGMA cache_size=-{WRITER_CACHE_KIB}; PRAGMA wal_autocheckpoint={MAX_WAL_FRAMES};"
        ))?;

        // Durable commits: the syncer thread fsyncs the WAL after each COMMIT
        // (`writer.rs`), so the connection itself skips that fsync. NORMAL still
        // syncs around checkpoints, which keeps the file consistent.
        let wal = match options.synchronous {
            Synchronous::Full => {
                conn.execute_batch("PRAGMA synchronous=NORMAL")?;
                let mut wal_path = path.clone().into_os_string();
                wal_path.push("-wal");
                let wal = std::fs::File::open(&wal_path).map_err(|e| {
                    Error::Io(format!("cannot open the WAL '{}': {e}", wal_path.display()))
                })?;
                Some(wal)
            }
            Synchronous::Normal => None,
        };
        // A bounded queue applies back-pressure instead of buffering without limit.
        let (sender, rx) = mpsc::sync_channel(options.max_group * 4);
        let counters = Arc::new(Counters::default());
        let thread_counters = Arc::clone(&counters);
        let max_group = options.max_group.max(1);
        let handle = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                writer::run(conn, rx, max_group, thread_counters, CHECKPOINT_EVERY, wal)
            })?;
        Ok(SqliteStore {
            path,
            options,
            sender,
            writer: Mutex::new(Some(handle)),
            counters,
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether SQLite runs with the store's page cache (`pcache.rs`): true
    /// unless something in the process opened a database before the first store.
    pub fn page_cache_installed() -> bool {
        pcache::install()
    }

    /// Pages SQLite swapped through its temporary page number in this process
    /// (each re-keyed by the store's page cache).
    pub fn page_cache_temporary_moves() -> u64 {
        pcache::temporary_moves()
    }

    /// The group-commit counters so far.
    pub fn writer_stats(&self) -> WriterStats {
        self.counters.snapshot()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(schema::current_version)
    }

    /// `PRAGMA integrity_check`: `Ok` if the file is sound, else `Error::Corrupt`.
    pub fn integrity_check(&self) -> Result<()> {
        let report: String =
            self.read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))?;
        if report == "ok" {
            Ok(())
        } else {
            Err(Error::Corrupt(report))
        }
    }

    /// Finishes queued writes and closes the database. Dropping the store does the
    /// same; this form reports whether the writer ended cleanly.
    pub fn shutdown(&self) -> Result<()> {
        let handle = self.writer.lock().map_err(|_| Error::Closed)?.take();
        if let Some(handle) = handle {
            let _ = self.sender.send(Message::Shutdown);
            handle
                .join()
                .map_err(|_| Error::Database("writer thread panicked".into()))?;
        }
        Ok(())
    }

    /// Runs `work` on the writer thread inside a group transaction and returns its
    /// result once the group has committed.
    pub(crate) fn write<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnMut(&Connection) -> Result<R> + Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        self.write_then(
            work,
            Box::new(move |result| {
                // The caller may have gone away; nothing to do then.
                let _ = reply.send(result);
            }),
        );
        answer.recv().map_err(|_| Error::Closed)?
    }

    /// Queues `work` for the writer thread; `done` gets its result once the
    /// group has committed (on the writer thread: it must not block).
    pub(crate) fn write_then<R, F>(&self, work: F, done: writer::Reply<R>)
    where
        R: Send + 'static,
        F: FnMut(&Connection) -> Result<R> + Send + 'static,
    {
        let job = Box::new(ClosureJob::new(work, done));
        if let Err(mpsc::SendError(Message::Job(job))) = self.sender.send(Message::Job(job)) {
            job.finish(Err(Error::Closed));
        }
    }

    /// Runs `work` on a read connection (WAL: it sees the last committed state and
    /// never blocks the writer).
    pub(crate) fn read<R>(&self, work: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        let pooled = self.readers.lock().map_err(|_| Error::Closed)?.pop();
        let conn = match pooled {
            Some(c) => c,
            None => self.open_reader()?,
        };
        let result = work(&conn);
        // A reader left inside a transaction by an error is not reused.
        if conn.is_autocommit() {
            let mut pool = self.readers.lock().map_err(|_| Error::Closed)?;
            if pool.len() < self.options.max_idle_readers {
                pool.push(conn);
            }
        }
        result
    }

    fn open_reader(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&conn, &self.options)?;
        conn.execute_batch("PRAGMA query_only=ON")?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

fn configure(conn: &Connection, options: &SqliteOptions) -> Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    let sync = match options.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        // Statement journals (one per SAVEPOINT of a group commit) stay in memory.
        "PRAGMA synchronous={sync}; PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"
    ))?;
    Ok(())
}

/// Wall-clock milliseconds, used only to stamp `schema_version.applied_at`.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Wraps a unique-constraint failure as `AlreadyExists { kind, id }`.
pub(crate) fn exists_or(kind: &'static str, id: &str, e: rusqlite::Error) -> Error {
    if crate::error::is_unique_violation(&e) {
        Error::AlreadyExists {
            kind,
            id: id.to_string(),
        }
    } else {
        e.into()
    }
}

/// `NotFound { kind, id }`.
pub(crate) fn not_found(kind: &'static str, id: &str) -> Error {
    Error::NotFound {
        kind,
        id: id.to_string(),
    }
}
