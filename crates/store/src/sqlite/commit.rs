//! The transaction of one transition: version compare-and-set, then every row it writes.
//!
//! The version check happens before any write, so a conflicting item writes nothing
//! without needing its own savepoint; any other failure fails the whole request,
//! which the writer rolls back to the request's savepoint.

use rusqlite::{Connection, OptionalExtension, params};

use crate::model::{CommitOutcome, Transition};
use crate::{Error, Result};

/// Applies each transition of a batch in order (a later item may build on an
/// earlier one of the same execution).
pub(crate) fn apply_batch(conn: &Connection, batch: &[Transition]) -> Result<Vec<CommitOutcome>> {
    batch.iter().map(|t| apply(conn, t)).collect()
}

/// Applies one transition if the execution's version is `t.expected_version`.
pub(crate) fn apply(conn: &Connection, t: &Transition) -> Result<CommitOutcome> {
    let arn = t.execution_arn.as_str();
    type Current = (i64, i64, i64, Option<i64>);
    let current: Option<Current> = conn
        .prepare_cached(
            "SELECT version, next_event_id, id, last_transition FROM executions WHERE arn = ?1",
        )?
        .query_row([arn], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((version, next_event_id, execution_id, last_transition)) = current else {
        return Ok(CommitOutcome::NotFound);
    };
    if version != t.expected_version {
        return Ok(CommitOutcome::VersionConflict { current: version });
    }
    let new_next = check_event_ids(t, next_event_id)?;

    // The row goes at the end of the execution's chain (`history::Chain`).
    let first_event = t.events.first().map_or(next_event_id, |e| e.id);
    let events = if t.events.is_empty() {
        None
    } else {
        Some(encode_events(&t.events)?)
    };
    conn.prepare_cached(
        "INSERT INTO transitions (execution_id, version, first_event, events, journal, previous) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        execution_id,
        version + 1,
        first_event,
        events,
        t.journal,
        last_transition
    ])?;
    let seq = conn.last_insert_rowid();
    // The version predicate repeats the check so the statement is also correct
    // where several writers race (PostgreSQL); here it always matches, and the
    // row above goes with the rolled-back request otherwise.
    let changed = conn
        .prepare_cached(
            "UPDATE executions SET version = version + 1, next_event_id = ?3, \
             snapshot = COALESCE(?4, snapshot), last_transition = ?5 \
             WHERE arn = ?1 AND version = ?2",
        )?
        .execute(params![arn, version, new_next, t.snapshot, seq])?;
    if changed != 1 {
        return Err(Error::Invalid(format!(
            "{arn} changed under its own transaction (version {version})"
        )));
    }
    if let Some(at) = t.redrive {
        conn.prepare_cached(
            "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, \
             cause = NULL, stopped_at = NULL, redrive_count = redrive_count + 1, \
             redrive_date = ?2, redrive_status = NULL WHERE arn = ?1",
        )?
        .execute(params![arn, at])?;
    }
    if let Some(end) = &t.ending {
        conn.prepare_cached(
            "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, \
             stopped_at = ?6 WHERE arn = ?1",
        )?
        .execute(params![
            arn,
            end.status.as_str(),
            end.output,
            end.error,
            end.cause,
            end.stopped_at
        ])?;
    }
    write_side_rows(conn, t, execution_id)?;
    Ok(CommitOutcome::Committed {
        version: version + 1,
    })
}

/// The `events` column of a transition: a JSON array of its events, each
/// `details` text embedded as it is (checked to be one JSON value).
pub(crate) fn encode_events(events: &[crate::model::EventRow]) -> Result<String> {
    use std::fmt::Write;
    let mut out = String::with_capacity(events.iter().map(|e| e.details.len() + 96).sum());
    out.push('[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let event_type =
            serde_json::to_string(&e.event_type).unwrap_or_else(|_| "\"\"".to_string());
        let details: &serde_json::value::RawValue = serde_json::from_str(&e.details)
            .map_err(|err| Error::Invalid(format!("details of event {}: {err}", e.id)))?;
        let _ = write!(
            out,
            r#"{{"id":{},"type":{event_type},"timestamp":{},"previous_id":{},"details":{}}}"#,
            e.id,
            e.timestamp,
            e.previous_id,
            details.get()
        );
    }
    out.push(']');
    Ok(out)
}

/// Event ids must increase and start at or past the stored history's end (the
/// engine may number events it does not record); returns the next free id.
fn check_event_ids(t: &Transition, next_event_id: i64) -> Result<i64> {
    let mut expected_min = next_event_id;
    for e in &t.events {
        if e.id < expected_min {
            return Err(Error::Invalid(format!(
                "event id {} of {} does not follow {}",
                e.id,
                t.execution_arn,
                expected_min - 1
            )));
        }
        expected_min = e.id + 1;
    }
    Ok(expected_min)
}

/// Timers, outbox rows, inbox consumption and task tokens of one transition.
fn write_side_rows(conn: &Connection, t: &Transition, execution_id: i64) -> Result<()> {
    let arn = t.execution_arn.as_str();
    if !t.timers_remove.is_empty() {
        let mut stmt =
            conn.prepare_cached("DELETE FROM timers WHERE execution_arn = ?1 AND timer_id = ?2")?;
        for id in &t.timers_remove {
            stmt.execute(params![arn, id])?;
        }
    }
    if !t.timers_add.is_empty() {
        // Re-arming a timer id replaces it (a retry back-off reuses its timer).
        let mut stmt = conn.prepare_cached(
            "INSERT INTO timers (execution_arn, timer_id, fire_at, payload) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (execution_arn, timer_id) DO UPDATE SET fire_at = excluded.fire_at, \
             payload = excluded.payload, claimed_by = NULL, claim_until = NULL",
        )?;
        for timer in &t.timers_add {
            stmt.execute(params![arn, timer.timer_id, timer.fire_at, timer.payload])?;
        }
    }
    if !t.outbox_remove.is_empty() {
        let mut stmt =
            conn.prepare_cached("DELETE FROM outbox WHERE execution_arn = ?1 AND task_id = ?2")?;
        for id in &t.outbox_remove {
            stmt.execute(params![arn, id])?;
        }
    }
    if !t.outbox_add.is_empty() {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO outbox (execution_arn, task_id, kind, payload, idempotency_key) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for o in &t.outbox_add {
            stmt.execute(params![
                arn,
                o.task_id,
                o.kind,
                o.payload,
                o.idempotency_key
            ])
            .map_err(|e| super::exists_or("outbox row", &o.idempotency_key, e))?;
        }
    }
    if !t.inbox_consumed.is_empty() {
        let mut stmt =
            conn.prepare_cached("DELETE FROM inbox WHERE id = ?1 AND execution_arn = ?2")?;
        for id in &t.inbox_consumed {
            stmt.execute(params![id, arn])?;
        }
    }
    if !t.inbox_add.is_empty() {
        super::queues::append_inbox(conn, &t.inbox_add)?;
    }
    if !t.tokens_add.is_empty() {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO task_tokens (token, execution_id, task_id, active) \
             VALUES (?1, ?2, ?3, 1)",
        )?;
        for tok in &t.tokens_add {
            stmt.execute(params![tok.token, execution_id, tok.task_id])
                .map_err(|e| super::exists_or("task token", &tok.token, e))?;
        }
    }
    if !t.tokens_invalidate.is_empty() {
        let mut stmt = conn.prepare_cached(
            "UPDATE task_tokens SET active = 0 WHERE token = ?1 AND execution_id = ?2",
        )?;
        for tok in &t.tokens_invalidate {
            stmt.execute(params![tok, execution_id])?;
        }
    }
    Ok(())
}
