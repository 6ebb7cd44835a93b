//! THE durability test: a child process runs N Standard executions that branch
//! (Choice) and wait (1–3 s from their input, plus 1 s on one branch); the test
//! `kill -9`s it several times mid-flight, restarting it after each kill, then
//! lets it finish. Every execution must have SUCCEEDED with a history equal (ids,
//! previous ids, types, details; not timestamps) to an uninterrupted in-process
//! run of the same input: no event lost, none duplicated, no replay mismatch.
//!
//! The child is this test binary re-executed with `STEPWISE_KILL9_CHILD` set; it
//! runs the `child_process` test, which does nothing otherwise.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use runtime::{Runtime, RuntimeConfig};
use store::{ExecutionFilter, ExecutionStatus, MachineType, PageRequest, SqliteStore, Store};

const N: usize = 200;
const CHILD_ENV: &str = "STEPWISE_KILL9_CHILD";
/// Milliseconds the child runs before each `kill -9` (one kill lands during
/// start-up and recovery).
const KILL_AFTER_MS: [u64; 6] = [600, 700, 150, 600, 400, 500];

const DEFINITION: &str = r#"{"StartAt":"Route","States":{
  "Route":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":100,"Next":"Big"}],"Default":"Small"},
  "Big":{"Type":"Pass","Result":"big","ResultPath":"$.kind","Next":"Wait1"},
  "Small":{"Type":"Pass","Result":"small","ResultPath":"$.kind","Next":"Wait1"},
  "Wait1":{"Type":"Wait","SecondsPath":"$.secs","Next":"Check"},
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.kind","StringEquals":"big","Next":"Wait2"}],"Default":"Done"},
  "Wait2":{"Type":"Wait","Seconds":1,"Next":"Done"},
  "Done":{"Type":"Pass","Parameters":{"n.$":"$.n","kind.$":"$.kind","secs.$":"$.secs"},"End":true}}}"#;

fn input(i: usize) -> String {
    format!(r#"{{"n":{},"secs":{}}}"#, (i * 37) % 200, 1 + i % 3)
}

fn name(i: usize) -> String {
    format!("run-{i:03}")
}

/// The child: starts (or re-starts, idempotently) all N executions, waits for
/// them, and records the runtime's counters. Killed at any point.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process() {
    let Ok(db) = std::env::var(CHILD_ENV) else {
        return;
    };
    let db = Path::new(&db);
    let store = open(db);
    if store.describe_state_machine(&machine_arn("k9")).is_err() {
        create(&*store, "k9", MachineType::Standard, DEFINITION);
    }
    let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
    rt.start().await.expect("start");
    let recovered = rt.stats().recovered;
    append(
        db,
        &format!(
            "life recovered={recovered} mismatches={}\n",
            rt.stats().replay_mismatches
        ),
    );
    let mut starts = tokio::task::JoinSet::new();
    for i in 0..N {
        let rt = Arc::clone(&rt);
        starts.spawn(async move {
            let req = start_req(&machine_arn("k9"), Some(&name(i)), &input(i));
            match rt.start_execution(req).await {
                Ok(s) => Some(s.execution_arn),
                // Already finished in an earlier life.
                Err(runtime::Error::ExecutionAlreadyExists(arn)) => Some(arn),
                Err(e) => panic!("start {i}: {e}"),
            }
        });
    }
    let mut arns = Vec::new();
    while let Some(r) = starts.join_next().await {
        arns.extend(r.expect("start task"));
    }
    for arn in arns {
        rt.wait_until_done(&arn, Duration::from_secs(60))
            .await
            .expect("done");
    }
    let stats = rt.stats();
    append(
        db,
        &format!(
            "end mismatches={} commit_failures={}\n",
            stats.replay_mismatches, stats.commit_failures
        ),
    );
}

fn append(db: &Path, line: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(db.with_extension("stats"))
        .expect("stats file");
    f.write_all(line.as_bytes()).expect("stats");
}

fn spawn_child(db: &Path) -> Child {
    let exe = std::env::current_exe().expect("test binary");
    Command::new(exe)
        .args([
            "--exact",
            "child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, db)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child")
}

fn count(store: &dyn Store, status: ExecutionStatus) -> usize {
    let filter = ExecutionFilter {
        status: Some(status),
        ..Default::default()
    };
    store
        .list_executions(&filter, &PageRequest::first(1000))
        .map_or(0, |p| p.items.len())
}

/// The reference: the same input run uninterrupted in-process on a virtual clock.
fn oracle(i: usize) -> Vec<(i64, i64, String, String)> {
    let (def, diags) = asl::parse(DEFINITION);
    let def = def.unwrap_or_else(|| panic!("{diags:?}"));
    let arn = format!("arn:aws:states:{ACCOUNT}:execution:k9:{}", name(i));
    let info = engine::ExecutionInfo {
        execution_arn: arn,
        name: name(i),
        state_machine_arn: machine_arn("k9"),
        state_machine_name: "k9".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        region: "us-east-1".into(),
        account: "123456789012".into(),
        redrive_count: 0,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        input_text: Some(input(i).as_str().into()),
        seed: 0,
        time_ordered_tokens: false,
        missing_activities: Vec::new(),
    };
    let value: serde_json::Value = serde_json::from_str(&input(i)).expect("input");
    let run = engine::simulate::run(
        engine::Plan::new(def),
        info,
        value,
        engine::Limits::default(),
        &mut engine::simulate::VirtualClock(1_000_000),
        &mut engine::simulate::Mocks::default(),
        true,
    );
    run.history
        .iter()
        .map(store::EventRow::from_event)
        .map(|e| (e.id, e.previous_id, e.event_type, e.details))
        .collect()
}

#[test]
fn kill_9_mid_flight_loses_and_duplicates_nothing() {
    let began = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("stepwise.db");
    let mut mid_flight_kills = 0;
    for (k, after) in KILL_AFTER_MS.iter().enumerate() {
        let mut child = spawn_child(&db);
        std::thread::sleep(Duration::from_millis(*after));
        if child.try_wait().expect("child status").is_some() {
            eprintln!("the child finished before kill {k}");
            break;
        }
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        let store = SqliteStore::open(&db).expect("reopen");
        let (running, succeeded) = (
            count(&store, ExecutionStatus::Running),
            count(&store, ExecutionStatus::Succeeded),
        );
        eprintln!("kill {k} after {after} ms: {running} running, {succeeded} succeeded");
        if running > 0 {
            mid_flight_kills += 1;
        }
    }
    assert!(mid_flight_kills >= 4, "kills should land mid-flight");

    // The last life runs to the end.
    let mut child = spawn_child(&db);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().expect("child status") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the last child did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "last child: {status}");

    let store = SqliteStore::open(&db).expect("reopen");
    store.integrity_check().expect("integrity");
    assert_eq!(count(&store, ExecutionStatus::Succeeded), N);
    assert_eq!(count(&store, ExecutionStatus::Running), 0);
    for i in 0..N {
        let arn = format!("arn:aws:states:{ACCOUNT}:execution:k9:{}", name(i));
        let e = store.describe_execution(&arn).expect("execution");
        assert_eq!(e.status, ExecutionStatus::Succeeded, "{arn}");
        let got: Vec<(i64, i64, String, String)> = history(&store, &arn)
            .into_iter()
            .map(|e| (e.id, e.previous_id, e.event_type, e.details))
            .collect();
        assert_eq!(got, oracle(i), "history of {arn}");
        let stamps: Vec<i64> = history(&store, &arn).iter().map(|e| e.timestamp).collect();
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{arn}: {stamps:?}");
    }
    assert_eq!(store.next_timer_at().expect("timers"), None);
    assert!(store.outbox(i64::MAX, 10).expect("outbox").is_empty());
    assert!(
        store
            .executions_with_inbox(i64::MAX, 10)
            .expect("inbox")
            .is_empty()
    );

    let stats = std::fs::read_to_string(db.with_extension("stats")).expect("stats");
    eprintln!("{stats}");
    assert!(
        stats.contains("end mismatches=0 commit_failures=0"),
        "{stats}"
    );
    assert!(!stats.contains("mismatches=1"), "{stats}");
    let recovered: u64 = stats
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("recovered="))
        .filter_map(|n| n.parse::<u64>().ok())
        .sum();
    assert!(recovered > 0, "no life recovered a running execution");
    eprintln!(
        "{N} executions, {} kills, {recovered} executions recovered over all lives, {:.1} s",
        KILL_AFTER_MS.len(),
        began.elapsed().as_secs_f64()
    );
}
