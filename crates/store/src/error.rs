//! `store::Error`: every way a persistence call can fail, one enum for all backends.
//!
//! Infrastructure failures stay distinguishable (`Busy` is worth a retry, `Corrupt`
//! and `Io` are not) so the server can map them to AWS error shapes and the runtime
//! can apply the "fsync failure is fatal" policy from DURABILITY.md.

/// The error of every `Store` call.
///
/// Messages are kept as text (not the driver's error type) so the error is `Clone`:
/// one failed group commit answers every request that was part of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The named resource (`kind` is "state machine", "execution", …) does not exist.
    #[error("{kind} does not exist: {id}")]
    NotFound { kind: &'static str, id: String },
    /// A resource with that identity (ARN or unique name) already exists.
    #[error("{kind} already exists: {id}")]
    AlreadyExists { kind: &'static str, id: String },
    /// A pagination token that this listing did not issue, or that is malformed.
    #[error("invalid pagination token")]
    InvalidToken,
    /// The request breaks a rule of the store's model (e.g. event ids that do not
    /// follow the stored history); a caller bug, never retried.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The database stayed locked past the busy timeout; retrying may succeed.
    #[error("database busy: {0}")]
    Busy(String),
    /// The database file is damaged or is not a database.
    #[error("database corrupt: {0}")]
    Corrupt(String),
    /// The disk failed, is full, or the file cannot be opened. After a failed fsync
    /// the process must stop acknowledging and recover from disk.
    #[error("storage I/O error: {0}")]
    Io(String),
    /// The database's schema is newer than this binary, or a migration failed.
    #[error("schema error: {0}")]
    Schema(String),
    /// The writer thread has stopped (the store was shut down or it panicked).
    #[error("store is closed")]
    Closed,
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
}

/// The result of every `Store` call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        let text = e.to_string();
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                C::DatabaseBusy | C::DatabaseLocked => Error::Busy(text),
                C::DatabaseCorrupt | C::NotADatabase => Error::Corrupt(text),
                C::SystemIoFailure
                | C::DiskFull
                | C::CannotOpen
                | C::PermissionDenied
                | C::ReadOnly
                | C::FileLockingProtocolFailed
                | C::NoLargeFileSupport => Error::Io(text),
                _ => Error::Database(text),
            },
            _ => Error::Database(text),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

/// Whether a driver error is a UNIQUE / PRIMARY KEY violation, which callers turn
/// into [`Error::AlreadyExists`].
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == rusqlite::ErrorCode::ConstraintViolation
            && matches!(f.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY))
}
