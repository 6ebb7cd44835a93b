//! A database written by schema 5 (history and journal rows keyed by execution
//! ARN, task tokens naming their execution's ARN) opens under the current
//! schema (one row per transition, tokens naming an execution id) with every
//! event, journal entry and token where it was, and its executions carry on.

mod common;

use common::*;
use store::*;

const SCHEMA_5: &[&str] = &[
    include_str!("../migrations/sqlite/0001_initial.sql"),
    include_str!("../migrations/sqlite/0002_journal.sql"),
    include_str!("../migrations/sqlite/0003_redrive.sql"),
    include_str!("../migrations/sqlite/0004_execution_status_index.sql"),
    include_str!("../migrations/sqlite/0005_drop_token_index.sql"),
];

/// Events of the old layout: ids 1..=n, details naming the id (one with text
/// that needs escaping).
fn old_events(n: i64) -> Vec<EventRow> {
    (1..=n)
        .map(|id| EventRow {
            id,
            previous_id: id - 1,
            event_type: if id == 1 {
                "ExecutionStarted".into()
            } else {
                "PassStateEntered".into()
            },
            timestamp: 1_000 + id,
            details: format!(
                r#"{{"stateEnteredEventDetails":{{"name":"S{id}","input":"{{\"q\":\"a \\\"quote\\\" é\",\"i\":{id}}}"}}}}"#
            ),
        })
        .collect()
}

fn all_events(s: &SqliteStore, arn: &str, reverse: bool, page_size: usize) -> Vec<EventRow> {
    let mut q = HistoryQuery {
        reverse_order: reverse,
        page: PageRequest::first(page_size),
    };
    let mut out = Vec::new();
    loop {
        let p = s.history(arn, &q).unwrap();
        assert!(p.items.len() <= page_size);
        out.extend(p.items);
        match p.next_token {
            Some(t) => q.page.next_token = Some(t),
            None => return out,
        }
    }
}

#[test]
fn history_journal_and_tokens_written_by_schema_5_read_the_same_now() {
    let (_dir, path) = temp_db();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let long = execution_arn("m", "long");
    let short = execution_arn("m", "short");
    {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
             applied_at INTEGER NOT NULL)",
        )
        .unwrap();
        for (i, sql) in SCHEMA_5.iter().enumerate() {
            raw.execute_batch(sql).unwrap();
            raw.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, 'old', 0)",
                [i as i64 + 1],
            )
            .unwrap();
        }
        for (arn, name, events, versions) in [(&long, "long", 250, 40), (&short, "short", 3, 2)] {
            raw.execute(
                "INSERT INTO executions (arn, state_machine_arn, name, status, input, started_at, \
                 version, next_event_id) VALUES (?1, ?2, ?3, 'RUNNING', '{}', 1, ?4, ?5)",
                rusqlite::params![arn, machine_arn("m"), name, versions, events + 1],
            )
            .unwrap();
            for e in old_events(events) {
                raw.execute(
                    "INSERT INTO history (execution_arn, event_id, type, timestamp, previous_id, \
                     details) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![
                        arn,
                        e.id,
                        e.event_type,
                        e.timestamp,
                        e.previous_id,
                        e.details
                    ],
                )
                .unwrap();
            }
            for (token, task, status) in [("a", 7, "ACTIVE"), ("b", 9, "INVALIDATED")] {
                raw.execute(
                    "INSERT INTO task_tokens (token, execution_arn, task_id, status) \
                     VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![format!("{token}-{name}"), arn, task, status],
                )
                .unwrap();
            }
            for v in 1..=versions {
                raw.execute(
                    "INSERT INTO journal (execution_arn, version, entry) VALUES (?1, ?2, ?3)",
                    rusqlite::params![arn, v, format!("entry {v} of {name}")],
                )
                .unwrap();
            }
        }
    }

    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), 8);
    s.integrity_check().unwrap();
    for (arn, events) in [(&long, 250), (&short, 3)] {
        let expected = old_events(events);
        for page_size in [1, 7, 100, 1000] {
            assert_eq!(all_events(&s, arn, false, page_size), expected, "{arn}");
            let mut reversed = expected.clone();
            reversed.reverse();
            assert_eq!(all_events(&s, arn, true, page_size), reversed, "{arn}");
        }
    }
    for (arn, name) in [(&long, "long"), (&short, "short")] {
        let active = s.task_token(&format!("a-{name}")).unwrap().unwrap();
        assert_eq!(
            (active.execution_arn.as_str(), active.task_id, active.active),
            (arn.as_str(), 7, true)
        );
        let ended = s.task_token(&format!("b-{name}")).unwrap().unwrap();
        assert_eq!(
            (ended.execution_arn.as_str(), ended.task_id, ended.active),
            (arn.as_str(), 9, false)
        );
    }
    assert_eq!(s.task_token("a-other").unwrap(), None);
    let journal = s.journal(&long, 0, 1000).unwrap();
    assert_eq!(journal.len(), 40);
    assert!(
        journal.iter().enumerate().all(
            |(i, j)| j.version == i as i64 + 1 && j.entry == format!("entry {} of long", i + 1)
        )
    );
    assert_eq!(
        s.journal(&long, 38, 10)
            .unwrap()
            .iter()
            .map(|j| j.version)
            .collect::<Vec<_>>(),
        [39, 40]
    );

    // The execution carries on: a new transition's events follow the old ones,
    // and a transition without events keeps the journal in order.
    let mut t = Transition::new(&long, 40);
    t.events = events(251, 2, 9_999);
    t.journal = Some("entry 41".into());
    assert_eq!(
        s.commit(vec![t]).unwrap(),
        vec![CommitOutcome::Committed { version: 41 }]
    );
    let mut t = Transition::new(&long, 41);
    t.journal = Some("entry 42".into());
    s.commit(vec![t]).unwrap();
    let mut t = Transition::new(&long, 42);
    t.events = events(253, 1, 9_999);
    s.commit(vec![t]).unwrap();
    let listed = all_events(&s, &long, false, 100);
    assert_eq!(
        listed.iter().map(|e| e.id).collect::<Vec<_>>(),
        (1..=253).collect::<Vec<_>>()
    );
    assert_eq!(
        all_events(&s, &long, true, 3)
            .iter()
            .map(|e| e.id)
            .take(4)
            .collect::<Vec<_>>(),
        [253, 252, 251, 250]
    );
    assert_eq!(
        s.journal(&long, 39, 10)
            .unwrap()
            .iter()
            .map(|j| (j.version, j.entry.clone()))
            .collect::<Vec<_>>(),
        [
            (40, "entry 40 of long".to_string()),
            (41, "entry 41".to_string()),
            (42, "entry 42".to_string())
        ]
    );

    // A new execution gets an id of its own.
    s.create_state_machine(machine("m", 1)).unwrap();
    let fresh = start(&s, "m", "fresh", 5);
    assert_eq!(all_events(&s, &fresh, false, 10).len(), 1);
    assert_eq!(all_events(&s, &short, false, 10), old_events(3));
}
