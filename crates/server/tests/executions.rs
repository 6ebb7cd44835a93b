//! Executions through the API: start, describe, list, history, stop, sync Express.

mod common;

use std::time::{Duration, Instant};

use common::{ROLE, TestServer, machine_arn, pass_definition};
use serde_json::{Value, json};

fn wait_done(s: &TestServer, arn: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let d = s
            .call("DescribeExecution", json!({"executionArn": arn}))
            .unwrap();
        if d["status"] != "RUNNING" || Instant::now() > deadline {
            return d;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn start_describe_list_history() {
    let s = TestServer::start();
    s.call(
        "CreateStateMachine",
        json!({"name": "e", "definition": pass_definition("done"), "roleArn": ROLE, "publish": true}),
    )
    .unwrap();
    let started = s
        .call(
            "StartExecution",
            json!({"stateMachineArn": machine_arn("e"), "name": "x1", "input": "{\"a\":1}"}),
        )
        .unwrap();
    let arn = started["executionArn"].as_str().unwrap().to_string();
    assert_eq!(arn, "arn:aws:states:us-east-1:123456789012:execution:e:x1");
    let d = wait_done(&s, &arn);
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["output"], "\"done\"");
    assert_eq!(d["input"], "{\"a\":1}");
    assert_eq!(d["redriveStatus"], "NOT_REDRIVABLE");

    // Same name, same input: the same execution; another input: AlreadyExists.
    let (code, _) = s.error(
        "StartExecution",
        json!({"stateMachineArn": machine_arn("e"), "name": "x1", "input": "{\"a\":2}"}),
    );
    assert_eq!(code, "ExecutionAlreadyExists");

    let v = s
        .call(
            "StartExecution",
            json!({"stateMachineArn": format!("{}:1", machine_arn("e"))}),
        )
        .unwrap();
    wait_done(&s, v["executionArn"].as_str().unwrap());
    let all = s
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine_arn("e")}),
        )
        .unwrap();
    assert_eq!(all["executions"].as_array().unwrap().len(), 2);
    let by_version = s
        .call(
            "ListExecutions",
            json!({"stateMachineArn": format!("{}:1", machine_arn("e"))}),
        )
        .unwrap();
    assert_eq!(by_version["executions"].as_array().unwrap().len(), 1);
    let running = s
        .call(
            "ListExecutions",
            json!({"stateMachineArn": machine_arn("e"), "statusFilter": "RUNNING"}),
        )
        .unwrap();
    assert_eq!(running["executions"], json!([]));
    let (code, _) = s.error(
        "ListExecutions",
        json!({"stateMachineArn": machine_arn("e"), "statusFilter": "done"}),
    );
    assert_eq!(code, "ValidationException");

    let h = s
        .call("GetExecutionHistory", json!({"executionArn": arn}))
        .unwrap();
    let types: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert!(h["events"][0]["timestamp"].is_f64());
    let r = s
        .call("GetExecutionHistory", json!({"executionArn": arn, "reverseOrder": true, "maxResults": 1, "includeExecutionData": false}))
        .unwrap();
    assert_eq!(r["events"][0]["type"], "ExecutionSucceeded");
    assert!(
        r["events"][0]["executionSucceededEventDetails"]
            .get("output")
            .is_none()
    );
    assert!(r["nextToken"].is_string());

    let d = s
        .call(
            "DescribeStateMachineForExecution",
            json!({"executionArn": arn}),
        )
        .unwrap();
    assert_eq!(d["definition"], pass_definition("done"));

    let (code, _) = s.error(
        "DescribeExecution",
        json!({"executionArn": format!("{arn}x")}),
    );
    assert_eq!(code, "ExecutionDoesNotExist");
    let (code, _) = s.error(
        "StartExecution",
        json!({"stateMachineArn": machine_arn("nope")}),
    );
    assert_eq!(code, "StateMachineDoesNotExist");
}

#[test]
fn stop_a_waiting_execution() {
    let s = TestServer::start();
    let def = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}"#;
    s.call(
        "CreateStateMachine",
        json!({"name": "w", "definition": def, "roleArn": ROLE}),
    )
    .unwrap();
    let st = s
        .call(
            "StartExecution",
            json!({"stateMachineArn": machine_arn("w")}),
        )
        .unwrap();
    let arn = st["executionArn"].as_str().unwrap();
    s.call(
        "StopExecution",
        json!({"executionArn": arn, "error": "E", "cause": "C"}),
    )
    .unwrap();
    let d = wait_done(&s, arn);
    assert_eq!(d["status"], "ABORTED");
    assert_eq!(d["error"], "E");
}

#[test]
fn start_sync_express() {
    let s = TestServer::start();
    s.call(
        "CreateStateMachine",
        json!({"name": "x", "definition": pass_definition("ok"), "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .unwrap();
    let r = s
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": machine_arn("x"), "input": "{}"}),
        )
        .unwrap();
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["output"], "\"ok\"");
    assert!(r["executionArn"].as_str().unwrap().contains(":express:x:"));
    assert_eq!(r["billingDetails"]["billedMemoryUsedInMB"], 64);
}
