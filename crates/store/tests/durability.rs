//! Group commit under concurrency, and durability across unclean stops: a dropped
//! store that never shut down, and a child process killed with SIGKILL mid-commit.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use store::*;

/// One transition of the test workload: 3 events, a timer and a snapshot naming
/// the version it produces, so a partial write would be visible.
fn step(arn: &str, version: i64) -> Transition {
    let mut t = Transition::new(arn, version);
    t.events = events(2 + 3 * (version - 1), 3, version);
    t.timers_add.push(NewTimer {
        timer_id: version,
        fire_at: 1_000_000 + version,
        payload: "{}".into(),
    });
    t.snapshot = Some(format!("v{}", version + 1).into_bytes());
    t
}

/// Checks that `arn` holds exactly `version - 1` whole transitions.
fn assert_whole(s: &SqliteStore, arn: &str) -> i64 {
    let st = s.execution_state(arn).unwrap();
    let v = st.version;
    assert_eq!(st.snapshot, Some(format!("v{v}").into_bytes()), "{arn}");
    assert_eq!(st.next_event_id, 2 + 3 * (v - 1), "{arn}");
    let q = HistoryQuery {
        reverse_order: false,
        page: PageRequest::first(1000),
    };
    let mut ids = Vec::new();
    let mut q = q;
    loop {
        let p = s.history(arn, &q).unwrap();
        ids.extend(p.items.iter().map(|e| e.id));
        match p.next_token {
            Some(t) => q.page.next_token = Some(t),
            None => break,
        }
    }
    let expected: Vec<i64> = (1..2 + 3 * (v - 1)).collect();
    assert_eq!(ids, expected, "{arn}: history must be contiguous and whole");
    v
}

#[test]
fn group_commit_with_16_producers_commits_everything() {
    let (_dir, path) = temp_db();
    let s = Arc::new(SqliteStore::open(&path).unwrap());
    s.create_state_machine(machine("m", 1)).unwrap();
    const PRODUCERS: usize = 16;
    const STEPS: i64 = 60;
    let handles: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                let arn = start(&*s, "m", &format!("p{p}"), p as i64);
                for v in 1..=STEPS {
                    let out = s.commit(vec![step(&arn, v)]).unwrap();
                    assert_eq!(out, vec![CommitOutcome::Committed { version: v + 1 }]);
                }
                arn
            })
        })
        .collect();
    let arns: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for arn in &arns {
        assert_eq!(assert_whole(&s, arn), STEPS + 1);
    }
    let timers = s.due_timers(i64::MAX, 100_000).unwrap();
    assert_eq!(timers.len(), PRODUCERS * STEPS as usize);
    let stats = s.writer_stats();
    // 1 machine + 16 starts + 16 × STEPS commits.
    assert_eq!(stats.requests, 1 + PRODUCERS as u64 * (1 + STEPS as u64));
    assert!(stats.groups <= stats.requests);
    eprintln!(
        "group commit: {} requests in {} transactions",
        stats.requests, stats.groups
    );
}

#[test]
fn a_failing_request_in_a_group_leaves_the_others_committed() {
    let (_dir, path) = temp_db();
    let s = Arc::new(SqliteStore::open(&path).unwrap());
    // 16 threads each create 20 machines; every name is attempted by two threads, so
    // half the requests fail with a unique violation inside shared groups.
    let handles: Vec<_> = (0..16)
        .map(|t| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                let mut created = 0;
                for i in 0..20 {
                    let name = format!("m{}-{i}", t / 2);
                    match s.create_state_machine(machine(&name, i)) {
                        Ok(()) => created += 1,
                        Err(Error::AlreadyExists { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                created
            })
        })
        .collect();
    let created: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(created, 8 * 20);
    let listed = s.list_state_machines(&PageRequest::first(1000)).unwrap();
    assert_eq!(listed.items.len(), 8 * 20);
    let stats = s.writer_stats();
    eprintln!(
        "{} requests in {} transactions",
        stats.requests, stats.groups
    );
}

#[test]
fn a_request_that_fails_after_writing_leaves_no_row_and_its_group_commits() {
    let (_dir, path) = temp_db();
    let s = Arc::new(SqliteStore::open(&path).unwrap());
    s.create_state_machine(machine("m", 1)).unwrap();
    let producers = 12;
    let rounds = 30;
    let arns: Vec<String> = (0..producers)
        .map(|p| start(&*s, "m", &format!("e{p}"), p))
        .collect();
    // Every other transition re-issues a token the producer already holds: its
    // events, timer and snapshot are written before the token's INSERT fails.
    let handles: Vec<_> = arns
        .iter()
        .cloned()
        .map(|arn| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                let mut version = 1;
                let mut refused = 0;
                for round in 0..rounds {
                    let mut t = step(&arn, version);
                    let token = if round % 2 == 1 {
                        format!("{arn}/first")
                    } else {
                        format!("{arn}/{round}")
                    };
                    t.tokens_add.push(NewTaskToken { token, task_id: 1 });
                    match s.commit(vec![t]) {
                        Ok(out) => {
                            assert_eq!(
                                out,
                                vec![CommitOutcome::Committed {
                                    version: version + 1
                                }]
                            );
                            version += 1;
                        }
                        Err(Error::AlreadyExists { .. }) => refused += 1,
                        Err(e) => panic!("{e}"),
                    }
                    if round == 0 {
                        // The token the odd rounds repeat.
                        let mut t = step(&arn, version);
                        t.tokens_add.push(NewTaskToken {
                            token: format!("{arn}/first"),
                            task_id: 2,
                        });
                        s.commit(vec![t]).unwrap();
                        version += 1;
                    }
                }
                (version, refused)
            })
        })
        .collect();
    for (arn, handle) in arns.iter().zip(handles) {
        let (version, refused) = handle.join().unwrap();
        assert_eq!(refused, rounds / 2, "{arn}");
        // Whole transitions only: no event, snapshot or timer of a refused one.
        assert_eq!(assert_whole(&s, arn), version);
    }
    let timers = s.due_timers(i64::MAX, 100_000).unwrap();
    let committed_steps = (producers as usize) * (rounds as usize / 2 + 1);
    assert_eq!(timers.len(), committed_steps);
    let stats = s.writer_stats();
    eprintln!(
        "{} requests in {} transactions",
        stats.requests, stats.groups
    );
}

#[test]
fn data_survives_a_store_that_never_shut_down() {
    let (_dir, path) = temp_db();
    let arn = {
        let s = SqliteStore::open(&path).unwrap();
        s.create_state_machine(machine("m", 1)).unwrap();
        let arn = start(&s, "m", "e", 1);
        for v in 1..=5 {
            s.commit(vec![step(&arn, v)]).unwrap();
        }
        // No shutdown, no checkpoint, connections left open: only the WAL has it.
        std::mem::forget(s);
        arn
    };
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(assert_whole(&s, &arn), 6);
    s.integrity_check().unwrap();
}

const CHILD_ENV: &str = "STEPWISE_STORE_CRASH_DB";
const WORKERS: usize = 4;

/// The child side of the crash test: commits as fast as it can and prints `ACK`
/// lines only after a commit returned. A no-op unless run by the parent.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let s = Arc::new(SqliteStore::open(&path).unwrap());
    let _ = s.create_state_machine(machine("m", 1));
    let deadline = Instant::now() + Duration::from_secs(60);
    let handles: Vec<_> = (0..WORKERS)
        .map(|w| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                let arn = execution_arn("m", &format!("w{w}"));
                if s.describe_execution(&arn).is_err() {
                    start(&*s, "m", &format!("w{w}"), 1);
                }
                let mut v = s.execution_state(&arn).unwrap().version;
                while Instant::now() < deadline {
                    let out = s.commit(vec![step(&arn, v)]).unwrap();
                    assert_eq!(out, vec![CommitOutcome::Committed { version: v + 1 }]);
                    v += 1;
                    println!("ACK {w} {v}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn every_acknowledged_commit_survives_kill_9() {
    let (_dir, path) = temp_db();
    let exe = std::env::current_exe().unwrap();
    let mut acked = [0i64; WORKERS];
    for round in 0..3 {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::<(usize, i64)>::new()));
        let reader = {
            let lines = Arc::clone(&lines);
            let out = child.stdout.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let mut parts = line.split_whitespace();
                    if parts.next() == Some("ACK") {
                        let w = parts.next().and_then(|x| x.parse().ok());
                        let v = parts.next().and_then(|x| x.parse().ok());
                        if let (Some(w), Some(v)) = (w, v) {
                            lines.lock().unwrap().push((w, v));
                        }
                    }
                }
            })
        };
        // Let it commit for a while (at least some acks), then kill it mid-stream.
        let start = Instant::now();
        let target = 150 + 100 * round;
        while lines.lock().unwrap().len() < target && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let lines = lines.lock().unwrap();
        assert!(
            !lines.is_empty(),
            "round {round}: the child acknowledged nothing"
        );
        for &(w, v) in lines.iter() {
            acked[w] = acked[w].max(v);
        }

        let s = SqliteStore::open(&path).unwrap();
        s.integrity_check().unwrap();
        for (w, &max_acked) in acked.iter().enumerate() {
            let arn = execution_arn("m", &format!("w{w}"));
            let v = assert_whole(&s, &arn);
            assert!(
                v >= max_acked,
                "w{w}: stored version {v} < acknowledged {max_acked}"
            );
            let timers = s
                .due_timers(i64::MAX, 1_000_000)
                .unwrap()
                .into_iter()
                .filter(|t| t.execution_arn == arn)
                .count() as i64;
            assert_eq!(timers, v - 1, "w{w}: one timer per whole transition");
        }
        eprintln!("round {round}: {} acks, versions {acked:?}", lines.len());
    }
}

/// The WAL header's checkpoint sequence number: it grows each time the WAL
/// starts over from its beginning.
fn wal_restarts(db: &std::path::Path) -> u32 {
    let wal = std::fs::read(format!("{}-wal", db.display())).unwrap_or_default();
    wal.get(12..16)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[test]
fn a_writer_that_never_pauses_still_checkpoints_and_starts_the_wal_over() {
    let (_dir, path) = temp_db();
    let s = Arc::new(SqliteStore::open(&path).unwrap());
    s.create_state_machine(machine("m", 1)).unwrap();
    let before = wal_restarts(&path);
    let until = Instant::now() + Duration::from_millis(2_500);
    let handles: Vec<_> = (0..4)
        .map(|p| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                let arn = start(&*s, "m", &format!("p{p}"), p as i64);
                let mut v = 1;
                while Instant::now() < until {
                    s.commit(vec![step(&arn, v)]).unwrap();
                    v += 1;
                }
                arn
            })
        })
        .collect();
    let arns: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // Checked while the store is still open: closing it would checkpoint anyway.
    assert!(
        wal_restarts(&path) > before,
        "the WAL grew for 2.5 s without starting over"
    );
    for arn in &arns {
        assert_whole(&s, arn);
    }
}

const EIO_CHILD_ENV: &str = "STEPWISE_STORE_EIO_DB";

/// The child side of the fsync-failure test: commits one transition at a time and
/// prints `ACK <version>` or `ERR <error>` for each. A no-op unless run by the parent.
#[test]
fn fsync_failure_child() {
    let Ok(path) = std::env::var(EIO_CHILD_ENV) else {
        return;
    };
    let s = SqliteStore::open(&path).unwrap();
    s.create_state_machine(machine("m", 1)).unwrap();
    start(&s, "m", "e", 1);
    let arn = execution_arn("m", "e");
    let mut v = s.execution_state(&arn).unwrap().version;
    for _ in 0..12 {
        match s.commit(vec![step(&arn, v)]) {
            Ok(out) => {
                assert_eq!(out, vec![CommitOutcome::Committed { version: v + 1 }]);
                v += 1;
                println!("ACK {v}");
            }
            Err(e) => println!("ERR {e:?}"),
        }
    }
}

/// The fsyncgate policy with pipelined commits: the syncer's fdatasync of the WAL
/// fails once (EIO injected by strace), the commit waiting on it is not
/// acknowledged, and every later write is refused even though later fsyncs would
/// succeed. Needs strace (`scripts/test` installs it).
#[test]
fn a_failed_fsync_is_never_acknowledged_and_refuses_later_writes() {
    let (_dir, path) = temp_db();
    let exe = std::env::current_exe().unwrap();
    // SQLite itself syncs with fsync; fdatasync is only the syncer's, one per
    // commit here (creating the machine, starting the execution, then the steps):
    // the fourth fails.
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync"])
        .args(["-e", "inject=fdatasync:error=EIO:when=4"])
        .arg(&exe)
        .args([
            "--exact",
            "fsync_failure_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(EIO_CHILD_ENV, &path)
        .output()
        .expect("strace is needed for this test (apt-get install strace)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // libtest prints its "test … " prefix on the first line.
    let lines: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.find("ACK ").or_else(|| l.find("ERR ")).map(|at| &l[at..]))
        .collect();
    assert_eq!(lines.len(), 12, "child output:\n{stdout}");
    let first_err = lines
        .iter()
        .position(|l| l.starts_with("ERR"))
        .unwrap_or_else(|| panic!("no commit failed:\n{stdout}"));
    assert!(first_err >= 1, "the first commits succeed:\n{stdout}");
    for line in &lines[first_err..] {
        assert!(
            line.starts_with("ERR Io(") && line.contains("fsync"),
            "after a failed fsync every write is refused as an I/O error:\n{stdout}"
        );
    }
    // What was acknowledged is in the file; the restarted store accepts writes.
    let s = SqliteStore::open(&path).unwrap();
    s.integrity_check().unwrap();
    let arn = execution_arn("m", "e");
    let v = assert_whole(&s, &arn);
    assert!(v > first_err as i64, "stored version {v} < acknowledged");
    s.commit(vec![step(&arn, v)]).unwrap();
}
