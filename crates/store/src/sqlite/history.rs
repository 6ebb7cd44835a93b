//! History pages: GetExecutionHistory, forward or reverse, keyset-paginated by event id.

use rusqlite::{Connection, OptionalExtension};
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

/// One row of an execution's chain of transitions, without its texts.
struct Link {
    seq: i64,
    previous: Option<i64>,
    first_event: i64,
    version: i64,
    has_events: bool,
    has_journal: bool,
}

/// An execution's transition rows, walked from its last one back: each row
/// names the one before it (schema 8). Along the chain, `first_event` and
/// `version` never decrease.
struct Chain<'c> {
    stmt: rusqlite::CachedStatement<'c>,
    next: Option<i64>,
}

impl<'c> Chain<'c> {
    /// The chain of execution `arn`; `None` if there is no such execution.
    fn of(conn: &'c Connection, arn: &str) -> Result<Option<Chain<'c>>> {
        let last: Option<Option<i64>> = conn
            .prepare_cached("SELECT last_transition FROM executions WHERE arn = ?1")?
            .query_row([arn], |r| r.get(0))
            .optional()?;
        let Some(last) = last else { return Ok(None) };
        let stmt = conn.prepare_cached(
            "SELECT previous, first_event, version, events IS NOT NULL, journal IS NOT NULL \
             FROM transitions WHERE seq = ?1",
        )?;
        Ok(Some(Chain { stmt, next: last }))
    }

    /// The row before the last one returned (the last row first).
    fn back(&mut self) -> Result<Option<Link>> {
        let Some(seq) = self.next else {
            return Ok(None);
        };
        let link = self
            .stmt
            .query_row([seq], |r| {
                Ok(Link {
                    seq,
                    previous: r.get(0)?,
                    first_event: r.get(1)?,
                    version: r.get(2)?,
                    has_events: r.get(3)?,
                    has_journal: r.get(4)?,
                })
            })
            .optional()?
            .ok_or_else(|| Error::Corrupt(format!("transition {seq} is missing from its chain")))?;
        self.next = link.previous;
        Ok(Some(link))
    }
}

/// One column of one transition row.
fn text(conn: &Connection, column: &str, seq: i64) -> Result<String> {
    let sql = match column {
        "events" => "SELECT events FROM transitions WHERE seq = ?1",
        _ => "SELECT journal FROM transitions WHERE seq = ?1",
    };
    Ok(conn.prepare_cached(sql)?.query_row([seq], |r| r.get(0))?)
}

/// One page of an execution's history. The token holds the last id returned (and
/// the direction, so a forward token cannot be replayed on a reverse listing).
///
/// An execution's transition rows, in chain order, hold its events in id order;
/// a forward page reads rows from the one holding its first event.
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
    let Some(mut chain) = Chain::of(conn, arn)? else {
        return Err(not_found("execution", arn));
    };
    let limit = q.page.limit();
    let mut items = Vec::new();
    if q.reverse_order {
        let before = bound.unwrap_or(i64::MAX);
        while items.len() <= limit {
            let Some(link) = chain.back()? else { break };
            if !link.has_events || link.first_event >= before {
                continue;
            }
            let events = decode_events(&text(conn, "events", link.seq)?)?;
            items.extend(events.into_iter().rev().filter(|e| e.id < before));
        }
    } else {
        let after = bound.unwrap_or(i64::MIN);
        // Back to the row holding event `after + 1`: the last one starting at or before it.
        let mut rows = Vec::new();
        while let Some(link) = chain.back()? {
            if !link.has_events {
                continue;
            }
            rows.push(link.seq);
            if link.first_event <= after.saturating_add(1) {
                break;
            }
        }
        for seq in rows.into_iter().rev() {
            if items.len() > limit {
                break;
            }
            let events = decode_events(&text(conn, "events", seq)?)?;
            items.extend(events.into_iter().filter(|e| e.id > after));
        }
    }
    let next_token = (items.len() > limit).then(|| {
        items.truncate(limit);
        page::encode(kind, vec![items[limit - 1].id.into()])
    });
    Ok(Page { items, next_token })
}

/// An execution's whole history in one walk of its chain.
pub(crate) fn all(conn: &Connection, arn: &str) -> Result<Vec<EventRow>> {
    let Some(mut chain) = Chain::of(conn, arn)? else {
        return Err(not_found("execution", arn));
    };
    let mut rows = Vec::new();
    while let Some(link) = chain.back()? {
        if link.has_events {
            rows.push(link.seq);
        }
    }
    let mut events = Vec::new();
    for seq in rows.into_iter().rev() {
        events.extend(decode_events(&text(conn, "events", seq)?)?);
    }
    Ok(events)
}

/// Journal entries of one execution after `after`, by version.
pub(crate) fn journal(
    conn: &Connection,
    arn: &str,
    after: i64,
    limit: usize,
) -> Result<Vec<JournalEntry>> {
    let Some(mut chain) = Chain::of(conn, arn)? else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    while let Some(link) = chain.back()? {
        if link.version <= after {
            break;
        }
        if link.has_journal {
            rows.push((link.seq, link.version));
        }
    }
    rows.reverse();
    rows.truncate(limit);
    rows.into_iter()
        .map(|(seq, version)| {
            Ok(JournalEntry {
                version,
                entry: text(conn, "journal", seq)?,
            })
        })
        .collect()
}
