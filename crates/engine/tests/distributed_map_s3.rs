//! A distributed Map's `ItemReader` and `ResultWriter` through the engine's
//! public interface: the reads and writes it asks for (served here by an
//! in-memory bucket standing in for S3), the items it makes of what it read,
//! the files it writes, the history it records, and its failures.

mod common;

use std::collections::HashMap;

use engine::simulate::{self, Invoker, TaskOutcome, VirtualClock};
use engine::{HistoryEvent, Limits, Plan, Status, TaskRequest};
use serde_json::{Value, json};

/// Objects by key; `listObjectsV2` answers two keys per page.
#[derive(Default)]
struct Bucket {
    objects: HashMap<String, String>,
    requests: Vec<(String, Value)>,
}

impl Invoker for Bucket {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome {
        self.requests
            .push((request.resource.clone(), request.parameters.clone()));
        let p = &request.parameters;
        match request.resource.as_str() {
            "arn:aws:states:::s3:getObject" => {
                let key = p["Key"].as_str().unwrap_or_default();
                match self.objects.get(key) {
                    Some(body) => {
                        TaskOutcome::Succeeded(json!({"Body": body, "ContentLength": body.len()}))
                    }
                    None => TaskOutcome::Failed {
                        error: Some("S3.NoSuchKeyException".into()),
                        cause: Some(format!("The specified key does not exist. (Key: {key})")),
                    },
                }
            }
            "arn:aws:states:::s3:putObject" => {
                let key = p["Key"].as_str().unwrap_or_default().to_string();
                if p["Bucket"] == "read-only" {
                    return TaskOutcome::Failed {
                        error: Some("S3.AccessDeniedException".into()),
                        cause: Some("Access Denied".into()),
                    };
                }
                self.objects
                    .insert(key, p["Body"].as_str().unwrap_or_default().to_string());
                TaskOutcome::Succeeded(json!({"ETag": "\"etag\""}))
            }
            "arn:aws:states:::aws-sdk:s3:listObjectsV2" => {
                let mut keys: Vec<&String> = self.objects.keys().collect();
                keys.sort();
                let start: usize = p["ContinuationToken"]
                    .as_str()
                    .map_or(0, |t| t.parse().unwrap());
                let page: Vec<Value> = keys
                    .iter()
                    .skip(start)
                    .take(2)
                    .map(|k| {
                        json!({"Key": k, "ETag": "\"etag\"", "Size": self.objects[*k].len(),
                               "LastModified": "2024-01-01T00:00:10.000Z", "StorageClass": "STANDARD"})
                    })
                    .collect();
                let more = start + 2 < keys.len();
                let mut out = json!({"Contents": page, "IsTruncated": more, "Name": p["Bucket"]});
                if more {
                    out["NextContinuationToken"] = json!((start + 2).to_string());
                }
                TaskOutcome::Succeeded(out)
            }
            other => TaskOutcome::Failed {
                error: Some("Test.Unexpected".into()),
                cause: Some(other.into()),
            },
        }
    }
}

fn bucket(objects: &[(&str, &str)]) -> Bucket {
    Bucket {
        objects: objects
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        requests: Vec::new(),
    }
}

fn map_with_reader(reader: Value) -> Value {
    json!({"StartAt": "Read", "States": {"Read": {
        "Type": "Map",
        "ItemReader": reader,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}},
        "End": true}}})
}

fn run(definition: &Value, input: Value, s3: &mut Bucket) -> (Status, Vec<HistoryEvent>) {
    let (def, diags) = asl::parse(&definition.to_string());
    assert!(diags.is_empty(), "{diags:?}");
    let out = simulate::run(
        Plan::new(def.expect("valid")),
        common::info(),
        input,
        Limits::default(),
        &mut VirtualClock(common::T0),
        s3,
        true,
    );
    (out.status, out.history)
}

fn output(status: &Status) -> Value {
    match status {
        Status::Succeeded { output } => (**output).clone(),
        other => panic!("expected success, got {other:?}"),
    }
}

/// The error and cause of a failed execution.
fn failure(status: &Status) -> (String, String) {
    match status {
        Status::Failed(d) => (
            d.error.clone().unwrap_or_default(),
            d.cause.clone().unwrap_or_default(),
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn types(history: &[HistoryEvent]) -> Vec<String> {
    history.iter().map(|e| e.type_name()).collect()
}

#[test]
fn a_json_object_is_read_with_parameters_from_the_input() {
    let mut s3 = bucket(&[("in/items.json", r#"[{"id": 1}, {"id": 2}, {"id": 3}]"#)]);
    let def = map_with_reader(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON", "MaxItemsPath": "$.limit"},
        "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"}}));
    let (status, history) = run(
        &def,
        json!({"bucket": "b", "key": "in/items.json", "limit": 2}),
        &mut s3,
    );
    assert_eq!(output(&status), json!([{"id": 1}, {"id": 2}]));
    assert_eq!(
        s3.requests,
        vec![(
            "arn:aws:states:::s3:getObject".to_string(),
            json!({"Bucket": "b", "Key": "in/items.json"})
        )]
    );
    // The read itself is in no event, as AWS records a distributed Map.
    assert_eq!(
        types(&history),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn csv_jsonl_and_batches() {
    let mut s3 = bucket(&[
        ("t.csv", "name|qty\r\nbolt|3\r\nnut|\"1|2\"\r\n"),
        ("t.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"),
    ]);
    let csv = map_with_reader(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "PIPE"},
        "Parameters": {"Bucket": "b", "Key": "t.csv"}}));
    let (status, _) = run(&csv, json!({}), &mut s3);
    assert_eq!(
        output(&status),
        json!([{"name": "bolt", "qty": "3"}, {"name": "nut", "qty": "1|2"}])
    );

    let mut jsonl = map_with_reader(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSONL"},
        "Parameters": {"Bucket": "b", "Key": "t.jsonl"}}));
    jsonl["States"]["Read"]["ItemBatcher"] = json!({"MaxItemsPerBatch": 2});
    let (status, _) = run(&jsonl, json!({}), &mut s3);
    assert_eq!(
        output(&status),
        json!([{"Items": [{"a": 1}, {"a": 2}]}, {"Items": [{"a": 3}]}])
    );
}

#[test]
fn a_listing_is_read_page_by_page() {
    let mut s3 = bucket(&[
        ("a", "1"),
        ("b", "22"),
        ("c", "333"),
        ("d", "4444"),
        ("e", "5"),
    ]);
    let def = map_with_reader(json!({
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": "b", "Prefix": ""}}));
    let (status, _) = run(&def, json!({}), &mut s3);
    let items = output(&status);
    let keys: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["a", "b", "c", "d", "e"]);
    assert_eq!(
        items[3],
        json!({"Etag": "\"etag\"", "Key": "d", "LastModified": 1704067210, "Size": 4,
               "StorageClass": "STANDARD"})
    );
    let tokens: Vec<&Value> = s3
        .requests
        .iter()
        .map(|(_, p)| &p["ContinuationToken"])
        .collect();
    assert_eq!(tokens, [&Value::Null, &json!("2"), &json!("4")]);
}

#[test]
fn reader_failures_are_item_reader_failed_and_can_be_caught() {
    let mut s3 = bucket(&[("obj.json", r#"{"not": "a list"}"#)]);
    let def = map_with_reader(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": "b", "Key": "obj.json"}}));
    let (status, history) = run(&def, json!({}), &mut s3);
    assert_eq!(
        failure(&status),
        (
            "States.ItemReaderFailed".to_string(),
            "Attempting to map over non-iterable node.".to_string()
        )
    );
    assert_eq!(
        types(&history)[2..],
        [
            "MapStateStarted",
            "MapRunStarted",
            "MapRunFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );

    // A missing object fails the read; Catch takes it like any error.
    let mut def = map_with_reader(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a"]},
        "Parameters": {"Bucket": "b", "Key": "missing.csv"}}));
    def["States"]["Read"]["Catch"] =
        json!([{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}]);
    def["States"]["Caught"] = json!({"Type": "Pass", "End": true});
    let (status, _) = run(&def, json!({}), &mut s3);
    let out = output(&status);
    assert_eq!(out["Error"], "States.ItemReaderFailed");
    assert!(
        out["Cause"].as_str().unwrap().starts_with(
            "S3.NoSuchKeyException: The specified key does not exist. (Key: missing.csv"
        ),
        "{out}"
    );

    // A format Stepwise cannot read says so.
    let def = map_with_reader(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "PARQUET"},
        "Parameters": {"Bucket": "b", "Key": "x"}}));
    let (status, _) = run(&def, json!({}), &mut s3);
    let (error, cause) = failure(&status);
    assert_eq!(error, "States.ItemReaderFailed");
    assert!(cause.contains("PARQUET"), "{cause}");
}

#[test]
fn jsonata_arguments_and_max_items() {
    let mut s3 = bucket(&[("k.json", "[1, 2, 3, 4]")]);
    let mut def = map_with_reader(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.n %}"},
        "Arguments": {"Bucket": "b", "Key": "{% $states.input.key %}"}}));
    def["QueryLanguage"] = json!("JSONata");
    let (status, _) = run(&def, json!({"key": "k.json", "n": 3}), &mut s3);
    assert_eq!(output(&status), json!([1, 2, 3]));
}

fn writer_map(bucket: &str) -> Value {
    json!({"StartAt": "Each", "States": {
        "Each": {
            "Type": "Map",
            "Label": "Jobs",
            "ItemSelector": {"n.$": "$$.Map.Item.Value"},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Check", "States": {
                    "Check": {"Type": "Choice",
                              "Choices": [{"Variable": "$.n", "NumericEquals": 2, "Next": "Bad"}],
                              "Default": "Good"},
                    "Bad": {"Type": "Fail", "Error": "Odd", "Cause": "two is bad"},
                    "Good": {"Type": "Pass", "End": true}}},
            "ItemsPath": "$.items",
            "ToleratedFailureCount": 1,
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                             "Parameters": {"Bucket": bucket, "Prefix.$": "$.prefix"}},
            "End": true}}})
}

#[test]
fn results_are_written_to_s3_and_the_output_names_the_manifest() {
    let def = writer_map("out");
    let mut s3 = Bucket::default();
    let (status, history) = run(&def, json!({"prefix": "runs", "items": [1, 2, 3]}), &mut s3);
    let out = output(&status);
    let run_arn = out["MapRunArn"].as_str().unwrap().to_string();
    assert!(
        run_arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:m/Jobs:"),
        "{run_arn}"
    );
    let run_id = run_arn.rsplit(':').next().unwrap();
    let manifest_key = format!("runs/{run_id}/manifest.json");
    assert_eq!(
        out["ResultWriterDetails"],
        json!({"Bucket": "out", "Key": manifest_key})
    );
    // The writes, like the reads, are in no event.
    assert_eq!(
        types(&history)[2..],
        [
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    let manifest: Value = serde_json::from_str(&s3.objects[&manifest_key]).unwrap();
    assert_eq!(manifest["DestinationBucket"], "out");
    assert_eq!(manifest["MapRunArn"], run_arn.as_str());
    let succeeded_key = format!("runs/{run_id}/SUCCEEDED_0.json");
    let failed_key = format!("runs/{run_id}/FAILED_0.json");
    assert_eq!(
        manifest["ResultFiles"],
        json!({
            "FAILED": [{"Key": failed_key, "Size": s3.objects[&failed_key].len()}],
            "PENDING": [],
            "SUCCEEDED": [{"Key": succeeded_key, "Size": s3.objects[&succeeded_key].len()}]})
    );
    let succeeded: Value = serde_json::from_str(&s3.objects[&succeeded_key]).unwrap();
    let inputs: Vec<&str> = succeeded
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Input"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, [r#"{"n":1}"#, r#"{"n":3}"#]);
    let first = &succeeded[0];
    assert_eq!(first["Output"], r#"{"n":1}"#);
    assert_eq!(first["Status"], "SUCCEEDED");
    assert_eq!(
        first["StateMachineArn"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:m/Jobs"
    );
    let name = first["Name"].as_str().unwrap();
    assert_eq!(
        first["ExecutionArn"],
        json!(format!(
            "arn:aws:states:us-east-1:123456789012:execution:m/Jobs:{name}"
        ))
    );
    let failed: Value = serde_json::from_str(&s3.objects[&failed_key]).unwrap();
    assert_eq!(failed[0]["Input"], r#"{"n":2}"#);
    assert_eq!(failed[0]["Error"], "Odd");
    assert_eq!(failed[0]["Cause"], "two is bad");
    assert_eq!(failed[0]["Status"], "FAILED");
}

#[test]
fn a_failed_write_is_result_writer_failed() {
    let def = writer_map("read-only");
    let mut s3 = Bucket::default();
    let (status, history) = run(&def, json!({"prefix": "p", "items": [1]}), &mut s3);
    assert_eq!(
        failure(&status),
        (
            "States.ResultWriterFailed".to_string(),
            "S3.AccessDeniedException: Access Denied".to_string()
        )
    );
    assert!(types(&history).contains(&"MapRunFailed".to_string()));
}
