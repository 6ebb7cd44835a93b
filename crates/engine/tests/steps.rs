//! The engine step by step, through its public interface: each test feeds inputs
//! to an `Execution` and reads the history as a numbered list.

use engine::{Command, Decision, Execution, ExecutionInfo, Input, Limits, Plan, Status};
use serde_json::{Value, json};

const T0: i64 = 1_700_000_000_000;

fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
        name: "e".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        state_machine_name: "m".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        region: "us-east-1".into(),
        account: "123456789012".into(),
        redrive_count: 0,
        input_text: None,
        seed: 1,
    }
}

fn start(definition: Value) -> (Execution, Decision) {
    let (def, diags) = asl::parse(&definition.to_string());
    assert!(diags.is_empty(), "{diags:?}");
    Execution::start(
        Plan::new(def.expect("valid")),
        info(),
        json!({"n": 1}),
        Limits::default(),
        T0,
    )
}

/// `id previousEventId Type [state name]`, one line per event.
fn render(d: &Decision) -> String {
    d.events
        .iter()
        .map(|e| {
            let j = e.to_json();
            let name = j
                .as_object()
                .into_iter()
                .flatten()
                .find_map(|(_, v)| v.get("name").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default();
            format!(
                "{} {} {} {}",
                e.id,
                e.previous_event_id,
                e.type_name(),
                name
            )
            .trim_end()
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn task_of(d: &Decision) -> engine::TaskRequest {
    d.commands
        .iter()
        .find_map(|c| match c {
            Command::InvokeTask(t) => Some(t.clone()),
            _ => None,
        })
        .expect("a task to invoke")
}

fn timers_of(d: &Decision) -> Vec<(u64, i64)> {
    d.commands
        .iter()
        .filter_map(|c| match c {
            Command::StartTimer { timer, fire_at } => Some((*timer, *fire_at)),
            _ => None,
        })
        .collect()
}

#[test]
fn callback_task_submits_heartbeats_and_succeeds() {
    let (mut exec, d) = start(json!({
        "StartAt": "Ask",
        "States": {"Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
            "HeartbeatSeconds": 10,
            "End": true
        }}
    }));
    assert_eq!(
        render(&d),
        "1 0 ExecutionStarted\n2 0 TaskStateEntered Ask\n3 2 TaskScheduled\n4 3 TaskStarted"
    );
    let task = task_of(&d);
    let token = task.task_token.clone().expect("a task token");
    assert_eq!(task.parameters["MessageBody"]["token"], json!(token));
    assert_eq!(timers_of(&d).len(), 1, "one heartbeat timer");

    let d = exec.handle(
        Input::TaskSubmitted {
            task: task.task,
            output: json!({"MessageId": "m-1"}),
        },
        T0 + 1_000,
    );
    assert_eq!(render(&d), "5 4 TaskSubmitted");

    let d = exec.handle(Input::TaskHeartbeat { task: task.task }, T0 + 9_000);
    assert!(d.events.is_empty(), "heartbeats leave no event");
    let renewed = timers_of(&d);
    assert_eq!(renewed.len(), 1);
    assert_eq!(renewed[0].1, T0 + 19_000);
    assert!(
        d.commands
            .iter()
            .any(|c| matches!(c, Command::CancelTimer { .. }))
    );

    let d = exec.handle(
        Input::TaskSucceeded {
            task: task.task,
            output: json!({"approved": true}),
        },
        T0 + 12_000,
    );
    assert_eq!(
        render(&d),
        "6 5 TaskSucceeded\n7 6 TaskStateExited Ask\n8 7 ExecutionSucceeded"
    );
    assert!(
        matches!(exec.status(), Status::Succeeded { output } if **output == json!({"approved": true}))
    );
}

#[test]
fn missed_heartbeat_fails_with_heartbeat_timeout() {
    let (mut exec, d) = start(json!({
        "StartAt": "Work",
        "States": {"Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:us-east-1:123456789012:activity:worker",
            "HeartbeatSeconds": 5,
            "TimeoutSeconds": 60,
            "End": true
        }}
    }));
    let timers = timers_of(&d);
    assert_eq!(timers.len(), 2, "timeout and heartbeat timers");
    let heartbeat = timers
        .iter()
        .find(|(_, at)| *at == T0 + 5_000)
        .expect("heartbeat timer")
        .0;
    let d = exec.handle(Input::TimerFired { timer: heartbeat }, T0 + 5_000);
    assert_eq!(render(&d), "4 3 ActivityTimedOut\n5 4 ExecutionFailed");
    match exec.status() {
        Status::Failed(e) => assert_eq!(e.error.as_deref(), Some("States.HeartbeatTimeout")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn retry_waits_interval_times_backoff_then_catches() {
    let (mut exec, d) = start(json!({
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
                "End": true
            },
            "Recover": {"Type": "Pass", "End": true}
        }
    }));
    let mut task = task_of(&d);
    let mut now = T0;
    for expected_delay in [2_000, 6_000] {
        let d = exec.handle(
            Input::TaskFailed {
                task: task.task,
                error: Some("Boom".into()),
                cause: Some("bad".into()),
            },
            now,
        );
        let timers = timers_of(&d);
        assert_eq!(timers.len(), 1);
        assert_eq!(timers[0].1 - now, expected_delay);
        now = timers[0].1;
        let d = exec.handle(Input::TimerFired { timer: timers[0].0 }, now);
        task = task_of(&d);
    }
    let d = exec.handle(
        Input::TaskFailed {
            task: task.task,
            error: Some("Boom".into()),
            cause: Some("bad".into()),
        },
        now,
    );
    assert!(timers_of(&d).is_empty(), "MaxAttempts used up");
    match exec.status() {
        Status::Succeeded { output } => assert_eq!(
            **output,
            json!({"n": 1, "error": {"Error": "Boom", "Cause": "bad"}})
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn max_attempts_zero_never_retries_and_runtime_errors_are_not_caught() {
    let (exec, _) = start(json!({
        "StartAt": "P",
        "States": {"P": {
            "Type": "Pass",
            "OutputPath": "$.missing",
            "End": true
        }}
    }));
    match exec.status() {
        Status::Failed(e) => {
            assert_eq!(e.error.as_deref(), Some("States.Runtime"));
            assert!(
                e.cause
                    .as_deref()
                    .unwrap_or("")
                    .contains("Invalid path '$.missing'")
            );
        }
        other => panic!("{other:?}"),
    }
    let (mut exec, d) = start(json!({
        "StartAt": "T",
        "States": {"T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}],
            "End": true
        }}
    }));
    let task = task_of(&d);
    let d = exec.handle(
        Input::TaskFailed {
            task: task.task,
            error: Some("X".into()),
            cause: None,
        },
        T0,
    );
    assert!(timers_of(&d).is_empty());
    assert_eq!(exec.status().name(), "FAILED");
}

#[test]
fn execution_timeout_and_stop() {
    let (mut exec, d) = start(json!({
        "StartAt": "W",
        "TimeoutSeconds": 30,
        "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}
    }));
    let timeout = timers_of(&d)
        .into_iter()
        .find(|(_, at)| *at == T0 + 30_000)
        .expect("execution timer");
    let d = exec.handle(Input::TimerFired { timer: timeout.0 }, T0 + 30_000);
    assert_eq!(render(&d), "3 2 ExecutionTimedOut");
    assert_eq!(exec.status().name(), "TIMED_OUT");
    assert!(
        d.commands
            .iter()
            .any(|c| matches!(c, Command::CancelTimer { .. }))
    );

    let (mut exec, _) = start(json!({
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}
    }));
    let d = exec.handle(
        Input::Stop {
            error: Some("Bye".into()),
            cause: None,
        },
        T0 + 1,
    );
    assert_eq!(render(&d), "3 2 ExecutionAborted");
    assert_eq!(exec.status().name(), "ABORTED");
}

#[test]
fn state_output_over_the_payload_limit_is_data_limit_exceeded() {
    let definition = json!({
        "StartAt": "Big",
        "States": {
            "Big": {
                "Type": "Pass",
                "Result": {"text": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
                "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "ResultPath": "$.error", "Next": "Small"}],
                "End": true
            },
            "Small": {"Type": "Pass", "End": true}
        }
    });
    let (def, _) = asl::parse(&definition.to_string());
    let limits = Limits {
        max_payload_bytes: 100,
        ..Limits::default()
    };
    let (exec, _) = Execution::start(
        Plan::new(def.expect("valid")),
        info(),
        json!({}),
        limits,
        T0,
    );
    match exec.status() {
        Status::Succeeded { output } => {
            assert_eq!(output["error"]["Error"], json!("States.DataLimitExceeded"));
            assert!(
                output["error"]["Cause"]
                    .as_str()
                    .unwrap_or("")
                    .contains("'Big'")
            );
        }
        other => panic!("{other:?}"),
    }
}
