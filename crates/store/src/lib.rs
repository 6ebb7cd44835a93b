//! Persistence for Stepwise: the [`Store`] trait and its SQLite implementation.
//!
//! Architecture Invariant: this crate is the only one that talks to a database.
//! Every backend (SQLite now, PostgreSQL later, test doubles) implements [`Store`];
//! the runtime and the server see nothing else. The API is synchronous and
//! `Send + Sync`: backends run their own threads, so callers on an async runtime
//! wrap calls in `spawn_blocking` and this crate stays free of tokio.
//!
//! The central write is [`Store::commit`]: a batch of [`Transition`]s, each applied
//! only if the execution's version still matches (compare-and-set), each writing
//! its history events, end state, timers, outbox rows, consumed inbox rows, task
//! tokens and snapshot together. See `../shared/DURABILITY.md` for the design.

mod backend;
mod error;
mod model;
mod page;
mod schema;
pub mod sqlite;

pub use backend::{CommitReply, Store};
pub use error::{Error, Result};
pub use model::*;
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous, WriterStats};

/// The runtime shares one store between threads as `Arc<dyn Store>`: keep both
/// possible (object safety, `Send + Sync`) at compile time.
const _: () = {
    const fn shareable<T: Send + Sync + ?Sized>() {}
    shareable::<SqliteStore>();
    shareable::<dyn Store>();
};
