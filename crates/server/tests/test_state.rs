//! TestState against a real server: an unmocked Task goes to the configured
//! integration; bad requests get AWS's error shapes and the server keeps serving.

mod common;

use std::sync::Arc;

use common::{ROLE, TestServer};
use runtime::{BoxFuture, Invoker, TaskOutcome, TaskRequest};
use serde_json::{Value, json};

/// The integration: answers `{"got": <parameters>}`.
struct Echo;

impl Invoker for Echo {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        Box::pin(async move { TaskOutcome::Succeeded(json!({"got": request.parameters})) })
    }
}

fn parsed(v: &Value) -> Value {
    serde_json::from_str(v.as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

#[test]
fn an_unmocked_task_calls_the_integration_and_shows_its_data_flow() {
    let s = TestServer::start_with(
        server::Config::default(),
        runtime::RuntimeConfig {
            invoker: Arc::new(Echo),
            ..Default::default()
        },
    );
    let definition = json!({"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "InputPath": "$.order", "Parameters": {"id.$": "$.id"},
        "ResultSelector": {"echoed.$": "$.got.id"}, "ResultPath": "$.r", "Next": "Ship"});
    let r = s
        .call(
            "TestState",
            json!({"definition": definition.to_string(), "roleArn": ROLE,
                   "input": r#"{"order":{"id":7}}"#, "inspectionLevel": "DEBUG"}),
        )
        .unwrap();
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["nextState"], "Ship");
    assert_eq!(
        parsed(&r["output"]),
        json!({"order": {"id": 7}, "r": {"echoed": 7}})
    );
    let data = &r["inspectionData"];
    assert_eq!(parsed(&data["afterInputPath"]), json!({"id": 7}));
    assert_eq!(parsed(&data["afterParameters"]), json!({"id": 7}));
    assert_eq!(parsed(&data["result"]), json!({"got": {"id": 7}}));
    assert_eq!(parsed(&data["afterResultSelector"]), json!({"echoed": 7}));

    // INFO shows no inspection data.
    let r = s
        .call(
            "TestState",
            json!({"definition": definition.to_string(), "roleArn": ROLE,
                   "input": r#"{"order":{"id":7}}"#}),
        )
        .unwrap();
    assert!(r.get("inspectionData").is_none(), "{r}");
}

#[test]
fn bad_requests_get_aws_errors_and_the_server_keeps_serving() {
    let s = TestServer::start();
    let pass = r#"{"Type":"Pass","End":true}"#;
    let cases = [
        (json!({}), "ValidationException"),
        (json!({"definition": "{"}), "InvalidDefinition"),
        (json!({"definition": "[1]"}), "InvalidDefinition"),
        (
            json!({"definition": r#"{"Type":"Nope"}"#}),
            "InvalidDefinition",
        ),
        (
            json!({"definition": pass, "inspectionLevel": "LOUD"}),
            "ValidationException",
        ),
        (
            json!({"definition": pass, "input": "{"}),
            "InvalidExecutionInput",
        ),
        (
            json!({"definition": pass, "variables": "[1]"}),
            "ValidationException",
        ),
        (json!({"definition": pass, "roleArn": "nope"}), "InvalidArn"),
        (
            json!({"definition": pass, "mock": {"result": 5}}),
            "SerializationException",
        ),
        (
            json!({"definition": pass, "mock": {}}),
            "ValidationException",
        ),
        (
            json!({"definition": pass, "mock": "x"}),
            "SerializationException",
        ),
        (
            json!({"definition": pass, "stateConfiguration": {"retrierRetryCount": -1}}),
            "ValidationException",
        ),
        (
            json!({"definition": r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}"#,
                   "mock": {"result": "{}", "fieldValidationMode": "SOMETIMES"}}),
            "ValidationException",
        ),
        (
            json!({"definition": r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#,
                   "stateName": "B"}),
            "ValidationException",
        ),
    ];
    for (req, code) in cases {
        let (got, message) = s.error("TestState", req.clone());
        assert_eq!(got, code, "{req}: {message}");
        assert!(!message.is_empty(), "{req}");
    }
    let r = s
        .call("TestState", json!({"definition": pass, "input": "[1,2]"}))
        .unwrap();
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(parsed(&r["output"]), json!([1, 2]));
}

/// An integration that never answers in time.
struct Slow;

impl Invoker for Slow {
    fn invoke(&self, _request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        Box::pin(async move {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            TaskOutcome::Succeeded(json!("late"))
        })
    }
}

#[test]
fn a_task_that_outlives_its_timeout_fails_with_states_timeout() {
    let s = TestServer::start_with(
        server::Config::default(),
        runtime::RuntimeConfig {
            invoker: Arc::new(Slow),
            ..Default::default()
        },
    );
    let definition = json!({"Type": "Task", "TimeoutSeconds": 1,
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true});
    let started = std::time::Instant::now();
    let r = s
        .call(
            "TestState",
            json!({"definition": definition.to_string(), "roleArn": ROLE}),
        )
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["error"], "States.Timeout", "{r}");
}
