//! StartSyncExecution resolves an Express machine once and keeps it; an update
//! or a delete through the API is seen by the very next request.

mod common;

use common::{ROLE, TestServer, machine_arn, pass_definition};
use serde_json::json;

fn sync_output(s: &TestServer) -> String {
    let r = s
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": machine_arn("cached"), "input": "{}"}),
        )
        .unwrap();
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    r["output"].as_str().unwrap().to_string()
}

#[test]
fn updates_and_deletes_reach_the_next_sync_execution() {
    let s = TestServer::start();
    s.call(
        "CreateStateMachine",
        json!({"name": "cached", "definition": pass_definition("one"), "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .unwrap();
    assert_eq!(sync_output(&s), "\"one\"");
    assert_eq!(sync_output(&s), "\"one\"");
    s.call(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine_arn("cached"), "definition": pass_definition("two")}),
    )
    .unwrap();
    assert_eq!(sync_output(&s), "\"two\"");
    s.call(
        "DeleteStateMachine",
        json!({"stateMachineArn": machine_arn("cached")}),
    )
    .unwrap();
    let (code, _) = s.error(
        "StartSyncExecution",
        json!({"stateMachineArn": machine_arn("cached"), "input": "{}"}),
    );
    assert_eq!(code, "StateMachineDoesNotExist");
}
