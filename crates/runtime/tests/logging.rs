//! Execution logging: Express executions write their history events as
//! CloudWatch-style log records to `<data dir>/logs/<log group>.jsonl`, filtered
//! by the machine's level, with payloads only when `includeExecutionData`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use serde_json::Value;
use store::{MachineType, StateMachine, Store};

const DEF: &str = r#"{"StartAt":"P","States":{
  "P":{"Type":"Pass","Result":{"v":1},"Next":"C"},
  "C":{"Type":"Choice","Choices":[{"Variable":"$.v","NumericEquals":2,"Next":"P"}],"Default":"F"},
  "F":{"Type":"Fail","Error":"Bad","Cause":"it failed"}}}"#;

const OK: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":1},"End":true}}}"#;

fn create_logged(
    store: &dyn Store,
    name: &str,
    definition: &str,
    level: &str,
    data: bool,
) -> String {
    let arn = machine_arn(name);
    let logging = serde_json::json!({
        "level": level,
        "includeExecutionData": data,
        "destinations": [{"cloudWatchLogsLogGroup": {
            "logGroupArn": format!("arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/{name}:*")
        }}]
    });
    store
        .create_state_machine(StateMachine {
            arn: arn.clone(),
            name: name.to_string(),
            machine_type: MachineType::Express,
            definition: definition.to_string(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            description: None,
            created_at: 1,
            revision_id: format!("rev-{name}"),
            logging_configuration: Some(logging.to_string()),
            tracing_configuration: None,
        })
        .unwrap();
    arn
}

/// The records of a log group, once `want` of them have arrived.
async fn records(dir: &Path, name: &str, want: usize) -> Vec<Value> {
    let path = dir
        .join("logs")
        .join(format!("_aws_vendedlogs_{name}.jsonl"));
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let lines: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            if lines.len() >= want {
                return lines;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {want} records in {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_all_logs_every_event_with_data() {
    let (dir, store, rt) = setup().await;
    let sm = create_logged(&*store, "all", OK, "ALL", true);
    let r = rt
        .start_sync_execution(start_req(&sm, None, r#"{"in":true}"#))
        .await
        .unwrap();
    assert_eq!(r.status, "SUCCEEDED");
    let recs = records(dir.path(), "all", 4).await;
    let types: Vec<&str> = recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let first = &recs[0];
    assert_eq!(first["id"], "1");
    assert_eq!(first["previous_event_id"], "0");
    assert_eq!(first["execution_arn"], r.execution_arn.as_str());
    assert!(
        first["event_timestamp"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .is_ok()
    );
    assert_eq!(first["details"]["input"], r#"{"in":true}"#);
    assert_eq!(recs[3]["details"]["output"], r#"{"v":1}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_error_logs_only_failures_and_data_can_be_left_out() {
    let (dir, store, rt) = setup().await;
    let sm = create_logged(&*store, "errors", DEF, "ERROR", false);
    let r = rt
        .start_sync_execution(start_req(&sm, None, "{}"))
        .await
        .unwrap();
    assert_eq!(r.status, "FAILED");
    let ok = create_logged(&*store, "errors-ok", OK, "ERROR", false);
    rt.start_sync_execution(start_req(&ok, None, "{}"))
        .await
        .unwrap();
    let recs = records(dir.path(), "errors", 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let recs_again = records(dir.path(), "errors", 1).await;
    assert_eq!(recs.len(), recs_again.len());
    let types: Vec<&str> = recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ExecutionFailed"]);
    assert_eq!(recs[0]["details"]["error"], "Bad");
    // A succeeded execution at level ERROR writes nothing.
    assert!(
        !dir.path()
            .join("logs/_aws_vendedlogs_errors-ok.jsonl")
            .exists()
    );

    let sm = create_logged(&*store, "nodata", OK, "ALL", false);
    rt.start_sync_execution(start_req(&sm, None, r#"{"secret":1}"#))
        .await
        .unwrap();
    let recs = records(dir.path(), "nodata", 4).await;
    for r in &recs {
        let d = r["details"].as_object().unwrap();
        assert!(!d.contains_key("input") && !d.contains_key("output"), "{r}");
    }
    assert_eq!(recs[1]["details"]["name"], "P");
}
