//! `Input::Redrive` step by step: a FAILED, TIMED_OUT or ABORTED execution records
//! `ExecutionRedriven`, re-enters the top-level state it ended in with the input
//! that state had, and counts the redrive in `$$.Execution.RedriveCount`.

mod common;

use common::{T0, render, start};
use engine::{Command, Decision, Input, Status};
use serde_json::{Value, json};

fn tasks_of(d: &Decision) -> Vec<engine::TaskRequest> {
    d.commands
        .iter()
        .filter_map(|c| match c {
            Command::InvokeTask(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn failed(task: u64) -> Input {
    Input::TaskFailed {
        task,
        error: Some("Boom".into()),
        cause: Some("it broke".into()),
    }
}

fn pass_then_task() -> Value {
    json!({
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": {"x": 7}, "Next": "Work"},
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"x.$": "$.x", "rc.$": "$$.Execution.RedriveCount"},
                "End": true
            }
        }
    })
}

#[test]
fn a_failed_task_is_redriven_with_its_input_and_the_redrive_count() {
    let (mut exec, first) = start(&pass_then_task());
    let task = tasks_of(&first).remove(0);
    assert_eq!(task.parameters, json!({"x": 7, "rc": 0}));
    let d = exec.handle(failed(task.task), T0 + 10);
    assert_eq!(exec.status().name(), "FAILED");
    assert_eq!(
        render(&d),
        "7 6 TaskFailed\n8 7 ExecutionFailed",
        "the first attempt ends"
    );

    let d = exec.handle(Input::Redrive, T0 + 1000);
    assert_eq!(*exec.status(), Status::Running);
    assert_eq!(exec.info().redrive_count, 1);
    assert_eq!(
        render(&d),
        "9 8 ExecutionRedriven\n10 9 TaskStateEntered Work\n11 10 TaskScheduled\n12 11 TaskStarted",
    );
    let j = d.events[0].to_json();
    assert_eq!(
        j["executionRedrivenEventDetails"],
        json!({"redriveCount": 1})
    );
    let entered = d.events[1].to_json();
    assert_eq!(entered["stateEnteredEventDetails"]["input"], "{\"x\":7}");
    let again = tasks_of(&d).remove(0);
    assert_eq!(again.parameters, json!({"x": 7, "rc": 1}));
    assert_ne!(again.task, task.task, "a new task id");

    let d = exec.handle(
        Input::TaskSucceeded {
            task: again.task,
            output: json!({"ok": true}),
        },
        T0 + 1100,
    );
    assert_eq!(exec.status().name(), "SUCCEEDED");
    assert!(render(&d).ends_with("ExecutionSucceeded"), "{}", render(&d));

    // A succeeded execution is not redriven: nothing happens.
    let d = exec.handle(Input::Redrive, T0 + 2000);
    assert!(d.events.is_empty() && d.commands.is_empty());
    assert_eq!(exec.info().redrive_count, 1);
}

#[test]
fn a_running_execution_ignores_redrive() {
    let (mut exec, _) = start(&pass_then_task());
    let d = exec.handle(Input::Redrive, T0 + 5);
    assert!(d.events.is_empty() && d.commands.is_empty());
    assert_eq!(*exec.status(), Status::Running);
    assert_eq!(exec.info().redrive_count, 0);
}

#[test]
fn an_aborted_wait_is_entered_again_and_the_execution_timeout_restarts() {
    let def = json!({
        "TimeoutSeconds": 60,
        "StartAt": "Nap",
        "States": {"Nap": {"Type": "Wait", "Seconds": 10, "End": true}}
    });
    let (mut exec, first) = start(&def);
    assert_eq!(first.commands.len(), 2, "execution timeout and wait timer");
    let d = exec.handle(
        Input::Stop {
            error: None,
            cause: None,
        },
        T0 + 1000,
    );
    assert_eq!(exec.status().name(), "ABORTED");
    assert!(render(&d).ends_with("ExecutionAborted"));

    let now = T0 + 100_000;
    let d = exec.handle(Input::Redrive, now);
    assert_eq!(
        render(&d),
        "4 3 ExecutionRedriven\n5 4 WaitStateEntered Nap"
    );
    let mut timers: Vec<i64> = d
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::StartTimer { fire_at, .. } => Some(*fire_at),
            _ => None,
        })
        .collect();
    timers.sort_unstable();
    assert_eq!(timers, vec![now + 10_000, now + 60_000]);
}

#[test]
fn a_timed_out_execution_can_be_redriven() {
    let def = json!({
        "TimeoutSeconds": 1,
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}
    });
    let (mut exec, first) = start(&def);
    let timer = first
        .commands
        .iter()
        .find_map(|c| match c {
            Command::StartTimer { timer, .. } => Some(*timer),
            _ => None,
        })
        .expect("execution timeout");
    exec.handle(Input::TimerFired { timer }, T0 + 1000);
    assert_eq!(exec.status().name(), "TIMED_OUT");
    let d = exec.handle(Input::Redrive, T0 + 2000);
    assert_eq!(*exec.status(), Status::Running);
    assert!(render(&d).contains("ExecutionRedriven\n"), "{}", render(&d));
    assert_eq!(tasks_of(&d).len(), 1, "the task runs again");
}

#[test]
fn a_failed_parallel_runs_again_as_a_whole() {
    let def = json!({
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "End": true,
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}
                ]
            }
        }
    });
    let (mut exec, first) = start(&def);
    let task = tasks_of(&first).remove(0);
    exec.handle(failed(task.task), T0 + 10);
    assert_eq!(exec.status().name(), "FAILED");
    let d = exec.handle(Input::Redrive, T0 + 20);
    let text = render(&d);
    assert!(
        text.contains("ExecutionRedriven\n") && text.contains("ParallelStateEntered Both"),
        "{text}"
    );
    let again = tasks_of(&d).remove(0);
    let d = exec.handle(
        Input::TaskSucceeded {
            task: again.task,
            output: json!("b"),
        },
        T0 + 30,
    );
    assert_eq!(exec.status().name(), "SUCCEEDED", "{}", render(&d));
}

#[test]
fn a_redrive_replays_identically() {
    let run = || {
        let (mut exec, first) = start(&pass_then_task());
        let task = tasks_of(&first).remove(0).task;
        let mut events = first.events;
        events.extend(exec.handle(failed(task), T0 + 10).events);
        let d = exec.handle(Input::Redrive, T0 + 20);
        let again = tasks_of(&d).remove(0).task;
        events.extend(d.events);
        events.extend(exec.handle(failed(again), T0 + 30).events);
        events.extend(exec.handle(Input::Redrive, T0 + 40).events);
        assert_eq!(exec.info().redrive_count, 2);
        events
    };
    assert_eq!(run(), run());
    // The input survives the journal's JSON round trip.
    let text = serde_json::to_string(&Input::Redrive).expect("serialise");
    let back: Input = serde_json::from_str(&text).expect("parse");
    assert_eq!(back, Input::Redrive);
}
