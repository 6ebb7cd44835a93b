//! The store's page cache (`sqlite/pcache.rs`) under a load that makes SQLite
//! swap pages through its temporary page number: every row written must read
//! back, from a fresh connection and after a reopen, in a file that passes
//! `integrity_check`.
//!
//! Its own test binary: the page cache can only be installed before anything in
//! the process opens a database.

mod common;

use common::*;
use store::*;

/// Executions written side by side, so that each one's history pages split
/// beside the others' (as under many concurrent executions).
const EXECUTIONS: usize = 48;
const ROUNDS: i64 = 40;
const EVENTS_PER_ROUND: usize = 6;

fn padded_events(first: i64, n: usize) -> Vec<EventRow> {
    let mut rows = events(first, n, first);
    for row in &mut rows {
        row.details = format!(
            r#"{{"stateEnteredEventDetails":{{"name":"S{}","input":"{}"}}}}"#,
            row.id,
            "x".repeat(150 + (row.id as usize * 37) % 300)
        );
    }
    rows
}

#[test]
fn pages_swapped_through_the_temporary_number_keep_their_contents() {
    let (_dir, path) = temp_db();
    let s = SqliteStore::open(&path).unwrap();
    assert!(
        SqliteStore::page_cache_installed(),
        "the store opened first, so its page cache is in use"
    );
    s.create_state_machine(machine("m", 1)).unwrap();
    let arns: Vec<String> = (0..EXECUTIONS)
        .map(|i| start(&s, "m", &format!("e{i}"), i as i64))
        .collect();
    let mut versions = vec![1i64; EXECUTIONS];
    let mut next_id = vec![2i64; EXECUTIONS];
    let moves_before = SqliteStore::page_cache_temporary_moves();
    for round in 0..ROUNDS {
        let mut batch = Vec::new();
        for (i, arn) in arns.iter().enumerate() {
            let mut t = Transition::new(arn, versions[i]);
            t.events = padded_events(next_id[i], EVENTS_PER_ROUND);
            // Tokens with scattered keys, each invalidated a round later, as
            // activity tasks are.
            t.tokens_add.push(NewTaskToken {
                token: format!(
                    "{:08x}-{round:04}-{i:04}",
                    (round as u64 * 7919 + i as u64 * 104_729) % 0xffff_ffff
                ),
                task_id: round,
            });
            if round > 0 {
                t.tokens_invalidate.push(format!(
                    "{:08x}-{:04}-{i:04}",
                    ((round - 1) as u64 * 7919 + i as u64 * 104_729) % 0xffff_ffff,
                    round - 1
                ));
            }
            batch.push(t);
            next_id[i] += EVENTS_PER_ROUND as i64;
        }
        let outcomes = s.commit(batch).unwrap();
        for (i, outcome) in outcomes.iter().enumerate() {
            assert_eq!(
                *outcome,
                CommitOutcome::Committed {
                    version: versions[i] + 1
                }
            );
            versions[i] += 1;
        }
    }
    assert!(
        SqliteStore::page_cache_temporary_moves() > moves_before,
        "the load swapped pages through the temporary number"
    );

    let expect_all = |s: &SqliteStore| {
        for (i, arn) in arns.iter().enumerate() {
            let q = HistoryQuery {
                reverse_order: false,
                page: PageRequest::first(1000),
            };
            let items = s.history(arn, &q).unwrap().items;
            assert_eq!(items.len() as i64, next_id[i] - 1, "{arn}");
            for row in items.iter().skip(1) {
                assert_eq!(row.details, padded_events(row.id, 1)[0].details);
            }
        }
    };
    expect_all(&s);
    drop(s);

    let check = rusqlite::Connection::open(&path).unwrap();
    let verdict: String = check
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok");
    drop(check);

    let reopened = SqliteStore::open(&path).unwrap();
    expect_all(&reopened);
}
