//! The migration runner: plain SQL files applied in order, recorded in `schema_version`.
//!
//! Deliberately tiny (no migration crate): each backend has its own folder of
//! numbered files compiled into the binary; a database is brought to the newest
//! version on open, each file in its own transaction. A database written by a newer
//! binary is refused rather than guessed at.

use rusqlite::Connection;

use crate::{Error, Result};

/// One numbered schema change.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The SQLite migrations, oldest first.
pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "journal",
        sql: include_str!("../migrations/sqlite/0002_journal.sql"),
    },
    Migration {
        version: 3,
        name: "redrive",
        sql: include_str!("../migrations/sqlite/0003_redrive.sql"),
    },
    Migration {
        version: 4,
        name: "execution status index",
        sql: include_str!("../migrations/sqlite/0004_execution_status_index.sql"),
    },
    Migration {
        version: 5,
        name: "drop task token index",
        sql: include_str!("../migrations/sqlite/0005_drop_token_index.sql"),
    },
    Migration {
        version: 6,
        name: "transitions",
        sql: include_str!("../migrations/sqlite/0006_transitions.sql"),
    },
    Migration {
        version: 7,
        name: "compact task tokens",
        sql: include_str!("../migrations/sqlite/0007_compact_tokens.sql"),
    },
    Migration {
        version: 8,
        name: "transition chains",
        sql: include_str!("../migrations/sqlite/0008_transition_chains.sql"),
    },
];

/// The schema version a fully migrated database has.
pub(crate) fn latest(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

/// Applies the migrations `conn` lacks; returns the resulting version.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[Migration], now: i64) -> Result<i64> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at INTEGER NOT NULL
         )",
    )?;
    let current = current_version(conn)?;
    let newest = latest(migrations);
    if current > newest {
        return Err(Error::Schema(format!(
            "database schema version {current} is newer than this binary's ({newest})"
        )));
    }
    for m in migrations.iter().filter(|m| m.version > current) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated between our read and this lock.
        if current_version(&tx)? >= m.version {
            continue;
        }
        tx.execute_batch(m.sql)
            .map_err(|e| Error::Schema(format!("migration {} ({}): {e}", m.version, m.name)))?;
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![m.version, m.name, now],
        )?;
        tx.commit()?;
    }
    current_version(conn)
}

/// The highest applied version (0 for a new database).
pub(crate) fn current_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?)
}
