//! History pages: GetExecutionHistory, forward or reverse, keyset-paginated by event id.

use rusqlite::{Connection, Row, params};

use super::not_found;
use crate::model::{EventRow, HistoryQuery, JournalEntry, Page};
use crate::{Result, page};

fn event(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        id: row.get(0)?,
        event_type: row.get(1)?,
        timestamp: row.get(2)?,
        previous_id: row.get(3)?,
        details: row.get(4)?,
    })
}

/// One page of an execution's history. The token holds the last id returned (and
/// the direction, so a forward token cannot be replayed on a reverse listing).
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
    let limit = q.page.limit();
    let sql = if q.reverse_order {
        "SELECT event_id, type, timestamp, previous_id, details FROM history \
         WHERE execution_arn = ?1 AND event_id < ?2 ORDER BY event_id DESC LIMIT ?3"
    } else {
        "SELECT event_id, type, timestamp, previous_id, details FROM history \
         WHERE execution_arn = ?1 AND event_id > ?2 ORDER BY event_id LIMIT ?3"
    };
    let start = bound.unwrap_or(if q.reverse_order { i64::MAX } else { i64::MIN });
    let mut items = conn
        .prepare_cached(sql)?
        .query_map(params![arn, start, limit as i64 + 1], event)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if items.is_empty() && bound.is_none() {
        // Distinguish "no such execution" from an empty page.
        let exists: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM executions WHERE arn = ?1)")?
            .query_row([arn], |r| r.get(0))?;
        if !exists {
            return Err(not_found("execution", arn));
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
    Ok(conn
        .prepare_cached(
            "SELECT version, entry FROM journal WHERE execution_arn = ?1 AND version > ?2 \
             ORDER BY version LIMIT ?3",
        )?
        .query_map(params![arn, after, limit as i64], |r| {
            Ok(JournalEntry {
                version: r.get(0)?,
                entry: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}
