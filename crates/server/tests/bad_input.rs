//! Bad input against a real server: each request gets AWS's error shape, and
//! the server keeps serving (and keeps its data) afterwards.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{ROLE, TestServer, machine_arn, pass_definition};
use serde_json::{Value, json};

/// Sends `body` even if the server answers before reading it all; returns the
/// status and the error code of the answer.
fn send(s: &TestServer, target: &str, body: &[u8]) -> (u16, String) {
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: {target}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).unwrap();
    let _ = c.write_all(body); // the server may refuse before reading all of it
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let code = v["__type"]
        .as_str()
        .unwrap_or("")
        .rsplit('#')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(v["message"].is_string() || status == 200, "{text}");
    (status, code)
}

fn create(s: &TestServer, name: &str) -> String {
    s.call(
        "CreateStateMachine",
        json!({"name": name, "definition": pass_definition("ok"), "roleArn": ROLE}),
    )
    .unwrap()["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The server still answers and still holds `arn`.
fn still_serving(s: &TestServer, arn: &str) {
    let v = s
        .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .unwrap();
    assert_eq!(v["stateMachineArn"], arn);
}

#[test]
fn malformed_bodies_and_unknown_actions() {
    let s = TestServer::start();
    let arn = create(&s, "keep");
    let list = "AWSStepFunctions.ListStateMachines";
    for body in [
        &b"{\"name\":"[..],
        b"{\"a\":1}}",
        b"[1,2]",
        b"\"text\"",
        b"{\"name\": \"\xff\xfe\"}",
        b"\x00\x01\x02",
    ] {
        assert_eq!(
            send(&s, list, body),
            (400, "SerializationException".into()),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    // Nesting deeper than the parser's limit is an error, not a stack overflow.
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(200_000), "]".repeat(200_000));
    assert_eq!(
        send(&s, list, deep.as_bytes()),
        (400, "SerializationException".into())
    );
    assert_eq!(
        send(&s, "AWSStepFunctions.DropEverything", b"{}"),
        (400, "UnknownOperationException".into())
    );
    assert_eq!(
        send(&s, "DynamoDB_20120810.ListTables", b"{}"),
        (400, "UnknownOperationException".into())
    );
    still_serving(&s, &arn);
}

#[test]
fn oversized_bodies_get_413_at_the_configured_limit() {
    let s = TestServer::start_with(
        server::Config {
            max_request_bytes: 64 * 1024,
            ..server::Config::default()
        },
        runtime::RuntimeConfig::default(),
    );
    let arn = create(&s, "keep");
    let big = json!({"name": "x".repeat(70 * 1024)}).to_string();
    assert_eq!(
        send(&s, "AWSStepFunctions.CreateActivity", big.as_bytes()),
        (413, "RequestEntityTooLarge".into())
    );
    // Far beyond the limit, too (the server stops reading early).
    let huge = vec![b' '; 8 * 1024 * 1024];
    assert_eq!(
        send(&s, "AWSStepFunctions.ListStateMachines", &huge),
        (413, "RequestEntityTooLarge".into())
    );
    still_serving(&s, &arn);
    // The default limit is 4 MiB.
    let s = TestServer::start();
    let arn = create(&s, "keep");
    let huge = vec![b' '; 5 * 1024 * 1024];
    assert_eq!(
        send(&s, "AWSStepFunctions.ListStateMachines", &huge),
        (413, "RequestEntityTooLarge".into())
    );
    still_serving(&s, &arn);
}

#[test]
fn oversized_execution_input_at_aws_limit_and_a_configured_one() {
    let s = TestServer::start();
    let arn = create(&s, "m");
    let input = |n: usize| format!("\"{}\"", "x".repeat(n - 2));
    let (code, msg) = s.error(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input(262_145)}),
    );
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("262144"), "{msg}");
    s.call(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input(262_144)}),
    )
    .unwrap();

    let s = TestServer::start_with(
        server::Config::default(),
        runtime::RuntimeConfig {
            limits: engine::Limits {
                max_payload_bytes: 1024,
                ..engine::Limits::default()
            },
            ..runtime::RuntimeConfig::default()
        },
    );
    let arn = create(&s, "m");
    let (code, msg) = s.error(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input(1025)}),
    );
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("1024"), "{msg}");
    let (code, _) = s.error(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": "{not json"}),
    );
    assert_eq!(code, "InvalidExecutionInput");
    s.call(
        "StartExecution",
        json!({"stateMachineArn": arn, "input": input(1024)}),
    )
    .unwrap();
    still_serving(&s, &arn);
}

#[test]
fn invalid_arns_names_and_definitions() {
    let s = TestServer::start();
    let arn = create(&s, "keep");
    for bad in [
        "nope",
        "arn:aws:states:us-east-1:123456789012:activity:x",
        "",
    ] {
        let (code, _) = s.error("DescribeStateMachine", json!({"stateMachineArn": bad}));
        assert!(
            code == "InvalidArn" || code == "ValidationException",
            "{bad}: {code}"
        );
    }
    let (code, _) = s.error(
        "DescribeExecution",
        json!({"executionArn": machine_arn("keep")}),
    );
    assert_eq!(code, "InvalidArn");
    for bad in ["has space", "a/b", "x".repeat(81).as_str(), "wild*card"] {
        let (code, _) = s.error(
            "CreateStateMachine",
            json!({"name": bad, "definition": pass_definition("x"), "roleArn": ROLE}),
        );
        assert!(
            code == "InvalidName" || code == "ValidationException",
            "{bad}: {code}"
        );
    }
    let (code, _) = s.error(
        "StartExecution",
        json!({"stateMachineArn": arn, "name": "bad name"}),
    );
    assert_eq!(code, "InvalidName");
    for definition in [
        "{",
        r#"{"StartAt":"Missing","States":{"P":{"Type":"Pass","End":true}}}"#,
        r#"{"StartAt":"P","States":{"P":{"Type":"Nope","End":true}}}"#,
        "[]",
    ] {
        let (code, msg) = s.error(
            "CreateStateMachine",
            json!({"name": "bad-def", "definition": definition, "roleArn": ROLE}),
        );
        assert_eq!(code, "InvalidDefinition", "{definition}: {msg}");
    }
    let (code, _) = s.error(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": "{\"StartAt\":1}"}),
    );
    assert_eq!(code, "InvalidDefinition");
    // Nothing was half-created, the good machine is unchanged.
    let list = s.call("ListStateMachines", json!({})).unwrap();
    assert_eq!(list["stateMachines"].as_array().unwrap().len(), 1);
    let v = s
        .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .unwrap();
    assert_eq!(v["definition"], pass_definition("ok"));
}
