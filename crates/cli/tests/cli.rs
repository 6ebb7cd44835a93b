//! End-to-end tests of `stepwise run` and `stepwise validate`: small
//! definitions written to a temporary directory and run by the built binary.

mod common;

use common::{stepwise, stepwise_with_stdin, temp_dir, types, write};
use serde_json::{Value, json};

fn pass_chain() -> Value {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"x.$": "$.a", "n": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.b", "End": true}
    }})
}

#[test]
fn run_prints_the_output_of_a_pass_chain() {
    let dir = temp_dir();
    let file = write(&dir, "chain.asl.json", &pass_chain());
    let out = stepwise(&["run", &file, "--input", r#"{"a": 5}"#]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json(), json!({"x": 5, "n": 1, "b": {"ok": true}}));
    assert_eq!(out.stdout, "{\"x\":5,\"n\":1,\"b\":{\"ok\":true}}\n");
}

#[test]
fn run_reads_the_input_from_a_file() {
    let dir = temp_dir();
    let file = write(&dir, "chain.json", &pass_chain());
    let input = write(&dir, "input.json", &json!({"a": "from file"}));
    let out = stepwise(&["run", &file, "--input", &format!("@{input}")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["x"], "from file");
}

#[test]
fn run_of_a_fail_state_exits_1_with_error_and_cause() {
    let dir = temp_dir();
    let def = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}});
    let file = write(&dir, "fail.json", &def);
    let out = stepwise(&["run", &file]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("error: Boom\n"), "{}", out.stderr);
    assert!(out.stderr.contains("cause: it broke\n"), "{}", out.stderr);
}

#[test]
fn run_json_gives_status_output_and_history_in_order() {
    let dir = temp_dir();
    let file = write(&dir, "chain.asl.json", &pass_chain());
    let out = stepwise(&[
        "run",
        &file,
        "--input",
        r#"{"a": 1}"#,
        "--json",
        "--name",
        "exec-1",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["status"], "SUCCEEDED");
    assert_eq!(doc["output"], json!({"x": 1, "n": 1, "b": {"ok": true}}));
    assert_eq!(doc["error"], Value::Null);
    assert_eq!(doc["cause"], Value::Null);
    assert_eq!(
        doc["executionArn"],
        "arn:aws:states:us-east-1:123456789012:execution:chain:exec-1"
    );
    assert_eq!(
        types(&doc["history"]),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let started = &doc["history"][0];
    assert_eq!(started["id"], 1);
    assert_eq!(
        started["executionStartedEventDetails"]["roleArn"],
        "arn:aws:iam::123456789012:role/stepwise"
    );
    let input = started["executionStartedEventDetails"]["input"]
        .as_str()
        .and_then(|t| serde_json::from_str::<Value>(t).ok());
    assert_eq!(input, Some(json!({"a": 1})));
}

#[test]
fn run_json_exits_0_on_failure_and_reports_it() {
    let dir = temp_dir();
    let def =
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}});
    let file = write(&dir, "fail.json", &def);
    let out = stepwise(&["run", &file, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["status"], "FAILED");
    assert_eq!(doc["output"], Value::Null);
    assert_eq!(doc["error"], "E");
    assert_eq!(doc["cause"], "C");
    assert_eq!(
        types(&doc["history"]),
        ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    );
}

#[test]
fn run_names_and_arns_reach_the_context_object() {
    let dir = temp_dir();
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {
        "name.$": "$$.Execution.Name",
        "id.$": "$$.Execution.Id",
        "machine.$": "$$.StateMachine.Id",
        "role.$": "$$.Execution.RoleArn"
    }, "End": true}}});
    let file = write(&dir, "ctx.json", &def);
    let out = stepwise(&[
        "run",
        &file,
        "--name",
        "n1",
        "--state-machine-name",
        "Orders",
        "--region",
        "eu-west-1",
        "--account",
        "111122223333",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json(),
        json!({
            "name": "n1",
            "id": "arn:aws:states:eu-west-1:111122223333:execution:Orders:n1",
            "machine": "arn:aws:states:eu-west-1:111122223333:stateMachine:Orders",
            "role": "arn:aws:iam::111122223333:role/stepwise"
        })
    );

    // Without --name, the execution gets a random UUID.
    let out = stepwise(&["run", &file]);
    let name = out.json()["name"].as_str().unwrap_or("").to_string();
    assert_eq!(name.len(), 36, "{name}");
    assert_eq!(&name[14..15], "4");
    assert_eq!(
        out.json()["machine"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:ctx"
    );
}

#[test]
fn run_rejects_bad_input_and_bad_names() {
    let dir = temp_dir();
    let file = write(&dir, "chain.json", &pass_chain());
    let out = stepwise(&["run", &file, "--input", "{\"a\": "]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: InvalidExecutionInput"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Invalid State Machine Execution Input"),
        "{}",
        out.stderr
    );

    let out = stepwise(&["run", &file, "--name", "has space"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("error: InvalidName"), "{}", out.stderr);
}

#[test]
fn run_of_an_invalid_definition_prints_every_diagnostic() {
    let dir = temp_dir();
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}});
    let file = write(&dir, "bad.json", &def);
    let out = stepwise(&["run", &file]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("/States/A/Next"), "{}", out.stderr);
    assert!(
        out.stderr.contains("MISSING_TRANSITION_TARGET"),
        "{}",
        out.stderr
    );
}

fn order_machine() -> Value {
    json!({"StartAt": "Charge", "States": {
        "Charge": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
            "ResultSelector": {"charged.$": "$.Payload.amount"},
            "ResultPath": "$.charge",
            "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 30, "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handle"}],
            "End": true
        },
        "Handle": {"Type": "Pass", "End": true}
    }})
}

fn order_mocks() -> Value {
    json!({
        "StateMachines": {"order": {"TestCases": {
            "Happy": {"Charge": "ChargeOk"},
            "RetryThenOk": {"Charge": "FlakyThenOk"},
            "Declined": {"Charge": "Declined"}
        }}},
        "MockedResponses": {
            "ChargeOk": {"0": {"Return": {"Payload": {"amount": 42}, "StatusCode": 200}}},
            "FlakyThenOk": {
                "0-1": {"Throw": {"Error": "Flaky", "Cause": "try again"}},
                "2": {"Return": {"Payload": {"amount": 7}}}
            },
            "Declined": {"0": {"Throw": {"Error": "CardDeclined", "Cause": "no money"}}}
        }
    })
}

#[test]
fn run_with_mocks_returns_the_mocked_result() {
    let dir = temp_dir();
    let file = write(&dir, "order.asl.json", &order_machine());
    let mocks = write(&dir, "mocks.json", &order_mocks());
    let out = stepwise(&[
        "run",
        &file,
        "--input",
        r#"{"id": 1}"#,
        "--mocks",
        &mocks,
        "--case",
        "Happy",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json(), json!({"id": 1, "charge": {"charged": 42}}));
}

#[test]
fn run_with_mocks_retries_a_thrown_error() {
    let dir = temp_dir();
    let file = write(&dir, "order.asl.json", &order_machine());
    let mocks = write(&dir, "mocks.json", &order_mocks());
    let out = stepwise(&[
        "run",
        &file,
        "--input",
        r#"{"id": 1}"#,
        "--mocks",
        &mocks,
        "--case",
        "RetryThenOk",
        "--clock",
        "virtual",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["status"], "SUCCEEDED");
    assert_eq!(doc["output"], json!({"id": 1, "charge": {"charged": 7}}));
    let t = types(&doc["history"]);
    assert_eq!(t.iter().filter(|t| *t == "TaskFailed").count(), 2, "{t:?}");
    assert_eq!(
        t.iter().filter(|t| *t == "TaskScheduled").count(),
        3,
        "{t:?}"
    );
    assert_eq!(t.last().map(String::as_str), Some("ExecutionSucceeded"));
    let failed = doc["history"]
        .as_array()
        .and_then(|h| h.iter().find(|e| e["type"] == "TaskFailed"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(failed["taskFailedEventDetails"]["error"], "Flaky");
    assert_eq!(failed["taskFailedEventDetails"]["cause"], "try again");
}

#[test]
fn run_with_mocks_catches_a_thrown_error() {
    let dir = temp_dir();
    let file = write(&dir, "order.asl.json", &order_machine());
    let mocks = write(&dir, "mocks.json", &order_mocks());
    let out = stepwise(&[
        "run",
        &file,
        "--input",
        r#"{"id": 1}"#,
        "--mocks",
        &mocks,
        "--case",
        "Declined",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json(),
        json!({"id": 1, "err": {"Error": "CardDeclined", "Cause": "no money"}})
    );
}

#[test]
fn run_with_an_unknown_case_says_so() {
    let dir = temp_dir();
    let file = write(&dir, "order.asl.json", &order_machine());
    let mocks = write(&dir, "mocks.json", &order_mocks());
    let out = stepwise(&["run", &file, "--mocks", &mocks, "--case", "Nope"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no test case 'Nope'"), "{}", out.stderr);
}

#[test]
fn run_without_mocks_fails_tasks_with_advice() {
    let dir = temp_dir();
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}});
    let file = write(&dir, "task.json", &def);
    let out = stepwise(&["run", &file]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: Stepwise.NoInvoker"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--mocks FILE --case NAME"),
        "{}",
        out.stderr
    );
}

#[test]
fn virtual_clock_skips_a_one_hour_wait() {
    let dir = temp_dir();
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let file = write(&dir, "wait.json", &def);
    let out = stepwise(&[
        "run",
        &file,
        "--input",
        r#"{"k": "v"}"#,
        "--clock",
        "virtual",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["status"], "SUCCEEDED");
    assert_eq!(doc["output"], json!({"k": "v"}));
    let history = doc["history"].as_array().cloned().unwrap_or_default();
    let at = |ty: &str| {
        history
            .iter()
            .find(|e| e["type"] == ty)
            .and_then(|e| e["timestamp"].as_str())
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_millisecond())
    };
    let entered = at("WaitStateEntered").expect("WaitStateEntered");
    let exited = at("WaitStateExited").expect("WaitStateExited");
    assert_eq!(exited - entered, 3_600_000);
}

#[test]
fn real_clock_really_waits() {
    let dir = temp_dir();
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}});
    let file = write(&dir, "wait.json", &def);
    let started = std::time::Instant::now();
    let out = stepwise(&["run", &file, "--input", "[1]"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json(), json!([1]));
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
}

#[test]
fn run_rejects_an_input_over_256_kib() {
    let dir = temp_dir();
    let file = write(&dir, "chain.json", &pass_chain());
    let input = write(&dir, "big.json", &json!({"a": "x".repeat(300_000)}));
    let out = stepwise(&["run", &file, "--input", &format!("@{input}")]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: ValidationException"),
        "{}",
        out.stderr
    );
}

#[test]
fn validate_reports_each_diagnostic_with_its_pointer() {
    let dir = temp_dir();
    let def = json!({"StartAt": "Charge", "States": {"Charge": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": [{"ErrorEquals": ["States.ALL"], "BackoffRate": 0.5}], "End": true}}});
    let file = write(&dir, "bad.json", &def);
    let out = stepwise(&["validate", &file]);
    assert_eq!(out.code, 1);
    let first = out.stdout.lines().next().unwrap_or("");
    assert!(
        first.starts_with("SCHEMA_VALIDATION_FAILED /States/Charge/Retry"),
        "{first}"
    );
    assert!(first.contains("BackoffRate"), "{first}");
    assert!(out.stdout.contains("1 problem found"), "{}", out.stdout);
}

#[test]
fn validate_accepts_a_valid_file_and_stdin() {
    let dir = temp_dir();
    let file = write(&dir, "ok.json", &pass_chain());
    let out = stepwise(&["validate", &file]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "valid\n"));

    let out = stepwise_with_stdin(&["validate", "-"], &pass_chain().to_string());
    assert_eq!((out.code, out.stdout.as_str()), (0, "valid\n"));

    let out = stepwise_with_stdin(&["validate", "-"], "{");
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("INVALID_JSON_DESCRIPTION"),
        "{}",
        out.stdout
    );
}
