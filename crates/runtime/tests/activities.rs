//! Activities, task tokens and nested workflows on a real SQLite file: a worker
//! takes and answers tasks through the runtime's API; tokens are single use and
//! closed with their task; `.waitForTaskToken` records the integration's answer
//! as `TaskSubmitted`; `startExecution.sync:2` waits for its child; and all of
//! it survives a restart (each life of the process is its own tokio runtime,
//! shut down before the next opens the same file).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use runtime::{Error, Runtime, RuntimeConfig};
use store::{ExecutionStatus, MachineType, Store};

const T: Duration = Duration::from_secs(10);
const NO_WAIT: Duration = Duration::from_millis(0);

fn activity(store: &dyn Store, name: &str) -> String {
    let arn = format!("arn:aws:states:{ACCOUNT}:activity:{name}");
    store
        .create_activity(store::Activity {
            arn: arn.clone(),
            name: name.to_string(),
            created_at: 1,
        })
        .unwrap();
    arn
}

fn activity_def(activity: &str, extra: &str) -> String {
    format!(
        r#"{{"StartAt":"Work","States":{{"Work":{{"Type":"Task","Resource":"{activity}"{extra},"End":true}}}}}}"#
    )
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn details(store: &dyn Store, arn: &str, event_type: &str) -> Vec<serde_json::Value> {
    history(store, arn)
        .iter()
        .filter(|e| e.event_type == event_type)
        .map(|e| serde_json::from_str(&e.details).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_takes_and_answers_tasks_and_each_token_is_single_use() {
    let (_dir, store, rt) = setup().await;
    let act = activity(&*store, "work");
    let sm = create(
        &*store,
        "act",
        MachineType::Standard,
        &activity_def(&act, ""),
    );
    let empty = Instant::now();
    assert_eq!(
        rt.get_activity_task(&act, None, Duration::from_millis(200))
            .await
            .unwrap(),
        None,
        "no task: the poll ends empty after its wait"
    );
    assert!(empty.elapsed() >= Duration::from_millis(190));

    let exec = rt
        .start_execution(start_req(&sm, None, r#"{"n":3}"#))
        .await
        .unwrap()
        .execution_arn;
    let task = rt
        .get_activity_task(&act, Some("w-1".into()), T)
        .await
        .unwrap()
        .expect("a task");
    assert_eq!(task.input, r#"{"n":3}"#);
    assert_eq!(
        rt.get_activity_task(&act, None, NO_WAIT).await.unwrap(),
        None,
        "a taken task is not handed out twice"
    );
    rt.send_task_heartbeat(&task.task_token).await.unwrap();
    rt.send_task_success(&task.task_token, r#"{"r":6}"#.into())
        .await
        .unwrap();
    rt.wait_until_done(&exec, T).await.unwrap();
    let e = store.describe_execution(&exec).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded);
    assert_eq!(e.output.as_deref(), Some(r#"{"r":6}"#));
    assert_eq!(
        types(&history(&*store, &exec)),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        details(&*store, &exec, "ActivityStarted")[0]["activityStartedEventDetails"]["workerName"],
        "w-1"
    );
    assert_eq!(
        rt.send_task_success(&task.task_token, "{}".into()).await,
        Err(Error::TaskTimedOut)
    );
    assert_eq!(
        rt.send_task_failure("definitely-not-a-token", None, None)
            .await,
        Err(Error::InvalidToken)
    );
    assert_eq!(
        rt.send_task_heartbeat("00000000-0000-4000-8000-000000000000")
            .await,
        Err(Error::TaskDoesNotExist)
    );
    let missing = format!("{act}-gone");
    assert!(matches!(
        rt.get_activity_task(&missing, None, NO_WAIT).await,
        Err(Error::ActivityDoesNotExist(a)) if a == missing
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_timeouts_and_stops_close_the_token() {
    let (_dir, store, rt) = setup().await;
    let act = activity(&*store, "slow");
    let hb = create(
        &*store,
        "hb",
        MachineType::Standard,
        &activity_def(&act, r#","HeartbeatSeconds":1"#),
    );
    let exec = rt
        .start_execution(start_req(&hb, None, "{}"))
        .await
        .unwrap()
        .execution_arn;
    let task = rt.get_activity_task(&act, None, T).await.unwrap().unwrap();
    rt.wait_until_done(&exec, T).await.unwrap();
    let e = store.describe_execution(&exec).unwrap();
    assert_eq!(e.error.as_deref(), Some("States.HeartbeatTimeout"));
    assert_eq!(
        rt.send_task_success(&task.task_token, "{}".into()).await,
        Err(Error::TaskTimedOut)
    );

    let plain = create(
        &*store,
        "plain",
        MachineType::Standard,
        &activity_def(&act, ""),
    );
    let exec = rt
        .start_execution(start_req(&plain, None, "{}"))
        .await
        .unwrap()
        .execution_arn;
    let task = rt.get_activity_task(&act, None, T).await.unwrap().unwrap();
    assert!(matches!(
        rt.send_task_success(&task.task_token, "not json".into())
            .await,
        Err(Error::InvalidOutput(_))
    ));
    rt.send_task_failure(&task.task_token, Some("E".into()), Some("c".into()))
        .await
        .unwrap();
    rt.wait_until_done(&exec, T).await.unwrap();
    let e = store.describe_execution(&exec).unwrap();
    assert_eq!(
        (e.error.as_deref(), e.cause.as_deref()),
        (Some("E"), Some("c"))
    );
    assert_eq!(
        types(&history(&*store, &exec))[3..5],
        ["ActivityStarted", "ActivityFailed"]
    );

    let exec = rt
        .start_execution(start_req(&plain, None, "{}"))
        .await
        .unwrap()
        .execution_arn;
    let task = rt.get_activity_task(&act, None, T).await.unwrap().unwrap();
    rt.stop_execution(&exec, None, None).await.unwrap();
    assert_eq!(
        rt.send_task_heartbeat(&task.task_token).await,
        Err(Error::TaskTimedOut)
    );
    assert!(!store.task_token(&task.task_token).unwrap().unwrap().active);
}

/// An integration that answers at once: for `.waitForTaskToken` its answer is
/// only the service's response.
struct Accepting;

impl runtime::Invoker for Accepting {
    fn invoke(
        &self,
        request: runtime::TaskRequest,
    ) -> runtime::BoxFuture<'_, runtime::TaskOutcome> {
        Box::pin(async move {
            runtime::TaskOutcome::Succeeded(serde_json::json!({"MessageId": request.task}))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_task_token_keeps_the_task_open_until_the_token_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db"));
    let config = RuntimeConfig {
        invoker: Arc::new(Accepting),
        ..Default::default()
    };
    let rt = Runtime::new(Arc::clone(&store), config);
    rt.start().await.unwrap();
    let def = r#"{"StartAt":"Ask","States":{"Ask":{"Type":"Task",
      "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}}"#;
    let sm = create(&*store, "cb", MachineType::Standard, def);
    let exec = rt
        .start_execution(start_req(&sm, None, "{}"))
        .await
        .unwrap()
        .execution_arn;
    let mut token = None;
    for _ in 0..200 {
        if let Some(d) = details(&*store, &exec, "TaskScheduled").first() {
            let params: serde_json::Value = serde_json::from_str(
                d["taskScheduledEventDetails"]["parameters"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            token = params["MessageBody"]["token"].as_str().map(str::to_string);
        }
        if !details(&*store, &exec, "TaskSubmitted").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let token = token.expect("the token in the parameters");
    assert!(store.task_token(&token).unwrap().unwrap().active);
    let submitted = &details(&*store, &exec, "TaskSubmitted")[0]["taskSubmittedEventDetails"];
    assert!(submitted["output"].as_str().unwrap().contains("MessageId"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        store.describe_execution(&exec).unwrap().status,
        ExecutionStatus::Running,
        "the integration's answer does not end the task"
    );
    rt.send_task_success(&token, r#"{"ok":true}"#.into())
        .await
        .unwrap();
    rt.wait_until_done(&exec, T).await.unwrap();
    assert_eq!(
        store.describe_execution(&exec).unwrap().output.as_deref(),
        Some(r#"{"ok":true}"#)
    );
    assert_eq!(
        rt.send_task_success(&token, "{}".into()).await,
        Err(Error::TaskTimedOut)
    );
}

/// Queued tasks, a task with a worker, and a `.sync` parent whose child waits
/// for a worker all survive a restart.
#[test]
fn pending_tasks_tokens_and_children_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let first = tokio_runtime();
    let (act, queued, taken, parent, token) = first.block_on(async {
        let store = open(&path);
        let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
        rt.start().await.unwrap();
        let act = activity(&*store, "durable");
        let sm = create(
            &*store,
            "d",
            MachineType::Standard,
            &activity_def(&act, r#","HeartbeatSeconds":60"#),
        );
        let child = create(&*store, "child", MachineType::Standard, &activity_def(&act, ""));
        let parent_def = format!(
            r#"{{"StartAt":"Run","States":{{"Run":{{"Type":"Task",
              "Resource":"arn:aws:states:::states:startExecution.sync:2",
              "Parameters":{{"StateMachineArn":"{child}","Input":{{"who":"child"}}}},"End":true}}}}}}"#
        );
        let parent_sm = create(&*store, "parent", MachineType::Standard, &parent_def);
        let taken = rt
            .start_execution(start_req(&sm, Some("taken"), r#"{"who":"taken"}"#))
            .await
            .unwrap()
            .execution_arn;
        let task = rt.get_activity_task(&act, None, T).await.unwrap().unwrap();
        assert_eq!(task.input, r#"{"who":"taken"}"#);
        // The start is committed shortly after the worker got the task.
        for _ in 0..200 {
            if !details(&*store, &taken, "ActivityStarted").is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let queued = rt
            .start_execution(start_req(&sm, Some("queued"), r#"{"who":"queued"}"#))
            .await
            .unwrap()
            .execution_arn;
        let parent = rt
            .start_execution(start_req(&parent_sm, Some("p"), "{}"))
            .await
            .unwrap()
            .execution_arn;
        for _ in 0..200 {
            if !details(&*store, &parent, "TaskSubmitted").is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (act, queued, taken, parent, task.task_token)
    });
    first.shutdown_timeout(Duration::from_secs(5));
    tokio_runtime().block_on(async {
        let store = open(&path);
        let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
        rt.start().await.unwrap();
        assert_eq!(rt.stats().recovered, 4, "taken, queued, parent and child");
        rt.send_task_heartbeat(&token).await.unwrap();
        rt.send_task_success(&token, r#"{"done":"taken"}"#.into())
            .await
            .unwrap();
        let mut seen = Vec::new();
        for _ in 0..2 {
            let t = rt.get_activity_task(&act, None, T).await.unwrap().unwrap();
            let who: serde_json::Value = serde_json::from_str(&t.input).unwrap();
            let who = who["who"].as_str().unwrap().to_string();
            rt.send_task_success(&t.task_token, format!(r#"{{"done":"{who}"}}"#))
                .await
                .unwrap();
            seen.push(who);
        }
        seen.sort();
        assert_eq!(seen, ["child", "queued"]);
        assert_eq!(
            rt.get_activity_task(&act, None, NO_WAIT).await.unwrap(),
            None
        );
        for (arn, want) in [(&taken, "taken"), (&queued, "queued")] {
            rt.wait_until_done(arn, T).await.unwrap();
            let e = store.describe_execution(arn).unwrap();
            assert_eq!(e.output, Some(format!(r#"{{"done":"{want}"}}"#)));
        }
        rt.wait_until_done(&parent, T).await.unwrap();
        let e = store.describe_execution(&parent).unwrap();
        assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
        let out: serde_json::Value = serde_json::from_str(e.output.as_deref().unwrap()).unwrap();
        assert_eq!(out["Output"], serde_json::json!({"done": "child"}));
        assert_eq!(out["Input"], serde_json::json!({"who": "child"}));
        assert_eq!(out["Status"], "SUCCEEDED");
        assert_eq!(rt.stats().replay_mismatches, 0);
        let started = details(&*store, &taken, "ActivityStarted");
        assert_eq!(started.len(), 1, "the taken task was not handed out again");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_start_without_sync_returns_at_once_and_bad_targets_fail_the_task() {
    let (_dir, store, rt) = setup().await;
    let child = create(
        &*store,
        "kid",
        MachineType::Standard,
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}"#,
    );
    let def = r#"{"StartAt":"Run","States":{"Run":{"Type":"Task",
          "Resource":"arn:aws:states:::states:startExecution",
          "Parameters":{"StateMachineArn.$":"$.target","Name":"kid-1"},"End":true}}}"#;
    let sm = create(&*store, "starter", MachineType::Standard, def);
    let input = format!(r#"{{"target":"{child}"}}"#);
    let exec = rt
        .start_execution(start_req(&sm, None, &input))
        .await
        .unwrap()
        .execution_arn;
    rt.wait_until_done(&exec, T).await.unwrap();
    let e = store.describe_execution(&exec).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    let out: serde_json::Value = serde_json::from_str(e.output.as_deref().unwrap()).unwrap();
    let kid = out["ExecutionArn"].as_str().unwrap();
    assert!(kid.ends_with(":execution:kid:kid-1"), "{kid}");
    assert!(out["StartDate"].is_i64());
    assert_eq!(
        store.describe_execution(kid).unwrap().status,
        ExecutionStatus::Running
    );

    let missing = format!(r#"{{"target":"{}"}}"#, machine_arn("nope"));
    let exec = rt
        .start_execution(start_req(&sm, None, &missing))
        .await
        .unwrap()
        .execution_arn;
    rt.wait_until_done(&exec, T).await.unwrap();
    let e = store.describe_execution(&exec).unwrap();
    assert_eq!(
        e.error.as_deref(),
        Some("StepFunctions.StateMachineDoesNotExistException")
    );
    assert!(
        e.cause
            .as_deref()
            .unwrap()
            .starts_with("State Machine Does Not Exist: '"),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workers_start_shares_the_commit_of_its_answer_or_is_committed_soon_after() {
    let (_dir, store, rt) = setup().await;
    let act = activity(&*store, "shared");
    let sm = create(
        &*store,
        "shared",
        MachineType::Standard,
        &activity_def(&act, r#","HeartbeatSeconds":30"#),
    );
    let fast = rt
        .start_execution(start_req(&sm, Some("fast"), "{}"))
        .await
        .unwrap()
        .execution_arn;
    let task = rt
        .get_activity_task(&act, Some("w".into()), T)
        .await
        .unwrap()
        .unwrap();
    rt.send_task_success(&task.task_token, "{}".into())
        .await
        .unwrap();
    rt.wait_until_done(&fast, T).await.unwrap();
    // Start facts, then one entry for the start and the answer together.
    let journal = store.journal(&fast, 0, 100).unwrap();
    assert_eq!(journal.len(), 2, "{journal:?}");
    assert!(journal[1].entry.contains("TaskStarted") && journal[1].entry.contains("TaskSucceeded"));
    let want = [
        "ExecutionStarted",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ];
    assert_eq!(types(&history(&*store, &fast)), want);
    // The heartbeat timer armed by the start went with the answer.
    assert!(store.next_timer_at().unwrap().is_none());

    // A worker that does not answer: its start is committed on its own.
    let slow = rt
        .start_execution(start_req(&sm, Some("slow"), "{}"))
        .await
        .unwrap()
        .execution_arn;
    let task = rt
        .get_activity_task(&act, Some("w".into()), T)
        .await
        .unwrap()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while details(&*store, &slow, "ActivityStarted").is_empty() {
        assert!(Instant::now() < deadline, "the start was never committed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        store.next_timer_at().unwrap().is_some(),
        "the heartbeat timer is armed"
    );
    rt.send_task_success(&task.task_token, "{}".into())
        .await
        .unwrap();
    rt.wait_until_done(&slow, T).await.unwrap();
    let journal = store.journal(&slow, 0, 100).unwrap();
    assert_eq!(journal.len(), 3, "start facts, start, answer");
    assert_eq!(types(&history(&*store, &slow)), want);
}

/// In a first process: starts an execution of a one-activity machine named
/// `name`, lets a worker take its task, optionally flushes the held start, and
/// stops without waiting. Returns the activity, the execution and the token.
fn take_a_task_then_stop(
    path: &std::path::Path,
    name: &str,
    flush: bool,
) -> (String, String, String) {
    let first = tokio_runtime();
    let taken = first.block_on(async {
        let store = open(path);
        let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
        rt.start().await.unwrap();
        let act = activity(&*store, name);
        let sm = create(
            &*store,
            name,
            MachineType::Standard,
            &activity_def(&act, ""),
        );
        let exec = rt
            .start_execution(start_req(&sm, Some(name), "{}"))
            .await
            .unwrap()
            .execution_arn;
        let task = rt
            .get_activity_task(&act, Some("first".into()), T)
            .await
            .unwrap()
            .unwrap();
        if flush {
            rt.flush_held().await;
        }
        (act, exec, task.task_token)
    });
    first.shutdown_timeout(Duration::from_secs(0));
    taken
}

#[test]
fn a_start_flushed_before_a_clean_stop_keeps_the_task_with_its_worker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (act, exec, token) = take_a_task_then_stop(&path, "kept", true);
    tokio_runtime().block_on(async {
        let store = open(&path);
        assert_eq!(details(&*store, &exec, "ActivityStarted").len(), 1);
        let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
        rt.start().await.unwrap();
        assert_eq!(
            rt.get_activity_task(&act, None, NO_WAIT).await.unwrap(),
            None,
            "the task stays with its worker"
        );
        rt.send_task_success(&token, "{}".into()).await.unwrap();
        rt.wait_until_done(&exec, T).await.unwrap();
    });
}

#[test]
fn a_start_lost_in_a_crash_offers_the_task_again_and_the_first_token_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    // The process ends before the start was committed.
    let (act, exec, token) = take_a_task_then_stop(&path, "lost", false);
    tokio_runtime().block_on(async {
        let store = open(&path);
        assert!(details(&*store, &exec, "ActivityStarted").is_empty());
        let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
        rt.start().await.unwrap();
        let again = rt
            .get_activity_task(&act, Some("second".into()), T)
            .await
            .unwrap();
        let again = again.expect("the task is offered again");
        assert_eq!(again.task_token, token, "the same task, the same token");
        rt.send_task_success(&token, r#"{"by":"first"}"#.into())
            .await
            .unwrap();
        rt.wait_until_done(&exec, T).await.unwrap();
        let e = store.describe_execution(&exec).unwrap();
        assert_eq!(e.output.as_deref(), Some(r#"{"by":"first"}"#));
        assert_eq!(
            rt.send_task_success(&again.task_token, "{}".into()).await,
            Err(Error::TaskTimedOut),
            "the token is spent"
        );
        assert_eq!(rt.stats().replay_mismatches, 0);
    });
}

/// A parent stopped the moment its `.sync` child exists (the child's start is
/// committed, the parent has not yet recorded it) still aborts the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_stopped_while_its_sync_child_starts_aborts_the_child() {
    let (_dir, store, rt) = setup().await;
    let act = activity(&*store, "never-answered");
    let child = create(
        &*store,
        "waits",
        MachineType::Standard,
        &activity_def(&act, ""),
    );
    let parent_def = format!(
        r#"{{"StartAt":"Run","States":{{"Run":{{"Type":"Task",
          "Resource":"arn:aws:states:::states:startExecution.sync:2",
          "Parameters":{{"StateMachineArn":"{child}","Name":"c"}},"End":true}}}}}}"#
    );
    let parent_sm = create(&*store, "parent", MachineType::Standard, &parent_def);
    let child_arn = child.replace(":stateMachine:", ":execution:") + ":c";
    let parent = rt
        .start_execution(start_req(&parent_sm, Some("p"), "{}"))
        .await
        .unwrap()
        .execution_arn;
    let deadline = Instant::now() + T;
    while store.describe_execution(&child_arn).is_err() {
        assert!(Instant::now() < deadline, "the child never started");
        tokio::task::yield_now().await;
    }
    rt.stop_execution(&parent, None, None).await.unwrap();
    rt.wait_until_done(&child_arn, T).await.unwrap();
    let e = store.describe_execution(&child_arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Aborted, "{e:?}");
}

/// A Task state for an activity that does not exist fails as it is entered,
/// before anything is scheduled (as on AWS). The journal records what was
/// missing, so a redrive replays that failure and, the activity being back,
/// schedules the task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_activity_fails_its_state_as_it_is_entered_and_a_redrive_runs_it() {
    let (_dir, store, rt) = setup().await;
    let first = activity(&*store, "first");
    let act = activity(&*store, "comes-and-goes");
    let def = format!(
        r#"{{"StartAt":"First","States":{{"First":{{"Type":"Task","Resource":"{first}","Next":"Work"}},
          "Work":{{"Type":"Task","Resource":"{act}","End":true}}}}}}"#
    );
    let sm = create(&*store, "deleted", MachineType::Standard, &def);
    let exec = rt
        .start_execution(start_req(&sm, Some("e"), "{}"))
        .await
        .unwrap()
        .execution_arn;
    // The activity goes while the execution waits in the state before.
    store.delete_activity(&act).unwrap();
    rt.forget_activity(&act);
    let task = rt
        .get_activity_task(&first, None, T)
        .await
        .unwrap()
        .unwrap();
    rt.send_task_success(&task.task_token, "{}".into())
        .await
        .unwrap();
    rt.wait_until_done(&exec, T).await.unwrap();
    let e = store.describe_execution(&exec).unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.error.as_deref(), Some("States.Runtime"));
    let entered = history(&*store, &exec)
        .iter()
        .rfind(|e| e.event_type == "TaskStateEntered")
        .unwrap()
        .id;
    assert_eq!(
        e.cause,
        Some(format!(
            "An error occurred while executing the state 'Work' (entered at the event id #{entered}). The activity {act} does not exist."
        ))
    );
    assert_eq!(
        types(&history(&*store, &exec))[entered as usize - 1..],
        ["TaskStateEntered", "ExecutionFailed"]
    );

    activity(&*store, "comes-and-goes");
    rt.redrive_execution(&exec, None).await.unwrap();
    let task = rt.get_activity_task(&act, None, T).await.unwrap().unwrap();
    rt.send_task_success(&task.task_token, r#"{"back":true}"#.into())
        .await
        .unwrap();
    rt.wait_until_done(&exec, T).await.unwrap();
    let e = store.describe_execution(&exec).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    assert_eq!(e.output.as_deref(), Some(r#"{"back":true}"#));
}

/// An Express child of `.sync:2` runs in memory to its end; the parent's task
/// gets its DescribeExecution shape (no redrive fields: Express executions
/// cannot be redriven), or fails with `States.TaskFailed` and that shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_express_sync_child_answers_with_its_end() {
    let (_dir, store, rt) = setup().await;
    let child = create(
        &*store,
        "quick",
        MachineType::Express,
        r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.ok","BooleanEquals":true,"Next":"Done"}],"Default":"No"},
           "Done":{"Type":"Pass","Result":{"done":1},"End":true},
           "No":{"Type":"Fail","Error":"Child.No","Cause":"not ok"}}}"#,
    );
    let parent_def = format!(
        r#"{{"StartAt":"Run","States":{{"Run":{{"Type":"Task",
          "Resource":"arn:aws:states:::states:startExecution.sync:2",
          "Parameters":{{"StateMachineArn":"{child}","Input.$":"$"}},"End":true}}}}}}"#
    );
    let parent = create(&*store, "parent", MachineType::Standard, &parent_def);
    let ok = rt
        .start_execution(start_req(&parent, Some("ok"), r#"{"ok":true}"#))
        .await
        .unwrap()
        .execution_arn;
    let no = rt
        .start_execution(start_req(&parent, Some("no"), r#"{"ok":false}"#))
        .await
        .unwrap()
        .execution_arn;
    rt.wait_until_done(&ok, T).await.unwrap();
    rt.wait_until_done(&no, T).await.unwrap();

    let e = store.describe_execution(&ok).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    let out: serde_json::Value = serde_json::from_str(e.output.as_deref().unwrap()).unwrap();
    assert!(
        out["ExecutionArn"]
            .as_str()
            .unwrap()
            .contains(":express:quick:")
    );
    assert_eq!(out["Input"], serde_json::json!({"ok": true}));
    assert_eq!(out["Output"], serde_json::json!({"done": 1}));
    assert_eq!(out["Status"], "SUCCEEDED");
    assert!(out.get("RedriveCount").is_none() && out.get("Error").is_none());

    let e = store.describe_execution(&no).unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.error.as_deref(), Some("States.TaskFailed"));
    let cause: serde_json::Value = serde_json::from_str(e.cause.as_deref().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Child.No");
    assert_eq!(cause["Cause"], "not ok");
    assert!(cause.get("Output").is_none());
}
