//! End-to-end tests of the `stepwise` binary: small definitions written to a
//! temporary directory, run through `run`, `validate` and `eval`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

/// A fresh directory for one test.
fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "stepwise-cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Writes `value` as `name` in `dir`, returning its path.
fn write(dir: &std::path::Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("write file");
    path.to_string_lossy().into_owned()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

fn stepwise_with_stdin(args: &[&str], stdin: &str) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stepwise");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for stepwise");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn stepwise(args: &[&str]) -> Out {
    stepwise_with_stdin(args, "")
}

fn types(history: &Value) -> Vec<String> {
    history
        .as_array()
        .expect("history array")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_string())
        .collect()
}

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
    let started = std::time::Instant::now();
    let out = stepwise(&[
        "run",
        &file,
        "--input",
        r#"{"k": "v"}"#,
        "--clock",
        "virtual",
        "--json",
    ]);
    assert!(started.elapsed().as_secs() < 60);
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

#[test]
fn eval_jsonpath() {
    let out = stepwise(&[
        "eval",
        "--jsonpath",
        "$.a.b",
        "--input",
        r#"{"a": {"b": [1, 2]}}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json(), json!([1, 2]));

    let out = stepwise(&[
        "eval",
        "--jsonpath",
        "$.items[?(@.p > 1)].p",
        "--input",
        r#"{"items": [{"p": 1}, {"p": 2}, {"p": 3}]}"#,
    ]);
    assert_eq!(out.json(), json!([2, 3]));

    let out = stepwise(&["eval", "--jsonpath", "$.missing", "--input", "{}"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: States.Runtime"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Invalid path '$.missing'"),
        "{}",
        out.stderr
    );
}

#[test]
fn eval_template_with_intrinsics() {
    let out = stepwise(&[
        "eval",
        "--template",
        r#"{"x.$": "States.Format('{} is {}', $.a, $.b)", "k": 1, "list.$": "States.Array($.b, 3)"}"#,
        "--input",
        r#"{"a": "answer", "b": 42}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json(),
        json!({"x": "answer is 42", "k": 1, "list": [42, 3]})
    );
}

#[test]
fn eval_jsonata_binds_the_input_twice() {
    let dir = temp_dir();
    let order = write(
        &dir,
        "order.json",
        &json!({"items": [{"price": 2}, {"price": 3.5}]}),
    );
    let input = format!("@{order}");
    let out = stepwise(&["eval", "--jsonata", "$sum(items.price)", "--input", &input]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json(), json!(5.5));

    let out = stepwise(&[
        "eval",
        "--jsonata",
        "{% $states.input.items[1].price %}",
        "--input",
        &input,
    ]);
    assert_eq!(out.json(), json!(3.5));

    let out = stepwise(&["eval", "--jsonata", "$sum(", "--input", &input]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: States.QueryEvaluationError"),
        "{}",
        out.stderr
    );
}

#[test]
fn eval_state_shows_a_task_data_flow() {
    let state = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.order",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "ResultSelector": {"body.$": "$.Payload"},
        "ResultPath": "$.res",
        "OutputPath": "$.res",
        "Next": "Elsewhere"
    });
    let out = stepwise(&[
        "eval",
        "--state",
        &state.to_string(),
        "--input",
        r#"{"order": {"id": 1}}"#,
        "--result",
        r#"{"Payload": {"ok": 1}, "StatusCode": 200}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["input"], json!({"order": {"id": 1}}));
    assert_eq!(doc["effectiveInput"], json!({"id": 1}));
    assert_eq!(
        doc["parameters"],
        json!({"FunctionName": "f", "Payload": {"id": 1}})
    );
    assert_eq!(doc["result"], json!({"body": {"ok": 1}}));
    assert_eq!(doc["output"], json!({"body": {"ok": 1}}));
}

#[test]
fn eval_state_shows_a_pass_data_flow() {
    let state = json!({"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.r", "End": true});
    let out = stepwise(&[
        "eval",
        "--state",
        &state.to_string(),
        "--input",
        r#"{"z": 0}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["result"], json!({"a": 1}));
    assert_eq!(doc["output"], json!({"z": 0, "r": {"a": 1}}));

    let state = json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": {"next": "{% $states.input.z + 1 %}"}, "End": true});
    let out = stepwise(&[
        "eval",
        "--state",
        &state.to_string(),
        "--input",
        r#"{"z": 1}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["output"], json!({"next": 2}));
}

#[test]
fn eval_state_errors_name_the_problem() {
    let state = json!({"Type": "Pass", "InputPath": "$.nope", "End": true});
    let out = stepwise(&["eval", "--state", &state.to_string(), "--input", "{}"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: States.Runtime"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Invalid path '$.nope'"),
        "{}",
        out.stderr
    );

    let state = json!({"Type": "Pass", "InputPath": "nope", "End": true});
    let out = stepwise(&["eval", "--state", &state.to_string()]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("/States/State/InputPath"),
        "{}",
        out.stderr
    );
}
