//! Executions and the transaction of a transition: CAS, history, timers, queues.
//!
//! Written against `dyn Store` only, so the PostgreSQL backend runs the same file by
//! changing `open`.

mod common;

use common::*;
use store::*;

fn open() -> (tempfile::TempDir, Box<dyn Store>) {
    let (dir, path) = temp_db();
    let s: Box<dyn Store> = Box::new(SqliteStore::open(&path).unwrap());
    s.create_state_machine(machine("m", 1)).unwrap();
    (dir, s)
}

fn history_ids(s: &dyn Store, arn: &str) -> Vec<i64> {
    let q = HistoryQuery {
        reverse_order: false,
        page: PageRequest::first(1000),
    };
    s.history(arn, &q)
        .unwrap()
        .items
        .iter()
        .map(|e| e.id)
        .collect()
}

#[test]
fn start_is_atomic_and_names_are_unique_per_machine() {
    let (_dir, s) = open();
    let arn = start(&*s, "m", "e1", 100);
    let e = s.describe_execution(&arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Running);
    assert_eq!((e.version, e.next_event_id), (1, 2));
    assert_eq!(history_ids(&*s, &arn), [1]);

    // Same name again: the existing execution comes back, nothing is written.
    let mut first = Transition::new(execution_arn("m", "e1-other"), 0);
    first.events = events(1, 1, 5);
    let again = s
        .start_execution(
            NewExecution {
                arn: execution_arn("m", "e1-other"),
                state_machine_arn: machine_arn("m"),
                state_machine_version_arn: None,
                state_machine_alias_arn: None,
                name: "e1".into(),
                input: "{}".into(),
                started_at: 5,
            },
            first,
        )
        .unwrap();
    assert!(matches!(again, StartOutcome::Existing(ref x) if x.arn == arn));
    assert!(matches!(
        s.describe_execution(&execution_arn("m", "e1-other")),
        Err(Error::NotFound { .. })
    ));

    // A first transition that cannot apply leaves no execution behind.
    let mut bad = Transition::new(execution_arn("m", "e2"), 0);
    bad.events = events(0, 1, 5); // event id 0 is before the history's start
    let r = s.start_execution(
        NewExecution {
            arn: execution_arn("m", "e2"),
            state_machine_arn: machine_arn("m"),
            state_machine_version_arn: None,
            state_machine_alias_arn: None,
            name: "e2".into(),
            input: "{}".into(),
            started_at: 5,
        },
        bad,
    );
    assert!(matches!(r, Err(Error::Invalid(_))), "{r:?}");
    assert!(matches!(
        s.describe_execution(&execution_arn("m", "e2")),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn a_stale_version_conflicts_and_writes_nothing() {
    let (_dir, s) = open();
    let a = start(&*s, "m", "a", 1);
    let b = start(&*s, "m", "b", 2);

    let mut ok = Transition::new(&a, 1);
    ok.events = events(2, 3, 10);
    ok.timers_add.push(NewTimer {
        timer_id: 7,
        fire_at: 50,
        payload: "{}".into(),
    });
    ok.snapshot = Some(b"a2".to_vec());

    let mut stale = Transition::new(&b, 0);
    stale.events = events(2, 2, 10);
    stale.timers_add.push(NewTimer {
        timer_id: 1,
        fire_at: 10,
        payload: "{}".into(),
    });
    stale.outbox_add.push(NewOutboxRow {
        task_id: 1,
        kind: "invoke".into(),
        payload: "{}".into(),
        idempotency_key: "b:1".into(),
    });
    stale.ending = Some(Ending {
        status: ExecutionStatus::Succeeded,
        output: Some("{}".into()),
        error: None,
        cause: None,
        stopped_at: 10,
    });
    stale.snapshot = Some(b"never".to_vec());

    let missing = Transition::new(execution_arn("m", "nope"), 1);
    let out = s.commit(vec![ok, stale, missing]).unwrap();
    assert_eq!(
        out,
        vec![
            CommitOutcome::Committed { version: 2 },
            CommitOutcome::VersionConflict { current: 1 },
            CommitOutcome::NotFound,
        ]
    );
    assert_eq!(history_ids(&*s, &a), [1, 2, 3, 4]);
    assert_eq!(history_ids(&*s, &b), [1]);
    let bs = s.execution_state(&b).unwrap();
    assert_eq!((bs.version, bs.next_event_id), (1, 2));
    assert_eq!(bs.snapshot.as_deref(), Some(&b"v1"[..]));
    assert_eq!(bs.status, ExecutionStatus::Running);
    assert!(s.outbox(0, 10).unwrap().is_empty());
    let timers = s.due_timers(1000, 10).unwrap();
    assert_eq!(timers.len(), 1);
    assert_eq!(
        (timers[0].execution_arn.as_str(), timers[0].timer_id),
        (a.as_str(), 7)
    );
    assert_eq!(
        s.execution_state(&a).unwrap().snapshot.as_deref(),
        Some(&b"a2"[..])
    );

    // Two transitions of one execution in one batch: the second builds on the first.
    let mut t2 = Transition::new(&b, 1);
    t2.events = events(2, 1, 20);
    let mut t3 = Transition::new(&b, 2);
    t3.events = events(3, 1, 21);
    assert_eq!(
        s.commit(vec![t2, t3]).unwrap(),
        vec![
            CommitOutcome::Committed { version: 2 },
            CommitOutcome::Committed { version: 3 }
        ]
    );
}

#[test]
fn a_failing_item_fails_its_whole_batch() {
    let (_dir, s) = open();
    let a = start(&*s, "m", "a", 1);
    let b = start(&*s, "m", "b", 1);
    let mut good = Transition::new(&a, 1);
    good.events = events(2, 1, 3);
    let mut bad = Transition::new(&b, 1);
    bad.events = events(1, 1, 3); // repeats event 1
    assert!(matches!(s.commit(vec![good, bad]), Err(Error::Invalid(_))));
    assert_eq!(s.execution_state(&a).unwrap().version, 1);
    assert_eq!(history_ids(&*s, &a), [1]);
}

#[test]
fn ending_sets_status_and_listing_filters_newest_first() {
    let (_dir, s) = open();
    s.create_state_machine(machine("other", 1)).unwrap();
    for i in 0..12 {
        start(&*s, "m", &format!("e{i:02}"), 100 + i);
    }
    start(&*s, "other", "x", 500);
    let done = execution_arn("m", "e03");
    let mut end = Transition::new(&done, 1);
    end.events = events(2, 1, 200);
    end.ending = Some(Ending {
        status: ExecutionStatus::Failed,
        output: None,
        error: Some("States.TaskFailed".into()),
        cause: Some("boom".into()),
        stopped_at: 200,
    });
    s.commit(vec![end]).unwrap();
    let e = s.describe_execution(&done).unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(
        (e.error.as_deref(), e.stopped_at),
        (Some("States.TaskFailed"), Some(200))
    );

    let filter = ExecutionFilter {
        state_machine_arn: Some(machine_arn("m")),
        ..Default::default()
    };
    let mut names = Vec::new();
    let mut req = PageRequest::first(5);
    loop {
        let p = s.list_executions(&filter, &req).unwrap();
        names.extend(p.items.into_iter().map(|e| e.name));
        match p.next_token {
            Some(t) => req.next_token = Some(t),
            None => break,
        }
    }
    let expected: Vec<String> = (0..12).rev().map(|i| format!("e{i:02}")).collect();
    assert_eq!(names, expected);

    let failed = ExecutionFilter {
        status: Some(ExecutionStatus::Failed),
        ..Default::default()
    };
    let p = s.list_executions(&failed, &PageRequest::default()).unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].arn, done);

    let running = s.running_executions(None, 100).unwrap();
    assert_eq!(running.len(), 12);
    assert!(running.iter().all(|r| r.arn != done));
    let after = s.running_executions(Some(&running[9].arn), 100).unwrap();
    assert_eq!(after.len(), 2);
}

#[test]
fn history_pages_forward_and_reverse() {
    let (_dir, s) = open();
    let a = start(&*s, "m", "h", 1);
    let mut t = Transition::new(&a, 1);
    t.events = events(2, 24, 9);
    s.commit(vec![t]).unwrap();

    for reverse in [false, true] {
        let mut ids = Vec::new();
        let mut q = HistoryQuery {
            reverse_order: reverse,
            page: PageRequest::first(10),
        };
        let mut pages = 0;
        loop {
            let p = s.history(&a, &q).unwrap();
            pages += 1;
            ids.extend(p.items.iter().map(|e| e.id));
            match p.next_token {
                Some(tok) => q.page.next_token = Some(tok),
                None => break,
            }
        }
        let mut expected: Vec<i64> = (1..=25).collect();
        if reverse {
            expected.reverse();
        }
        assert_eq!(ids, expected);
        assert_eq!(pages, 3);
    }
    // A forward token is not a reverse token.
    let fwd = s
        .history(
            &a,
            &HistoryQuery {
                reverse_order: false,
                page: PageRequest::first(10),
            },
        )
        .unwrap();
    let crossed = HistoryQuery {
        reverse_order: true,
        page: PageRequest {
            max_results: 10,
            next_token: fwd.next_token,
        },
    };
    assert_eq!(s.history(&a, &crossed), Err(Error::InvalidToken));
    assert!(matches!(
        s.history("arn:none", &HistoryQuery::default()),
        Err(Error::NotFound { .. })
    ));

    // The stored row gives back the engine's JSON shape.
    let first = &s.history(&a, &HistoryQuery::default()).unwrap().items[1];
    let json = first.to_json().unwrap();
    assert_eq!(json["id"], 2);
    assert_eq!(json["previousEventId"], 1);
    assert_eq!(json["type"], "PassStateEntered");
    assert_eq!(json["stateEnteredEventDetails"]["name"], "S2");
}

/// Executions committing in turn each read back their own transitions only,
/// in order, in pages of any size and from any journal position.
#[test]
fn interleaved_executions_read_their_own_history_and_journal() {
    let (_dir, s) = open();
    // Nine executions, then three: while nine commit, more rows of others lie
    // between two checkpoints of one than a range scan is used for, so reads
    // walk the chain; later segments of the three are read by a scan.
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    let arns: Vec<String> = names.iter().map(|n| start(&*s, "m", n, 1)).collect();
    // Per execution: its next event id, version, and the journal entries written.
    let mut next = [2i64; 9];
    let mut version = [1i64; 9];
    let mut journals: Vec<Vec<(i64, String)>> = vec![Vec::new(); 9];
    for round in 0..280i64 {
        for (i, arn) in arns.iter().enumerate() {
            if round >= 140 && i >= 3 {
                continue;
            }
            let mut t = Transition::new(arn, version[i]);
            // 0 to 3 events; every third transition without a journal entry.
            let n = ((round + i as i64) % 4) as usize;
            t.events = events(next[i], n, round);
            next[i] += n as i64;
            version[i] += 1;
            if (round + i as i64) % 3 != 0 {
                let entry = format!("{} {}", names[i], version[i]);
                journals[i].push((version[i], entry.clone()));
                t.journal = Some(entry);
            }
            s.commit(vec![t]).unwrap();
        }
    }
    for (i, arn) in arns.iter().enumerate() {
        let all: Vec<i64> = (1..next[i]).collect();
        for size in [1, 4, 7, 100, 1000] {
            for reverse in [false, true] {
                let mut q = HistoryQuery {
                    reverse_order: reverse,
                    page: PageRequest::first(size),
                };
                let mut ids = Vec::new();
                loop {
                    let p = s.history(arn, &q).unwrap();
                    assert!(p.items.len() <= size);
                    ids.extend(p.items.iter().map(|e| e.id));
                    match p.next_token {
                        Some(tok) => q.page.next_token = Some(tok),
                        None => break,
                    }
                }
                let mut want = all.clone();
                if reverse {
                    want.reverse();
                }
                assert_eq!(ids, want, "{arn} size {size} reverse {reverse}");
            }
        }
        let whole: Vec<i64> = s.all_events(arn).unwrap().iter().map(|e| e.id).collect();
        assert_eq!(whole, all);
        let stored: Vec<(i64, String)> = s
            .journal(arn, 0, 1000)
            .unwrap()
            .into_iter()
            .map(|j| (j.version, j.entry))
            .collect();
        assert_eq!(stored, journals[i]);
        // Slices starting in the first segment, at a checkpoint, past one,
        // and running over segment ends.
        for from in [10, 41, 42, 43, 60, 95, 130, 170]
            .into_iter()
            .filter(|&f| f < journals[i].len())
        {
            let after = journals[i][from].0;
            let slice: Vec<i64> = s
                .journal(arn, after, 30)
                .unwrap()
                .iter()
                .map(|j| j.version)
                .collect();
            let want: Vec<i64> = journals[i][from + 1..(from + 31).min(journals[i].len())]
                .iter()
                .map(|j| j.0)
                .collect();
            assert_eq!(slice, want, "{arn} after {after}");
        }
    }
    assert!(matches!(
        s.all_events("arn:none"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn engine_events_round_trip_through_rows() {
    let event = engine::HistoryEvent {
        id: 3,
        previous_event_id: 2,
        timestamp: 1_700_000_000_123,
        details: engine::EventDetails::ExecutionSucceeded {
            output: std::sync::Arc::new(serde_json::json!({"x": 1})),
        },
        verbatim: None,
    };
    let row = EventRow::from_event(&event);
    assert_eq!(row.event_type, "ExecutionSucceeded");
    assert_eq!((row.id, row.previous_id), (3, 2));
    assert_eq!(row.to_json().unwrap(), event.to_json());
}

#[test]
fn timers_fire_into_the_inbox_once_and_removed_timers_never_fire() {
    let (_dir, s) = open();
    let a = start(&*s, "m", "t", 1);
    let mut t = Transition::new(&a, 1);
    for (id, at) in [(1, 100), (2, 50), (3, 300)] {
        t.timers_add.push(NewTimer {
            timer_id: id,
            fire_at: at,
            payload: format!(r#"{{"timer":{id}}}"#),
        });
    }
    s.commit(vec![t]).unwrap();
    assert_eq!(s.next_timer_at().unwrap(), Some(50));
    let due: Vec<i64> = s
        .due_timers(100, 10)
        .unwrap()
        .iter()
        .map(|t| t.timer_id)
        .collect();
    assert_eq!(due, [2, 1]);
    assert_eq!(s.due_timers(100, 1).unwrap().len(), 1);

    // Timer 1 is cancelled by a transition before it is fired.
    let mut cancel = Transition::new(&a, 2);
    cancel.timers_remove.push(1);
    s.commit(vec![cancel]).unwrap();
    let keys = [(a.clone(), 1), (a.clone(), 2)];
    assert_eq!(s.fire_timers(&keys, 120).unwrap(), 1);
    assert_eq!(
        s.fire_timers(&keys, 121).unwrap(),
        0,
        "firing twice does nothing"
    );
    let inbox = s.inbox(&a, 120).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        (inbox[0].kind.as_str(), inbox[0].payload.as_str()),
        ("timer", r#"{"timer":2}"#)
    );
    assert_eq!(s.executions_with_inbox(120, 10).unwrap(), vec![a.clone()]);
    assert_eq!(s.due_timers(1000, 10).unwrap().len(), 1);

    // The transition that consumes the inbox row removes it.
    let mut consume = Transition::new(&a, 3);
    consume.inbox_consumed.push(inbox[0].id);
    s.commit(vec![consume]).unwrap();
    assert!(s.inbox(&a, 1000).unwrap().is_empty());
    assert!(s.executions_with_inbox(1000, 10).unwrap().is_empty());
}

#[test]
fn inbox_dedup_outbox_leases_and_task_tokens() {
    let (_dir, s) = open();
    let a = start(&*s, "m", "q", 1);
    let row = |key: &str, visible_at| NewInboxRow {
        execution_arn: a.clone(),
        kind: "task_result".into(),
        dedup_key: key.into(),
        payload: "{}".into(),
        visible_at,
    };
    let added = s
        .append_inbox(vec![row("k1", 0), row("k1", 0), row("k2", 500)])
        .unwrap();
    assert!(matches!(added[0], InboxAppend::Inserted(_)));
    assert_eq!(added[1], InboxAppend::Duplicate);
    assert_eq!(s.inbox(&a, 10).unwrap().len(), 1, "k2 is not visible yet");
    assert_eq!(s.inbox(&a, 500).unwrap().len(), 2);

    let mut t = Transition::new(&a, 1);
    t.outbox_add = (1..=3)
        .map(|i| NewOutboxRow {
            task_id: i,
            kind: "invoke".into(),
            payload: format!("{i}"),
            idempotency_key: format!("{a}:{i}"),
        })
        .collect();
    t.tokens_add.push(NewTaskToken {
        token: "tok-1".into(),
        task_id: 1,
    });
    s.commit(vec![t]).unwrap();
    assert_eq!(s.outbox(0, 10).unwrap().len(), 3);

    let claimed = s.claim_outbox("node-a", 1000, 30_000, 2).unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        claimed
            .iter()
            .all(|o| o.lease_owner.as_deref() == Some("node-a") && o.attempts == 1)
    );
    // Leased rows are skipped until the lease expires.
    let other = s.claim_outbox("node-b", 2000, 30_000, 10).unwrap();
    assert_eq!(other.iter().map(|o| o.task_id).collect::<Vec<_>>(), [3]);
    let expired = s.claim_outbox("node-b", 40_000, 30_000, 10).unwrap();
    assert_eq!(expired.len(), 3);
    assert!(expired.iter().any(|o| o.attempts == 2));

    s.complete_outbox(&a, 1, Some(row("result-1", 0))).unwrap();
    assert_eq!(s.outbox(1_000_000, 10).unwrap().len(), 2);
    assert!(
        s.inbox(&a, 1000)
            .unwrap()
            .iter()
            .any(|r| r.dedup_key == "result-1")
    );

    let mut dup = Transition::new(&a, 2);
    dup.outbox_add.push(NewOutboxRow {
        task_id: 9,
        kind: "invoke".into(),
        payload: "{}".into(),
        idempotency_key: format!("{a}:2"),
    });
    assert!(matches!(
        s.commit(vec![dup]),
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(s.execution_state(&a).unwrap().version, 2);

    let tok = s.task_token("tok-1").unwrap().unwrap();
    assert!(tok.active);
    assert_eq!((tok.execution_arn.as_str(), tok.task_id), (a.as_str(), 1));
    let mut inval = Transition::new(&a, 2);
    inval.tokens_invalidate.push("tok-1".into());
    inval.outbox_remove.push(2);
    s.commit(vec![inval]).unwrap();
    assert!(!s.task_token("tok-1").unwrap().unwrap().active);
    assert_eq!(s.task_token("nope").unwrap(), None);
    assert_eq!(s.outbox(1_000_000, 10).unwrap().len(), 1);
}

#[test]
fn journal_entries_are_written_with_their_transition_only() {
    let (_dir, s) = open();
    let arn = execution_arn("m", "j");
    let mut first = Transition::new(&arn, 0);
    first.events = events(1, 1, 1);
    first.journal = Some("start".into());
    let new = NewExecution {
        arn: arn.clone(),
        state_machine_arn: machine_arn("m"),
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        name: "j".into(),
        input: "{}".into(),
        started_at: 1,
    };
    assert_eq!(
        s.start_execution(new, first).unwrap(),
        StartOutcome::Started
    );
    let mut second = Transition::new(&arn, 1);
    second.events = events(2, 1, 2);
    second.journal = Some("input 1".into());
    // A conflicting item writes no journal entry.
    let mut stale = Transition::new(&arn, 0);
    stale.journal = Some("stale".into());
    let mut bare = Transition::new(&arn, 2);
    bare.journal = None;
    let mut third = Transition::new(&arn, 3);
    third.journal = Some("input 2".into());
    let outcomes = s.commit(vec![second, stale, bare, third]).unwrap();
    assert_eq!(outcomes[1], CommitOutcome::VersionConflict { current: 2 });
    let all = s.journal(&arn, 0, 100).unwrap();
    let got: Vec<(i64, &str)> = all.iter().map(|e| (e.version, e.entry.as_str())).collect();
    assert_eq!(got, [(1, "start"), (2, "input 1"), (4, "input 2")]);
    let tail = s.journal(&arn, 2, 1).unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].entry, "input 2");
    assert!(s.journal("arn:nothing", 0, 10).unwrap().is_empty());
}
