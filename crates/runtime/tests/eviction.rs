//! Executions that wait on timers only are dropped from memory and rebuilt from
//! their journal when something reaches them: a timer, a stop, a restart.
//! Real SQLite files, real timers.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use runtime::{Runtime, RuntimeConfig};
use store::{ExecutionStatus, MachineType};

/// Waits `$.secs`, then a Pass that adds to the input, then a second wait.
const WAITS: &str = r#"{"StartAt":"W1","States":{
  "W1":{"Type":"Wait","SecondsPath":"$.secs","Next":"Mid"},
  "Mid":{"Type":"Pass","Result":"woke","ResultPath":"$.mid","Next":"W2"},
  "W2":{"Type":"Wait","SecondsPath":"$.secs","Next":"Done"},
  "Done":{"Type":"Pass","Result":true,"ResultPath":"$.done","End":true}}}"#;

const T: Duration = Duration::from_secs(30);

/// The stats once no execution is held in memory (an ending execution leaves
/// memory just after its end is committed).
async fn settled(rt: &Runtime) -> runtime::Stats {
    for _ in 0..200 {
        let s = rt.stats();
        if s.running == 0 {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("still in memory: {:?}", rt.stats());
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicted_execution_resumes_when_its_timers_fire() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "waits", MachineType::Standard, WAITS);
    let arn = rt
        .start_execution(start_req(&sm, Some("e"), r#"{"secs":3}"#))
        .await
        .unwrap()
        .execution_arn;
    let s = rt.stats();
    assert_eq!(s.running, 0, "a waiting execution is not held in memory");
    assert_eq!(s.evictions, 1);
    rt.wait_until_done(&arn, T).await.unwrap();
    let e = store.describe_execution(&arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded);
    assert_eq!(
        e.output.as_deref(),
        Some(r#"{"secs":3,"mid":"woke","done":true}"#)
    );
    assert_eq!(
        types(&history(&*store, &arn)),
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let s = settled(&rt).await;
    // Woken twice from the journal, evicted again between the waits.
    assert_eq!((s.rebuilds, s.evictions), (2, 2), "{s:?}");
    assert_eq!(s.replay_mismatches, 0);
    assert_eq!(s.commit_failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_wait_keeps_the_execution_in_memory() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "short", MachineType::Standard, WAITS);
    let arn = rt
        .start_execution(start_req(&sm, Some("e"), r#"{"secs":1}"#))
        .await
        .unwrap()
        .execution_arn;
    assert_eq!(rt.stats().running, 1);
    rt.wait_until_done(&arn, T).await.unwrap();
    assert_eq!(
        store.describe_execution(&arn).unwrap().status,
        ExecutionStatus::Succeeded
    );
    let s = settled(&rt).await;
    assert_eq!((s.rebuilds, s.evictions), (0, 0), "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_stops_of_an_evicted_execution_rebuild_it_once() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "long", MachineType::Standard, WAITS);
    let arn = rt
        .start_execution(start_req(&sm, Some("e"), r#"{"secs":3600}"#))
        .await
        .unwrap()
        .execution_arn;
    assert_eq!(rt.stats().running, 0);
    let stops: Vec<_> = (0..8)
        .map(|i| {
            let rt = Arc::clone(&rt);
            let arn = arn.clone();
            tokio::spawn(async move {
                rt.stop_execution(&arn, Some(format!("E{i}")), None)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut dates = Vec::new();
    for s in stops {
        dates.push(s.await.unwrap());
    }
    let e = store.describe_execution(&arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Aborted);
    assert!(dates.iter().all(|d| Some(*d) == e.stopped_at), "{dates:?}");
    let h = history(&*store, &arn);
    assert_eq!(
        types(&h),
        ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    );
    let s = settled(&rt).await;
    assert_eq!(s.rebuilds, 1, "one actor for all the stops: {s:?}");
    assert_eq!(s.commit_failures, 0);
    // Its timer went with it: nothing is left to fire.
    assert_eq!(store.next_timer_at().unwrap(), None);
}

/// Evicted before a restart, recovered (and evicted again) by the next process,
/// woken there by its timer; another one stopped there.
#[test]
fn evicted_executions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let first = tokio_runtime();
    let (woken, stopped) = first.block_on(async {
        let store = open(&path);
        let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
        rt.start().await.unwrap();
        let sm = create(&*store, "restart", MachineType::Standard, WAITS);
        let woken = rt
            .start_execution(start_req(&sm, Some("woken"), r#"{"secs":3}"#))
            .await
            .unwrap()
            .execution_arn;
        let stopped = rt
            .start_execution(start_req(&sm, Some("stopped"), r#"{"secs":3600}"#))
            .await
            .unwrap()
            .execution_arn;
        assert_eq!(rt.stats().running, 0);
        (woken, stopped)
    });
    first.shutdown_timeout(Duration::from_secs(5));
    tokio_runtime().block_on(async {
        let store = open(&path);
        let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
        rt.start().await.unwrap();
        let s = rt.stats();
        assert_eq!(s.recovered, 2, "{s:?}");
        assert_eq!(s.running, 0, "recovered, then evicted: {s:?}");
        rt.stop_execution(&stopped, Some("Halt".into()), Some("by test".into()))
            .await
            .unwrap();
        let e = store.describe_execution(&stopped).unwrap();
        assert_eq!(e.status, ExecutionStatus::Aborted);
        assert_eq!(e.error.as_deref(), Some("Halt"));
        rt.wait_until_done(&woken, T).await.unwrap();
        let e = store.describe_execution(&woken).unwrap();
        assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
        assert_eq!(
            e.output.as_deref(),
            Some(r#"{"secs":3,"mid":"woke","done":true}"#)
        );
        let s = settled(&rt).await;
        assert_eq!(s.replay_mismatches, 0);
        assert_eq!(s.commit_failures, 0);
    });
}
