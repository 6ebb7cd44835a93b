//! History pages: GetExecutionHistory, forward or reverse, keyset-paginated by event id.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::not_found;
use crate::model::{EventRow, HistoryQuery, JournalEntry, Page};
use crate::{Error, Result, page};

/// One event as a transition row's `events` array holds it (`commit::encode_events`).
#[derive(Deserialize)]
struct StoredEvent<'a> {
    id: i64,
    #[serde(rename = "type")]
    event_type: String,
    timestamp: i64,
    previous_id: i64,
    #[serde(borrow)]
    details: &'a RawValue,
}

/// The events of one transition row, in order.
fn decode_events(text: &str) -> Result<Vec<EventRow>> {
    let stored: Vec<StoredEvent<'_>> = serde_json::from_str(text)
        .map_err(|e| Error::Corrupt(format!("a transition's events: {e}")))?;
    Ok(stored
        .into_iter()
        .map(|s| EventRow {
            id: s.id,
            event_type: s.event_type,
            timestamp: s.timestamp,
            previous_id: s.previous_id,
            details: s.details.get().to_string(),
        })
        .collect())
}

/// The store's integer id of execution `arn`.
fn execution_id(conn: &Connection, arn: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM executions WHERE arn = ?1")?
        .query_row([arn], |r| r.get(0))
        .optional()?)
}

/// One page of an execution's history. The token holds the last id returned (and
/// the direction, so a forward token cannot be replayed on a reverse listing).
///
/// An execution's transition rows in (first_event, version) order hold its
/// events in id order; a page reads rows from the one holding its first event.
pub(crate) fn page(conn: &Connection, arn: &str, q: &HistoryQuery) -> Result<Page<EventRow>> {
    let kind = if q.reverse_order {
        "history-reverse"
    } else {
        "history"
    };
    let bound = match &q.page.next_token {
        Some(t) => Some(page::int(&page::decode(kind, t)?, 0)?),
        None => None,
    };
    let Some(id) = execution_id(conn, arn)? else {
        return Err(not_found("execution", arn));
    };
    let limit = q.page.limit();
    let mut items = Vec::new();
    if q.reverse_order {
        let before = bound.unwrap_or(i64::MAX);
        let mut stmt = conn.prepare_cached(
            "SELECT events FROM transitions WHERE execution_id = ?1 AND first_event < ?2 \
             AND events IS NOT NULL ORDER BY first_event DESC, version DESC",
        )?;
        let mut rows = stmt.query(params![id, before])?;
        while items.len() <= limit {
            let Some(row) = rows.next()? else { break };
            let text: String = row.get(0)?;
            items.extend(
                decode_events(&text)?
                    .into_iter()
                    .rev()
                    .filter(|e| e.id < before),
            );
        }
    } else {
        let after = bound.unwrap_or(i64::MIN);
        // The row holding event `after + 1`: the last one starting at or before it.
        let from: Option<i64> = conn
            .prepare_cached(
                "SELECT first_event FROM transitions WHERE execution_id = ?1 \
                 AND first_event <= ?2 AND events IS NOT NULL \
                 ORDER BY first_event DESC, version DESC LIMIT 1",
            )?
            .query_row(params![id, after.saturating_add(1)], |r| r.get(0))
            .optional()?;
        let mut stmt = conn.prepare_cached(
            "SELECT events FROM transitions WHERE execution_id = ?1 AND first_event >= ?2 \
             AND events IS NOT NULL ORDER BY first_event, version",
        )?;
        let mut rows = stmt.query(params![id, from.unwrap_or(i64::MIN)])?;
        while items.len() <= limit {
            let Some(row) = rows.next()? else { break };
            let text: String = row.get(0)?;
            items.extend(decode_events(&text)?.into_iter().filter(|e| e.id > after));
        }
    }
    let next_token = (items.len() > limit).then(|| {
        items.truncate(limit);
        page::encode(kind, vec![items[limit - 1].id.into()])
    });
    Ok(Page { items, next_token })
}

/// Journal entries of one execution after `after`, by version.
pub(crate) fn journal(
    conn: &Connection,
    arn: &str,
    after: i64,
    limit: usize,
) -> Result<Vec<JournalEntry>> {
    let Some(id) = execution_id(conn, arn)? else {
        return Ok(Vec::new());
    };
    Ok(conn
        .prepare_cached(
            "SELECT version, journal FROM transitions WHERE execution_id = ?1 AND version > ?2 \
             AND journal IS NOT NULL ORDER BY first_event, version LIMIT ?3",
        )?
        .query_map(params![id, after, limit as i64], |r| {
            Ok(JournalEntry {
                version: r.get(0)?,
                entry: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}
