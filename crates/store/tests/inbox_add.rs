//! `Transition::inbox_add`: rows for other executions written with a transition
//! (a nested child's result for its parent, a stop for a child) — all or nothing
//! with it, and deduplicated by key.

mod common;

use common::*;
use store::*;

fn row(target: &str, key: &str) -> NewInboxRow {
    NewInboxRow {
        execution_arn: target.to_string(),
        kind: "task_result".into(),
        dedup_key: key.to_string(),
        payload: format!(r#"{{"key":"{key}"}}"#),
        visible_at: 5,
    }
}

#[test]
fn inbox_rows_go_with_their_transition_or_not_at_all() {
    let (_dir, path) = temp_db();
    let s = SqliteStore::open(&path).unwrap();
    s.create_state_machine(machine("m", 1)).unwrap();
    let child = start(&s, "m", "child", 1);
    let parent = start(&s, "m", "parent", 1);

    let mut t = Transition::new(&child, 1);
    t.inbox_add.push(row(&parent, "child-end"));
    assert_eq!(
        s.commit(vec![t]).unwrap(),
        [CommitOutcome::Committed { version: 2 }]
    );
    let rows = s.inbox(&parent, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].payload, r#"{"key":"child-end"}"#);
    assert!(s.inbox(&child, 10).unwrap().is_empty());
    assert!(
        s.inbox(&parent, 4).unwrap().is_empty(),
        "not visible before"
    );

    // The same key again is dropped; a stale version writes nothing at all.
    let mut again = Transition::new(&child, 2);
    again.inbox_add.push(row(&parent, "child-end"));
    let mut stale = Transition::new(&child, 1);
    stale.inbox_add.push(row(&parent, "from-a-stale-version"));
    assert_eq!(
        s.commit(vec![again, stale]).unwrap(),
        [
            CommitOutcome::Committed { version: 3 },
            CommitOutcome::VersionConflict { current: 3 }
        ]
    );
    let keys: Vec<String> = s
        .inbox(&parent, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.dedup_key)
        .collect();
    assert_eq!(keys, ["child-end"]);
    assert_eq!(s.executions_with_inbox(10, 10).unwrap(), [parent]);
}
