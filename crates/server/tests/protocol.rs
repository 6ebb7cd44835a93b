//! The wire protocol: content type, error shape, unknown targets, malformed bodies.

mod common;

use common::TestServer;
use serde_json::json;

#[test]
fn responses_use_the_amz_json_content_type_and_aws_error_shape() {
    let s = TestServer::start();
    let (status, ct, body) = s.raw(Some("AWSStepFunctions.ListStateMachines"), b"{}");
    assert_eq!(status, 200);
    assert_eq!(ct, "application/x-amz-json-1.0");
    assert_eq!(body, r#"{"stateMachines":[]}"#);

    let (status, ct, body) = s.raw(Some("AWSStepFunctions.NoSuchThing"), b"{}");
    assert_eq!(status, 400);
    assert_eq!(ct, "application/x-amz-json-1.0");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["__type"],
        "com.amazonaws.swf.service.v2.model#UnknownOperationException"
    );

    let (status, _, _) = s.raw(None, b"{}");
    assert_eq!(status, 400);
}

#[test]
fn malformed_json_and_wrong_types_are_serialization_errors() {
    let s = TestServer::start();
    let (status, _, body) = s.raw(Some("AWSStepFunctions.CreateActivity"), b"{\"name\":");
    assert_eq!(status, 400);
    assert!(body.contains("SerializationException"), "{body}");
    let (code, _) = s.error("CreateActivity", json!({"name": 5}));
    assert_eq!(code, "SerializationException");
    let (code, msg) = s.error("DescribeStateMachine", json!({}));
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("Member must not be null"), "{msg}");
}

#[test]
fn invalid_arns_get_aws_messages() {
    let s = TestServer::start();
    let (code, msg) = s.error("DescribeStateMachine", json!({"stateMachineArn": "nope"}));
    assert_eq!(code, "InvalidArn");
    assert_eq!(msg, "Invalid Arn: 'Invalid ARN prefix: nope'");
    let (code, _) = s.error(
        "DescribeActivity",
        json!({"activityArn": common::machine_arn("x")}),
    );
    assert_eq!(code, "InvalidArn");
}

#[test]
fn many_concurrent_requests_are_all_answered() {
    let s = std::sync::Arc::new(TestServer::start());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            std::thread::spawn(move || {
                for j in 0..10 {
                    s.call("CreateActivity", json!({"name": format!("a{i}-{j}")}))
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let v = s
        .call("ListActivities", json!({"maxResults": 1000}))
        .unwrap();
    assert_eq!(v["activities"].as_array().unwrap().len(), 80);
}
