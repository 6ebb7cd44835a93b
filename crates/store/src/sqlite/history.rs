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

/// Segments whose ends lie at most this many rows apart are read by one scan.
const SCAN_SPAN: i64 = 512;

/// One row of an execution's chain of transitions.
struct Link {
    previous: Option<i64>,
    first_event: i64,
    version: i64,
    events: Option<String>,
    journal: Option<String>,
}

/// An execution's transition rows as a chain: each row names the one before it
/// (schema 8). Along the chain, `first_event` and `version` never decrease.
/// Rows whose version is a multiple of 64 are checkpoints, found through a
/// partial index; with the last row they end the chain's *segments*, so a read
/// walks back at most one segment from where it starts.
struct Chain<'c> {
    conn: &'c Connection,
    execution_id: i64,
    link: rusqlite::CachedStatement<'c>,
    /// Checkpoints, oldest first, then the last row (unless it is one).
    ends: Vec<End>,
}

/// Where a segment ends, and what it starts a read from.
struct End {
    seq: i64,
    first_event: i64,
    version: i64,
}

impl<'c> Chain<'c> {
    /// The chain of execution `arn`; `None` if there is no such execution.
    fn of(conn: &'c Connection, arn: &str) -> Result<Option<Chain<'c>>> {
        let head: Option<(i64, Option<i64>, i64)> = conn
            .prepare_cached("SELECT id, last_transition, version FROM executions WHERE arn = ?1")?
            .query_row([arn], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((id, last, version)) = head else {
            return Ok(None);
        };
        let link = conn.prepare_cached(
            "SELECT previous, first_event, version, events, journal FROM transitions \
             WHERE seq = ?1",
        )?;
        let mut chain = Chain {
            conn,
            execution_id: id,
            link,
            ends: Vec::new(),
        };
        // Most executions are short: below version 64 there is no checkpoint to
        // look for (but rows migrated with negative versions; missing them only
        // makes the walk longer).
        if version >= 64 {
            chain.ends = conn
                .prepare_cached(
                    "SELECT seq, first_event, version FROM transitions \
                     WHERE execution_id = ?1 AND version % 64 = 0 ORDER BY version",
                )?
                .query_map([id], |r| {
                    Ok(End {
                        seq: r.get(0)?,
                        first_event: r.get(1)?,
                        version: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
        }
        if let Some(last) = last
            && chain.ends.last().is_none_or(|l| l.seq != last)
        {
            let link = chain.link(last)?;
            chain.ends.push(End {
                seq: last,
                first_event: link.first_event,
                version: link.version,
            });
        }
        Ok(Some(chain))
    }

    fn link(&mut self, seq: i64) -> Result<Link> {
        self.link
            .query_row([seq], |r| {
                Ok(Link {
                    previous: r.get(0)?,
                    first_event: r.get(1)?,
                    version: r.get(2)?,
                    events: r.get(3)?,
                    journal: r.get(4)?,
                })
            })
            .optional()?
            .ok_or_else(|| Error::Corrupt(format!("transition {seq} is missing from its chain")))
    }

    /// The rows of segment `k`, in chain order: back from its end to the end
    /// of segment `k - 1`.
    fn segment(&mut self, k: usize) -> Result<Vec<Link>> {
        let stop = k.checked_sub(1).map(|p| self.ends[p].seq);
        // An execution's rows are in sequence order along its chain, so when few
        // rows of other executions lie between the two ends, one scan of that
        // range is cheaper than a lookup a row.
        if let Some(stop) = stop
            && self.ends[k].seq - stop <= SCAN_SPAN
        {
            return Ok(self
                .conn
                .prepare_cached(
                    "SELECT previous, first_event, version, events, journal \
                     FROM transitions WHERE seq > ?1 AND seq <= ?2 AND execution_id = ?3 \
                     ORDER BY seq",
                )?
                .query_map(params![stop, self.ends[k].seq, self.execution_id], |r| {
                    Ok(Link {
                        previous: r.get(0)?,
                        first_event: r.get(1)?,
                        version: r.get(2)?,
                        events: r.get(3)?,
                        journal: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?);
        }
        let mut rows = vec![self.link(self.ends[k].seq)?];
        while let Some(previous) = rows.last().and_then(|l| l.previous) {
            if Some(previous) == stop {
                break;
            }
            let link = self.link(previous)?;
            rows.push(link);
        }
        rows.reverse();
        Ok(rows)
    }

    /// The first segment holding rows past position `key` (`first_event` or
    /// `version`): the one ending at the last end at or before it, whose own
    /// end may still hold events past it.
    fn segment_from(&self, key: impl Fn(&End) -> i64, position: i64) -> usize {
        self.ends
            .iter()
            .rposition(|l| key(l) <= position)
            .unwrap_or(0)
    }
}

/// The events a row holds (none for a row that recorded no event).
fn events_of(link: &Link) -> Result<Vec<EventRow>> {
    match &link.events {
        Some(text) => decode_events(text),
        None => Ok(Vec::new()),
    }
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
        // Rows from the first end starting at or past `before` on hold no event before it.
        let start = chain
            .ends
            .iter()
            .position(|l| l.first_event >= before)
            .unwrap_or(chain.ends.len().saturating_sub(1));
        'segments: for k in (0..chain.ends.len().min(start + 1)).rev() {
            for link in chain.segment(k)?.into_iter().rev() {
                if items.len() > limit {
                    break 'segments;
                }
                if link.first_event < before {
                    let events = events_of(&link)?;
                    items.extend(events.into_iter().rev().filter(|e| e.id < before));
                }
            }
        }
    } else {
        let after = bound.unwrap_or(i64::MIN);
        let first = after.saturating_add(1);
        let start = chain.segment_from(|l| l.first_event, first);
        'forward: for k in start..chain.ends.len() {
            let rows = chain.segment(k)?;
            for (i, link) in rows.iter().enumerate() {
                if items.len() > limit {
                    break 'forward;
                }
                // A row followed by one starting at or before `first` holds no event past `after`.
                let passed = rows.get(i + 1).is_some_and(|n| n.first_event <= first);
                if !passed {
                    items.extend(events_of(link)?.into_iter().filter(|e| e.id > after));
                }
            }
        }
    }
    let next_token = (items.len() > limit).then(|| {
        items.truncate(limit);
        page::encode(kind, vec![items[limit - 1].id.into()])
    });
    Ok(Page { items, next_token })
}

/// An execution's whole history, segment by segment.
pub(crate) fn all(conn: &Connection, arn: &str) -> Result<Vec<EventRow>> {
    let Some(mut chain) = Chain::of(conn, arn)? else {
        return Err(not_found("execution", arn));
    };
    let mut events = Vec::new();
    for k in 0..chain.ends.len() {
        for link in chain.segment(k)? {
            events.extend(events_of(&link)?);
        }
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
    let mut entries = Vec::new();
    let start = chain.segment_from(|l| l.version, after);
    for k in start..chain.ends.len() {
        for link in chain.segment(k)? {
            if entries.len() >= limit {
                return Ok(entries);
            }
            if let Some(entry) = link.journal
                && link.version > after
            {
                entries.push(JournalEntry {
                    version: link.version,
                    entry,
                });
            }
        }
    }
    Ok(entries)
}
