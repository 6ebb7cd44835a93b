//! The work queues around transitions: inbox, timers, outbox, task tokens.
//!
//! Each is a table polled by the runtime. Moves between them (a timer firing into
//! the inbox, an outbox row completing into the inbox) happen in one transaction,
//! so a crash never loses or duplicates the item in between.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::Result;
use crate::model::*;

// ---- inbox ----

pub(crate) fn append_inbox(conn: &Connection, rows: &[NewInboxRow]) -> Result<Vec<InboxAppend>> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO inbox (execution_arn, kind, dedup_key, payload, visible_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )?;
    rows.iter()
        .map(|r| {
            let id: Option<i64> = stmt
                .query_row(
                    params![
                        r.execution_arn,
                        r.kind,
                        r.dedup_key,
                        r.payload,
                        r.visible_at
                    ],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(id.map_or(InboxAppend::Duplicate, InboxAppend::Inserted))
        })
        .collect()
}

fn inbox_row(row: &Row<'_>) -> rusqlite::Result<InboxRow> {
    Ok(InboxRow {
        id: row.get(0)?,
        execution_arn: row.get(1)?,
        kind: row.get(2)?,
        dedup_key: row.get(3)?,
        payload: row.get(4)?,
        visible_at: row.get(5)?,
    })
}

pub(crate) fn inbox(conn: &Connection, arn: &str, now: i64) -> Result<Vec<InboxRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, execution_arn, kind, dedup_key, payload, visible_at FROM inbox \
             WHERE execution_arn = ?1 AND visible_at <= ?2 ORDER BY id",
        )?
        .query_map(params![arn, now], inbox_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn executions_with_inbox(
    conn: &Connection,
    now: i64,
    limit: usize,
) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT execution_arn FROM inbox WHERE visible_at <= ?1 \
             GROUP BY execution_arn ORDER BY MIN(id) LIMIT ?2",
        )?
        .query_map(params![now, limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

// ---- timers ----

pub(crate) fn due_timers(conn: &Connection, now: i64, limit: usize) -> Result<Vec<Timer>> {
    Ok(conn
        .prepare_cached(
            "SELECT execution_arn, timer_id, fire_at, payload FROM timers WHERE fire_at <= ?1 \
             ORDER BY fire_at, execution_arn, timer_id LIMIT ?2",
        )?
        .query_map(params![now, limit as i64], |r| {
            Ok(Timer {
                execution_arn: r.get(0)?,
                timer_id: r.get(1)?,
                fire_at: r.get(2)?,
                payload: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn next_timer_at(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT MIN(fire_at) FROM timers", [], |r| r.get(0))?)
}

/// The inbox dedup key of a fired timer.
pub(crate) fn timer_key(arn: &str, timer_id: i64) -> String {
    format!("timer:{arn}:{timer_id}")
}

pub(crate) fn fire_timers(conn: &Connection, timers: &[(String, i64)], now: i64) -> Result<usize> {
    let mut take = conn.prepare_cached(
        "DELETE FROM timers WHERE execution_arn = ?1 AND timer_id = ?2 RETURNING payload",
    )?;
    let mut put = conn.prepare_cached(
        "INSERT INTO inbox (execution_arn, kind, dedup_key, payload, visible_at) \
         VALUES (?1, 'timer', ?2, ?3, ?4) ON CONFLICT (dedup_key) DO NOTHING",
    )?;
    let mut fired = 0;
    for (arn, id) in timers {
        let payload: Option<String> = take.query_row(params![arn, id], |r| r.get(0)).optional()?;
        if let Some(payload) = payload {
            put.execute(params![arn, timer_key(arn, *id), payload, now])?;
            fired += 1;
        }
    }
    Ok(fired)
}

// ---- outbox ----

const OUTBOX_COLUMNS: &str = "execution_arn, task_id, kind, payload, idempotency_key, \
     lease_owner, lease_until, attempts";

fn outbox_row(row: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        execution_arn: row.get(0)?,
        task_id: row.get(1)?,
        kind: row.get(2)?,
        payload: row.get(3)?,
        idempotency_key: row.get(4)?,
        lease_owner: row.get(5)?,
        lease_until: row.get(6)?,
        attempts: row.get(7)?,
    })
}

pub(crate) fn outbox(conn: &Connection, now: i64, limit: usize) -> Result<Vec<OutboxRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox \
             WHERE lease_until IS NULL OR lease_until <= ?1 ORDER BY id LIMIT ?2"
        ))?
        .query_map(params![now, limit as i64], outbox_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn claim_outbox(
    conn: &Connection,
    owner: &str,
    now: i64,
    lease_ms: i64,
    limit: usize,
) -> Result<Vec<OutboxRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "UPDATE outbox SET lease_owner = ?1, lease_until = ?2 + ?3, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE lease_until IS NULL OR lease_until <= ?2 \
                          ORDER BY id LIMIT ?4) \
             RETURNING {OUTBOX_COLUMNS}"
        ))?
        .query_map(params![owner, now, lease_ms, limit as i64], outbox_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn complete_outbox(
    conn: &Connection,
    arn: &str,
    task_id: i64,
    result: Option<&NewInboxRow>,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM outbox WHERE execution_arn = ?1 AND task_id = ?2")?
        .execute(params![arn, task_id])?;
    if let Some(row) = result {
        append_inbox(conn, std::slice::from_ref(row))?;
    }
    Ok(())
}

// ---- task tokens ----

pub(crate) fn task_token(conn: &Connection, token: &str) -> Result<Option<TaskToken>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.token, e.arn, t.task_id, t.active FROM task_tokens t \
             JOIN executions e ON e.id = t.execution_id WHERE t.token = ?1",
        )?
        .query_row([token], |r| {
            Ok(TaskToken {
                token: r.get(0)?,
                execution_arn: r.get(1)?,
                task_id: r.get(2)?,
                active: r.get(3)?,
            })
        })
        .optional()?)
}
