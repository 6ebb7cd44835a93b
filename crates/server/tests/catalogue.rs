//! State machines, versions, aliases, tags and activities through the API.

mod common;

use common::{ROLE, TestServer, machine_arn, pass_definition};
use serde_json::json;

fn create(s: &TestServer, name: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut req = json!({"name": name, "definition": pass_definition("a"), "roleArn": ROLE});
    if let serde_json::Value::Object(m) = extra {
        req.as_object_mut().unwrap().extend(m);
    }
    s.call("CreateStateMachine", req).unwrap()
}

#[test]
fn create_describe_update_delete() {
    let s = TestServer::start();
    let out = create(&s, "m1", json!({}));
    assert_eq!(out["stateMachineArn"], machine_arn("m1"));
    assert!(out["creationDate"].is_f64());
    // Exactly the same request again: the same machine.
    let again = create(&s, "m1", json!({}));
    assert_eq!(again["creationDate"], out["creationDate"]);
    // Another definition under that name: AlreadyExists.
    let (code, msg) = s.error(
        "CreateStateMachine",
        json!({"name": "m1", "definition": pass_definition("b"), "roleArn": ROLE}),
    );
    assert_eq!(code, "StateMachineAlreadyExists");
    assert_eq!(
        msg,
        format!("State Machine Already Exists: '{}'", machine_arn("m1"))
    );

    let d = s
        .call(
            "DescribeStateMachine",
            json!({"stateMachineArn": machine_arn("m1")}),
        )
        .unwrap();
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(d["type"], "STANDARD");
    assert_eq!(d["definition"], pass_definition("a"));
    assert_eq!(
        d["loggingConfiguration"],
        json!({"level": "OFF", "includeExecutionData": false})
    );
    assert!(d.get("revisionId").is_none());

    let u = s
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine_arn("m1"), "definition": pass_definition("c")}),
        )
        .unwrap();
    let rev = u["revisionId"].as_str().unwrap().to_string();
    let same = s
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine_arn("m1"), "definition": pass_definition("c")}),
        )
        .unwrap();
    assert_eq!(same["revisionId"], rev.as_str());
    let (code, _) = s.error(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine_arn("m1")}),
    );
    assert_eq!(code, "MissingRequiredParameter");

    let (code, msg) = s.error(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine_arn("m1"), "definition": "{\"StartAt\":\"X\"}"}),
    );
    assert_eq!(code, "InvalidDefinition");
    assert!(
        msg.starts_with("Invalid State Machine Definition: '"),
        "{msg}"
    );

    s.call(
        "DeleteStateMachine",
        json!({"stateMachineArn": machine_arn("m1")}),
    )
    .unwrap();
    let (code, _) = s.error(
        "DescribeStateMachine",
        json!({"stateMachineArn": machine_arn("m1")}),
    );
    assert_eq!(code, "StateMachineDoesNotExist");
}

#[test]
fn list_state_machines_pages() {
    let s = TestServer::start();
    for i in 0..5 {
        create(&s, &format!("m{i}"), json!({}));
    }
    let p1 = s
        .call("ListStateMachines", json!({"maxResults": 2}))
        .unwrap();
    assert_eq!(p1["stateMachines"].as_array().unwrap().len(), 2);
    let token = p1["nextToken"].as_str().unwrap();
    let p2 = s
        .call(
            "ListStateMachines",
            json!({"maxResults": 10, "nextToken": token}),
        )
        .unwrap();
    assert_eq!(p2["stateMachines"].as_array().unwrap().len(), 3);
    assert!(p2.get("nextToken").is_none());
    let (code, _) = s.error("ListStateMachines", json!({"nextToken": "garbage"}));
    assert_eq!(code, "InvalidToken");
    let (code, _) = s.error("ListStateMachines", json!({"maxResults": 1001}));
    assert_eq!(code, "ValidationException");
}

#[test]
fn versions_and_aliases() {
    let s = TestServer::start();
    let out = create(
        &s,
        "v",
        json!({"publish": true, "versionDescription": "first"}),
    );
    let v1 = out["stateMachineVersionArn"].as_str().unwrap().to_string();
    assert_eq!(v1, format!("{}:1", machine_arn("v")));
    let d = s
        .call("DescribeStateMachine", json!({"stateMachineArn": v1}))
        .unwrap();
    assert_eq!(d["description"], "first");
    // Publishing the unchanged revision returns version 1 again.
    let p = s
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": machine_arn("v")}),
        )
        .unwrap();
    assert_eq!(p["stateMachineVersionArn"], v1.as_str());
    let u = s
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": machine_arn("v"), "definition": pass_definition("z"), "publish": true}),
        )
        .unwrap();
    let v2 = u["stateMachineVersionArn"].as_str().unwrap().to_string();
    assert!(v2.ends_with(":2"));

    let a = s
        .call(
            "CreateStateMachineAlias",
            json!({"name": "prod", "routingConfiguration": [
                {"stateMachineVersionArn": v1, "weight": 50},
                {"stateMachineVersionArn": v2, "weight": 50}]}),
        )
        .unwrap();
    let alias = a["stateMachineAliasArn"].as_str().unwrap().to_string();
    assert_eq!(alias, format!("{}:prod", machine_arn("v")));
    let (code, msg) = s.error(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v1}),
    );
    assert_eq!(code, "ConflictException");
    assert!(msg.ends_with("[prod]"), "{msg}");
    let (code, _) = s.error(
        "CreateStateMachineAlias",
        json!({"name": "prod", "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
    );
    assert_eq!(code, "ConflictException");
    s.call(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias, "routingConfiguration": [{"stateMachineVersionArn": v2, "weight": 100}]}),
    )
    .unwrap();
    let d = s
        .call(
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        )
        .unwrap();
    assert_eq!(d["routingConfiguration"][0]["weight"], 100);
    s.call(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v1}),
    )
    .unwrap();
    let l = s
        .call(
            "ListStateMachineVersions",
            json!({"stateMachineArn": machine_arn("v")}),
        )
        .unwrap();
    assert_eq!(l["stateMachineVersions"].as_array().unwrap().len(), 1);
    let l = s
        .call(
            "ListStateMachineAliases",
            json!({"stateMachineArn": machine_arn("v")}),
        )
        .unwrap();
    assert_eq!(l["stateMachineAliases"].as_array().unwrap().len(), 1);
    s.call(
        "DeleteStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    )
    .unwrap();
    let (code, _) = s.error(
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    );
    assert_eq!(code, "ResourceNotFound");
}

#[test]
fn tags_and_activities() {
    let s = TestServer::start();
    create(&s, "t", json!({"tags": [{"key": "a", "value": "1"}]}));
    let arn = machine_arn("t");
    s.call(
        "TagResource",
        json!({"resourceArn": arn, "tags": [{"key": "b", "value": "2"}]}),
    )
    .unwrap();
    s.call(
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["a"]}),
    )
    .unwrap();
    let t = s
        .call("ListTagsForResource", json!({"resourceArn": arn}))
        .unwrap();
    assert_eq!(t["tags"], json!([{"key": "b", "value": "2"}]));
    let (code, _) = s.error(
        "ListTagsForResource",
        json!({"resourceArn": machine_arn("nope")}),
    );
    assert_eq!(code, "ResourceNotFound");

    let (code, msg) = s.error("CreateActivity", json!({"name": "a b"}));
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidName", "Invalid Name: 'a b'")
    );
    let a = s.call("CreateActivity", json!({"name": "work"})).unwrap();
    let arn = a["activityArn"].as_str().unwrap().to_string();
    let d = s
        .call("DescribeActivity", json!({"activityArn": arn}))
        .unwrap();
    assert_eq!(d["name"], "work");
    s.call("DeleteActivity", json!({"activityArn": arn}))
        .unwrap();
    let (code, _) = s.error("DescribeActivity", json!({"activityArn": arn}));
    assert_eq!(code, "ActivityDoesNotExist");
}

#[test]
fn validate_definition_reports_diagnostics() {
    let s = TestServer::start();
    let ok = s
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": pass_definition("x")}),
        )
        .unwrap();
    assert_eq!(
        ok,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
    let bad = s
        .call(
            "ValidateStateMachineDefinition",
            json!({"definition": "{\"States\":{}}"}),
        )
        .unwrap();
    assert_eq!(bad["result"], "FAIL");
    assert_eq!(bad["diagnostics"][0]["code"], "SCHEMA_VALIDATION_FAILED");
}
