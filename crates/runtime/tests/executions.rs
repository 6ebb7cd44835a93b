//! Standard and Express executions through the runtime, on a real SQLite file.

mod common;

use std::time::Duration;

use common::*;
use runtime::Error;
use store::{Alias, ExecutionStatus, MachineType};

const PASS_CHAIN: &str = r#"{"StartAt":"A","States":{
  "A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},
  "B":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"C"},
  "C":{"Type":"Pass","End":true}}}"#;

const WAIT: &str = r#"{"StartAt":"W","States":{
  "W":{"Type":"Wait","SecondsPath":"$.secs","Next":"Done"},
  "Done":{"Type":"Succeed"}}}"#;

const TASK: &str = r#"{"StartAt":"T","States":{
  "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}"#;

const T: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_chain_runs_and_its_history_is_stored() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "chain", MachineType::Standard, PASS_CHAIN);
    let started = rt
        .start_execution(start_req(&sm, Some("e1"), r#"{"x":0}"#))
        .await
        .unwrap();
    assert_eq!(
        started.execution_arn,
        "arn:aws:states:us-east-1:123456789012:execution:chain:e1"
    );
    rt.wait_until_done(&started.execution_arn, T).await.unwrap();
    let e = store.describe_execution(&started.execution_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded);
    assert_eq!(e.output.as_deref(), Some(r#"{"x":0,"a":1,"b":2}"#));
    let h = history(&*store, &started.execution_arn);
    assert_eq!(
        types(&h),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let ids: Vec<i64> = h.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=8).collect::<Vec<_>>());
    // AWS chains the first state's event to 0, then each to the one before.
    assert_eq!(h[1].previous_id, 0);
    assert_eq!(h[2].previous_id, 2);
    assert!(
        h[0].details.contains(r#""input":"{\"x\":0}""#),
        "{}",
        h[0].details
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_second_wait_completes_through_the_timer_loop() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "wait", MachineType::Standard, WAIT);
    let started = rt
        .start_execution(start_req(&sm, None, r#"{"secs":2}"#))
        .await
        .unwrap();
    // While it waits, the wait is a timer row.
    assert!(store.next_timer_at().unwrap().is_some());
    assert_eq!(
        store
            .describe_execution(&started.execution_arn)
            .unwrap()
            .status,
        ExecutionStatus::Running
    );
    rt.wait_until_done(&started.execution_arn, T).await.unwrap();
    let e = store.describe_execution(&started.execution_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded);
    assert!(e.stopped_at.unwrap() - e.started_at >= 2000);
    let h = history(&*store, &started.execution_arn);
    assert_eq!(
        types(&h),
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(store.next_timer_at().unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_is_idempotent_by_name_and_input_while_running() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "wait", MachineType::Standard, WAIT);
    let a = rt
        .start_execution(start_req(&sm, Some("same"), r#"{"secs":1}"#))
        .await
        .unwrap();
    let b = rt
        .start_execution(start_req(&sm, Some("same"), r#"{"secs":1}"#))
        .await
        .unwrap();
    assert_eq!(a, b);
    // Another input under the same name conflicts.
    let err = rt
        .start_execution(start_req(&sm, Some("same"), r#"{"secs":2}"#))
        .await
        .unwrap_err();
    assert_eq!(err, Error::ExecutionAlreadyExists(a.execution_arn.clone()));
    assert_eq!(
        err.to_string(),
        format!("Execution Already Exists: '{}'", a.execution_arn)
    );
    rt.wait_until_done(&a.execution_arn, T).await.unwrap();
    // Once closed, even the same input conflicts.
    let err = rt
        .start_execution(start_req(&sm, Some("same"), r#"{"secs":1}"#))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ExecutionAlreadyExists");
    assert_eq!(history(&*store, &a.execution_arn).len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_aws_errors() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "chain", MachineType::Standard, PASS_CHAIN);
    let err = rt
        .start_execution(start_req(&sm, Some("a b"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Invalid Name: 'a b'");
    let err = rt
        .start_execution(start_req(&sm, None, "not some json"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "InvalidExecutionInput");
    let err = rt
        .start_execution(start_req(&machine_arn("nope"), None, "{}"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("State Machine Does Not Exist: '{}'", machine_arn("nope"))
    );
    let err = rt
        .start_execution(start_req("not_a_valid_arn", None, "{}"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"
    );
    let err = rt
        .start_sync_execution(start_req(&sm, None, "{}"))
        .await
        .unwrap_err();
    assert_eq!(err, Error::StateMachineTypeNotSupported);
    let missing = "arn:aws:states:us-east-1:123456789012:execution:chain:missing";
    assert_eq!(
        rt.stop_execution(missing, None, None).await.unwrap_err(),
        Error::ExecutionDoesNotExist(missing.into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_aborts_a_waiting_execution_and_disarms_its_timer() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "wait", MachineType::Standard, WAIT);
    let started = rt
        .start_execution(start_req(&sm, Some("long"), r#"{"secs":31536000}"#))
        .await
        .unwrap();
    let stopped = rt
        .stop_execution(
            &started.execution_arn,
            Some("MyError".into()),
            Some("stopped by test".into()),
        )
        .await
        .unwrap();
    let e = store.describe_execution(&started.execution_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Aborted);
    assert_eq!(e.stopped_at, Some(stopped));
    assert_eq!(e.error.as_deref(), Some("MyError"));
    assert_eq!(e.cause.as_deref(), Some("stopped by test"));
    let h = history(&*store, &started.execution_arn);
    assert_eq!(h.last().unwrap().event_type, "ExecutionAborted");
    assert_eq!(store.next_timer_at().unwrap(), None);
    // A second stop reports the same date and writes nothing.
    assert_eq!(
        rt.stop_execution(&started.execution_arn, None, None)
            .await
            .unwrap(),
        stopped
    );
    assert_eq!(history(&*store, &started.execution_arn).len(), h.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_fail_with_no_integration_and_can_be_caught() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "task", MachineType::Standard, TASK);
    let started = rt
        .start_execution(start_req(&sm, None, "{}"))
        .await
        .unwrap();
    rt.wait_until_done(&started.execution_arn, T).await.unwrap();
    let e = store.describe_execution(&started.execution_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.error.as_deref(), Some("Stepwise.NoIntegration"));
    assert!(e.cause.unwrap().contains("function:f"));
    let t = types(&history(&*store, &started.execution_arn));
    assert!(t.contains(&"LambdaFunctionFailed".to_string()), "{t:?}");
    // The outbox row of the task went with its result.
    assert!(store.outbox(i64::MAX, 10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_routes_by_weight_and_records_version_and_alias() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "chain", MachineType::Standard, PASS_CHAIN);
    let v1 = store.publish_version(&sm, None, 2).unwrap();
    store
        .update_state_machine(store::StateMachineUpdate {
            arn: sm.clone(),
            definition: Some(WAIT.replace("\"W\"", "\"W2\"").replace("$.secs", "$.s")),
            revision_id: "rev-2".into(),
            ..Default::default()
        })
        .unwrap();
    let v2 = store.publish_version(&sm, None, 3).unwrap();
    let alias_arn = format!("{sm}:prod");
    store
        .create_alias(Alias {
            arn: alias_arn.clone(),
            state_machine_arn: sm.clone(),
            name: "prod".into(),
            description: None,
            routing_configuration: format!(
                r#"[{{"stateMachineVersionArn":"{}","weight":50}},{{"stateMachineVersionArn":"{}","weight":50}}]"#,
                v1.arn, v2.arn
            ),
            created_at: 4,
            updated_at: 4,
        })
        .unwrap();
    let mut by_version = std::collections::HashMap::new();
    for i in 0..20 {
        let started = rt
            .start_execution(start_req(&alias_arn, Some(&format!("r{i}")), r#"{"s":0}"#))
            .await
            .unwrap();
        rt.wait_until_done(&started.execution_arn, T).await.unwrap();
        let e = store.describe_execution(&started.execution_arn).unwrap();
        assert_eq!(e.status, ExecutionStatus::Succeeded);
        assert_eq!(
            e.state_machine_alias_arn.as_deref(),
            Some(alias_arn.as_str())
        );
        let version = e.state_machine_version_arn.unwrap();
        // The version's own definition ran.
        let first_state = &history(&*store, &started.execution_arn)[1].event_type;
        let expected = if version == v1.arn {
            "PassStateEntered"
        } else {
            "WaitStateEntered"
        };
        assert_eq!(first_state, expected);
        *by_version.entry(version).or_insert(0) += 1;
    }
    assert_eq!(by_version.len(), 2, "{by_version:?}");
    // Routing is a function of the name: the same name picks the same version.
    let again = runtime_route_check(&rt, &store, &alias_arn).await;
    assert!(again);
}

/// Two machines' worth of the same name route identically (a fresh machine
/// with the same alias and versions would pick the same share).
async fn runtime_route_check(
    rt: &std::sync::Arc<runtime::Runtime>,
    store: &std::sync::Arc<dyn store::Store>,
    alias_arn: &str,
) -> bool {
    let e0 = store
        .describe_execution("arn:aws:states:us-east-1:123456789012:execution:chain:r0")
        .unwrap();
    let err = rt
        .start_execution(start_req(alias_arn, Some("r0"), r#"{"s":0}"#))
        .await
        .unwrap_err();
    err.code() == "ExecutionAlreadyExists" && e0.state_machine_version_arn.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_runs_synchronously_in_memory() {
    let (_dir, store, rt) = setup().await;
    let sm = create(&*store, "fast", MachineType::Express, PASS_CHAIN);
    let r = rt
        .start_sync_execution(start_req(&sm, Some("s1"), r#"{"x":1}"#))
        .await
        .unwrap();
    assert_eq!(r.status, "SUCCEEDED");
    assert_eq!(r.output.as_deref(), Some(r#"{"x":1,"a":1,"b":2}"#));
    assert!(
        r.execution_arn
            .starts_with("arn:aws:states:us-east-1:123456789012:express:fast:s1:")
    );
    assert_eq!(r.name, "s1");
    assert_eq!(r.state_machine_arn, sm);
    assert_eq!(r.input, r#"{"x":1}"#);
    assert_eq!(r.billed_memory_mb, 64);
    assert!(r.billed_duration_ms >= 100 && r.billed_duration_ms % 100 == 0);
    // Nothing was stored.
    assert!(matches!(
        store.describe_execution(&r.execution_arn),
        Err(store::Error::NotFound { .. })
    ));

    // A Wait takes real time; a failing task fails the run.
    let waits = create(&*store, "fastwait", MachineType::Express, WAIT);
    let r = rt
        .start_sync_execution(start_req(&waits, None, r#"{"secs":1}"#))
        .await
        .unwrap();
    assert_eq!(r.status, "SUCCEEDED");
    assert!(r.stop_ms - r.start_ms >= 1000);
    let tasks = create(&*store, "fasttask", MachineType::Express, TASK);
    let r = rt
        .start_sync_execution(start_req(&tasks, None, "{}"))
        .await
        .unwrap();
    assert_eq!(r.status, "FAILED");
    assert_eq!(r.error.as_deref(), Some("Stepwise.NoIntegration"));

    // Asynchronous Express: runs in the background, no history.
    let started = rt
        .start_execution(start_req(&waits, None, r#"{"secs":1}"#))
        .await
        .unwrap();
    assert!(started.execution_arn.contains(":express:fastwait:"));
    rt.wait_until_done(&started.execution_arn, T).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execution_timeout_fires_through_the_timer_path() {
    let (_dir, store, rt) = setup().await;
    let def = r#"{"TimeoutSeconds":1,"StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":3600,"End":true}}}"#;
    let sm = create(&*store, "timeout", MachineType::Standard, def);
    let started = rt
        .start_execution(start_req(&sm, None, "{}"))
        .await
        .unwrap();
    rt.wait_until_done(&started.execution_arn, T).await.unwrap();
    let e = store.describe_execution(&started.execution_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::TimedOut);
    let h = history(&*store, &started.execution_arn);
    assert_eq!(h.last().unwrap().event_type, "ExecutionTimedOut");
    // The Wait's hour-long timer went with the execution.
    assert_eq!(store.next_timer_at().unwrap(), None);
}

/// Answers every task with its parameters plus a marker.
struct Echo;

impl runtime::Invoker for Echo {
    fn invoke(
        &self,
        request: runtime::TaskRequest,
    ) -> runtime::BoxFuture<'_, runtime::TaskOutcome> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            runtime::TaskOutcome::Succeeded(serde_json::json!({
                "echo": request.parameters,
                "state": request.state_name,
            }))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_results_come_back_from_the_invoker_as_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db"));
    let config = runtime::RuntimeConfig {
        invoker: std::sync::Arc::new(Echo),
        ..Default::default()
    };
    let rt = runtime::Runtime::new(std::sync::Arc::clone(&store), config);
    rt.start().await.unwrap();
    let def = r#"{"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Parameters":{"v.$":"$.v"},"ResultSelector":{"r.$":"$.echo.v"},"End":true}}}"#;
    let sm = create(&*store, "echo", MachineType::Standard, def);
    let started = rt
        .start_execution(start_req(&sm, None, r#"{"v":42}"#))
        .await
        .unwrap();
    rt.wait_until_done(&started.execution_arn, T).await.unwrap();
    let e = store.describe_execution(&started.execution_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    assert_eq!(e.output.as_deref(), Some(r#"{"r":42}"#));
    assert!(store.outbox(i64::MAX, 10).unwrap().is_empty());
}

/// Never answers; counts invocations begun and invocations dropped unanswered.
#[derive(Default)]
struct Hang {
    begun: std::sync::atomic::AtomicUsize,
    dropped: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

struct CountDrop(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl runtime::Invoker for Hang {
    fn invoke(&self, _: runtime::TaskRequest) -> runtime::BoxFuture<'_, runtime::TaskOutcome> {
        self.begun.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let guard = CountDrop(std::sync::Arc::clone(&self.dropped));
        Box::pin(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            unreachable!()
        })
    }
}

async fn until_count(what: &str, n: &std::sync::atomic::AtomicUsize, want: usize) {
    let t = std::time::Instant::now();
    while n.load(std::sync::atomic::Ordering::SeqCst) != want {
        assert!(t.elapsed() < T, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_task_stops_its_invocation() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db"));
    let hang = std::sync::Arc::new(Hang::default());
    let config = runtime::RuntimeConfig {
        invoker: std::sync::Arc::clone(&hang) as std::sync::Arc<dyn runtime::Invoker>,
        ..Default::default()
    };
    let rt = runtime::Runtime::new(std::sync::Arc::clone(&store), config);
    rt.start().await.unwrap();

    // The state's TimeoutSeconds ends the task: States.Timeout, and the
    // invocation still running is dropped.
    let def = r#"{"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Parameters":{"FunctionName":"f"},"TimeoutSeconds":1,"End":true}}}"#;
    let sm = create(&*store, "hang", MachineType::Standard, def);
    let started = rt
        .start_execution(start_req(&sm, Some("timeout"), "{}"))
        .await
        .unwrap();
    until_count("the invocation to begin", &hang.begun, 1).await;
    assert_eq!(hang.dropped.load(std::sync::atomic::Ordering::SeqCst), 0);
    rt.wait_until_done(&started.execution_arn, T).await.unwrap();
    let e = store.describe_execution(&started.execution_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    assert_eq!(e.error.as_deref(), Some("States.Timeout"));
    until_count("the timed-out invocation to be dropped", &hang.dropped, 1).await;

    // StopExecution abandons it too.
    let started = rt
        .start_execution(start_req(&sm, Some("stopped"), "{}"))
        .await
        .unwrap();
    until_count("the second invocation to begin", &hang.begun, 2).await;
    rt.stop_execution(&started.execution_arn, None, None)
        .await
        .unwrap();
    until_count("the stopped invocation to be dropped", &hang.dropped, 2).await;
    let e = store.describe_execution(&started.execution_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Aborted, "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_express_task_that_times_out_stops_while_the_execution_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db"));
    let hang = std::sync::Arc::new(Hang::default());
    let config = runtime::RuntimeConfig {
        invoker: std::sync::Arc::clone(&hang) as std::sync::Arc<dyn runtime::Invoker>,
        ..Default::default()
    };
    let rt = std::sync::Arc::new(runtime::Runtime::new(std::sync::Arc::clone(&store), config));
    rt.start().await.unwrap();
    let def = r#"{"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Parameters":{"FunctionName":"f"},"TimeoutSeconds":1,
           "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Later"}],"End":true},
      "Later":{"Type":"Wait","Seconds":3,"Next":"Done"},
      "Done":{"Type":"Succeed"}}}"#;
    let sm = create(&*store, "hang-express", MachineType::Express, def);
    let run = {
        let rt = std::sync::Arc::clone(&rt);
        tokio::spawn(async move {
            rt.start_sync_execution(start_req(&sm, Some("x"), "{}"))
                .await
                .unwrap()
        })
    };
    until_count("the invocation to begin", &hang.begun, 1).await;
    // Dropped at the timeout, while the execution still waits in `Later`.
    until_count("the timed-out invocation to be dropped", &hang.dropped, 1).await;
    assert!(!run.is_finished());
    let r = run.await.unwrap();
    assert_eq!(r.status, "SUCCEEDED", "{r:?}");
}
