//! RedriveExecution through the runtime: a failed execution continues from the
//! state that failed, durably (the redrive is journaled, so a restarted runtime
//! replays it and resumes), with AWS's errors for what cannot be redriven.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use runtime::{Error, Runtime, RuntimeConfig};
use store::{ExecutionStatus, MachineType};

const T: Duration = Duration::from_secs(20);

/// Fails every task while `broken` is set, else answers with the parameters.
struct Flaky {
    broken: Arc<AtomicBool>,
}

impl runtime::Invoker for Flaky {
    fn invoke(
        &self,
        request: runtime::TaskRequest,
    ) -> runtime::BoxFuture<'_, runtime::TaskOutcome> {
        let broken = self.broken.load(Ordering::SeqCst);
        Box::pin(async move {
            if broken {
                runtime::TaskOutcome::Failed {
                    error: Some("Downstream.Unavailable".into()),
                    cause: Some("try again later".into()),
                }
            } else {
                runtime::TaskOutcome::Succeeded(request.parameters)
            }
        })
    }
}

const PASS_THEN_TASK: &str = r#"{"StartAt":"Prepare","States":{
  "Prepare":{"Type":"Pass","Parameters":{"x.$":"$.x","step":"prepared"},"Next":"Work"},
  "Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
          "Parameters":{"x.$":"$.x","rc.$":"$$.Execution.RedriveCount"},"End":true}}}"#;

async fn flaky_runtime(store: &Arc<dyn store::Store>) -> (Arc<Runtime>, Arc<AtomicBool>) {
    let broken = Arc::new(AtomicBool::new(true));
    let config = RuntimeConfig {
        invoker: Arc::new(Flaky {
            broken: Arc::clone(&broken),
        }),
        ..Default::default()
    };
    let rt = Runtime::new(Arc::clone(store), config);
    rt.start().await.unwrap();
    (rt, broken)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_execution_is_redriven_from_the_failed_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db"));
    let (rt, broken) = flaky_runtime(&store).await;
    let sm = create(&*store, "flaky", MachineType::Standard, PASS_THEN_TASK);
    let arn = rt
        .start_execution(start_req(&sm, Some("one"), r#"{"x":5}"#))
        .await
        .unwrap()
        .execution_arn;
    rt.wait_until_done(&arn, T).await.unwrap();
    let e = store.describe_execution(&arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.error.as_deref(), Some("Downstream.Unavailable"));
    let first = history(&*store, &arn);

    broken.store(false, Ordering::SeqCst);
    let date = rt.redrive_execution(&arn, None).await.unwrap();
    rt.wait_until_done(&arn, T).await.unwrap();
    let e = store.describe_execution(&arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    assert_eq!(e.output.as_deref(), Some(r#"{"x":5,"rc":1}"#));
    assert_eq!(e.redrive_count, 1);
    assert_eq!(e.redrive_date, Some(date));
    assert_eq!(e.error, None);

    let h = history(&*store, &arn);
    assert_eq!(&h[..first.len()], &first[..], "the first attempt is kept");
    let after = types(&h[first.len()..]);
    assert_eq!(
        after,
        [
            "ExecutionRedriven",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert!(h[first.len()].details.contains(r#""redriveCount":1"#));
    // Prepare (the Pass state that succeeded) did not run again.
    assert_eq!(
        types(&h)
            .iter()
            .filter(|t| *t == "PassStateEntered")
            .count(),
        1
    );

    // Succeeded now: not redrivable.
    let err = rt.redrive_execution(&arn, None).await.unwrap_err();
    assert_eq!(err.code(), "ExecutionNotRedrivable");
    assert_eq!(
        err.to_string(),
        "Execution is SUCCEEDED and cannot be redriven"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_client_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db"));
    let (rt, _broken) = flaky_runtime(&store).await;
    let wait = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#;
    let sm = create(&*store, "waits", MachineType::Standard, wait);
    let arn = rt
        .start_execution(start_req(&sm, Some("w"), "{}"))
        .await
        .unwrap()
        .execution_arn;
    let err = rt.redrive_execution(&arn, None).await.unwrap_err();
    assert_eq!(err.code(), "ExecutionNotRedrivable");
    assert_eq!(
        err.to_string(),
        "Execution is RUNNING and cannot be redriven"
    );

    let missing = format!("{}:nope", arn.trim_end_matches(":w"));
    let err = rt.redrive_execution(&missing, None).await.unwrap_err();
    assert!(matches!(err, Error::ExecutionDoesNotExist(_)), "{err:?}");
    let err = rt.redrive_execution("not-an-arn", None).await.unwrap_err();
    assert_eq!(err.code(), "InvalidArn");

    rt.stop_execution(&arn, None, None).await.unwrap();
    let a = rt
        .redrive_execution(&arn, Some("tok-1".into()))
        .await
        .unwrap();
    // The same token again answers the same redrive and redrives nothing.
    let b = rt
        .redrive_execution(&arn, Some("tok-1".into()))
        .await
        .unwrap();
    assert_eq!(a, b);
    let e = store.describe_execution(&arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Running);
    assert_eq!(e.redrive_count, 1);
    assert!(
        store.next_timer_at().unwrap().is_some(),
        "the Wait re-armed"
    );
    let t = types(&history(&*store, &arn));
    assert_eq!(
        &t[t.len() - 3..],
        ["ExecutionAborted", "ExecutionRedriven", "WaitStateEntered"]
    );
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Each life of the server is its own tokio runtime, shut down (every task of
/// it dropped) before the next starts over the same file.
#[test]
fn a_redriven_execution_is_recovered_by_replay_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let def = r#"{"StartAt":"Work","States":{
      "Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":"W"},
      "W":{"Type":"Wait","Seconds":1,"Next":"Again"},
      "Again":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
               "Parameters":{"rc.$":"$$.Execution.RedriveCount"},"End":true}}}"#;
    let first = tokio_runtime();
    let arn = first.block_on(async {
        let store = open(&path);
        let (rt, broken) = flaky_runtime(&store).await;
        let sm = create(&*store, "restart", MachineType::Standard, def);
        let arn = rt
            .start_execution(start_req(&sm, Some("r"), "{}"))
            .await
            .unwrap()
            .execution_arn;
        rt.wait_until_done(&arn, T).await.unwrap();
        assert_eq!(
            store.describe_execution(&arn).unwrap().status,
            ExecutionStatus::Failed
        );
        broken.store(false, Ordering::SeqCst);
        rt.redrive_execution(&arn, None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            store.describe_execution(&arn).unwrap().status,
            ExecutionStatus::Running,
            "waiting in W"
        );
        arn
    });
    first.shutdown_timeout(Duration::from_secs(5));
    tokio_runtime().block_on(async {
        let store = open(&path);
        let (rt, broken) = flaky_runtime(&store).await;
        broken.store(false, Ordering::SeqCst);
        assert_eq!(rt.stats().recovered, 1);
        rt.wait_until_done(&arn, T).await.unwrap();
        let e = store.describe_execution(&arn).unwrap();
        assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
        assert_eq!(e.output.as_deref(), Some(r#"{"rc":1}"#));
        assert_eq!(e.redrive_count, 1);
        assert_eq!(rt.stats().replay_mismatches, 0);
        let t = types(&history(&*store, &arn));
        assert_eq!(t.iter().filter(|t| *t == "ExecutionRedriven").count(), 1);
    });
}
