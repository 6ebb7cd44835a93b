//! A distributed Map's `ResultWriter`: instead of returning every child's
//! result in the state's output, the map run writes them to S3, as AWS does —
//! `<Prefix>/<map run id>/SUCCEEDED_0.json` and `FAILED_0.json` (one record
//! per child execution: ARN, name, input, output or error and cause, dates,
//! status) and a `manifest.json` listing them — and the state's result is
//! `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}` (the manifest's
//! key). The writes are `s3:putObject` commands recorded in no history event;
//! a write that fails is `States.ResultWriterFailed`.

use serde_json::{Map, Value, json};

use crate::time::format_timestamp;

pub(crate) const WRITER_FAILED: &str = "States.ResultWriterFailed";

/// Writes are numbered apart from event ids and from reads.
const WRITER_TASK_BIT: u64 = 1 << 61;

const PUT_OBJECT: &str = "arn:aws:states:::s3:putObject";

/// How a child execution ended: its output text, or its error and cause.
type ChildOutcome = Result<String, (Option<String>, Option<String>)>;

/// One child execution as the result files record it.
#[derive(Debug, Default, Clone)]
struct Child {
    name: String,
    input: String,
    start: i64,
    stop: i64,
    outcome: Option<ChildOutcome>,
}

#[derive(Debug)]
pub(crate) struct Writer {
    bucket: String,
    prefix: String,
    map_run_arn: String,
    run_id: String,
    /// `…:stateMachine:<machine>/<label>`: the children's machine.
    child_machine_arn: String,
    /// `…:execution:<machine>/<label>`: the children's ARNs are this plus `:<name>`.
    child_execution_prefix: String,
    children: Vec<Child>,
    /// Writes sent and not yet answered.
    pub pending: Vec<u64>,
    /// Set once every write succeeded.
    pub written: bool,
}

impl Writer {
    /// `parameters` are the evaluated `Parameters` (or `Arguments`): `Bucket`
    /// and an optional `Prefix`. The cause of a `States.ResultWriterFailed`
    /// when they name no bucket.
    pub(crate) fn new(
        resource: Option<&str>,
        parameters: &Value,
        map_run_arn: &str,
        machine_arn: &str,
        label: &str,
        count: usize,
    ) -> Result<Writer, String> {
        if resource != Some(PUT_OBJECT) {
            return Err(format!(
                "Unsupported ResultWriter resource: '{}'. Use {PUT_OBJECT}.",
                resource.unwrap_or("")
            ));
        }
        let bucket = parameters
            .get("Bucket")
            .and_then(Value::as_str)
            .filter(|b| !b.is_empty())
            .ok_or("The ResultWriter's Parameters must name a Bucket.")?;
        let prefix = parameters
            .get("Prefix")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        let run_id = map_run_arn.rsplit(':').next().unwrap_or("").to_string();
        let child_machine_arn = format!("{machine_arn}/{label}");
        let child_execution_prefix = child_machine_arn.replacen(":stateMachine:", ":execution:", 1);
        Ok(Writer {
            bucket: bucket.to_string(),
            prefix,
            map_run_arn: map_run_arn.to_string(),
            run_id,
            child_machine_arn,
            child_execution_prefix,
            children: vec![Child::default(); count],
            pending: Vec::new(),
            written: false,
        })
    }

    /// Sizes the records for `count` items (known once an `ItemReader` has read).
    pub(crate) fn resize(&mut self, count: usize) {
        self.children.resize(count, Child::default());
    }

    pub(crate) fn started(&mut self, index: usize, name: String, input: &Value, now: i64) {
        if let Some(c) = self.children.get_mut(index) {
            c.name = name;
            c.input = input.to_string();
            c.start = now;
        }
    }

    pub(crate) fn succeeded(&mut self, index: usize, output: &Value, now: i64) {
        if let Some(c) = self.children.get_mut(index) {
            c.outcome = Some(Ok(output.to_string()));
            c.stop = now;
        }
    }

    pub(crate) fn failed(
        &mut self,
        index: usize,
        error: Option<String>,
        cause: Option<String>,
        now: i64,
    ) {
        if let Some(c) = self.children.get_mut(index) {
            c.outcome = Some(Err((error, cause)));
            c.stop = now;
        }
    }

    fn key(&self, file: &str) -> String {
        if self.prefix.is_empty() {
            format!("{}/{file}", self.run_id)
        } else {
            format!("{}/{}/{file}", self.prefix, self.run_id)
        }
    }

    fn record(&self, c: &Child) -> Value {
        let mut r = Map::new();
        r.insert(
            "ExecutionArn".into(),
            json!(format!("{}:{}", self.child_execution_prefix, c.name)),
        );
        r.insert("Input".into(), json!(c.input));
        r.insert("InputDetails".into(), json!({"Included": true}));
        r.insert("Name".into(), json!(c.name));
        let status = match &c.outcome {
            Some(Ok(output)) => {
                r.insert("Output".into(), json!(output));
                r.insert("OutputDetails".into(), json!({"Included": true}));
                "SUCCEEDED"
            }
            Some(Err((error, cause))) => {
                if let Some(e) = error {
                    r.insert("Error".into(), json!(e));
                }
                if let Some(c) = cause {
                    r.insert("Cause".into(), json!(c));
                }
                "FAILED"
            }
            None => "ABORTED",
        };
        r.insert("RedriveCount".into(), json!(0));
        r.insert("RedriveStatus".into(), json!("NOT_REDRIVABLE"));
        r.insert(
            "RedriveStatusReason".into(),
            json!(format!("Execution is {status} and cannot be redriven")),
        );
        r.insert("StartDate".into(), json!(format_timestamp(c.start)));
        r.insert("StateMachineArn".into(), json!(self.child_machine_arn));
        r.insert("Status".into(), json!(status));
        r.insert("StopDate".into(), json!(format_timestamp(c.stop)));
        Value::Object(r)
    }

    /// The `s3:putObject` requests (task number, parameters) that write the
    /// results and the manifest; `first_task` numbers them.
    pub(crate) fn writes(&mut self, first_task: u64) -> Vec<(u64, &'static str, Value)> {
        let (succeeded, failed): (Vec<&Child>, Vec<&Child>) = self
            .children
            .iter()
            .filter(|c| c.outcome.is_some())
            .partition(|c| matches!(c.outcome, Some(Ok(_))));
        let mut files = Map::new();
        let mut puts = Vec::new();
        for (status, children) in [
            ("FAILED", failed),
            ("PENDING", Vec::new()),
            ("SUCCEEDED", succeeded),
        ] {
            let mut listed = Vec::new();
            if !children.is_empty() {
                let key = self.key(&format!("{status}_0.json"));
                let body =
                    Value::Array(children.iter().map(|c| self.record(c)).collect()).to_string();
                listed.push(json!({"Key": key, "Size": body.len()}));
                puts.push((key, body));
            }
            files.insert(status.into(), Value::Array(listed));
        }
        let manifest = json!({
            "DestinationBucket": self.bucket,
            "MapRunArn": self.map_run_arn,
            "ResultFiles": files,
        });
        puts.push((self.key("manifest.json"), manifest.to_string()));
        let requests: Vec<(u64, &'static str, Value)> = puts
            .into_iter()
            .enumerate()
            .map(|(i, (key, body))| {
                (
                    WRITER_TASK_BIT | (first_task + i as u64),
                    PUT_OBJECT,
                    json!({"Bucket": self.bucket, "Key": key, "Body": body}),
                )
            })
            .collect();
        self.pending = requests.iter().map(|(t, _, _)| *t).collect();
        requests
    }

    /// The state's result once the files are written.
    pub(crate) fn result(&self) -> Value {
        json!({
            "MapRunArn": self.map_run_arn,
            "ResultWriterDetails": {"Bucket": self.bucket, "Key": self.key("manifest.json")},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "arn:aws:states:us-east-1:1:mapRun:m/L:5f1d";

    #[test]
    fn files_records_and_manifest() {
        let mut w = Writer::new(
            Some(PUT_OBJECT),
            &json!({"Bucket": "out", "Prefix": "jobs/"}),
            RUN,
            "arn:aws:states:us-east-1:1:stateMachine:m",
            "L",
            3,
        )
        .unwrap();
        w.started(0, "c0".into(), &json!({"i": 0}), 1_000);
        w.succeeded(0, &json!("ok"), 1_500);
        w.started(1, "c1".into(), &json!({"i": 1}), 1_000);
        w.failed(1, Some("Boom".into()), Some("why".into()), 2_000);
        w.started(2, "c2".into(), &json!({"i": 2}), 1_100);
        w.succeeded(2, &json!({"v": 2}), 1_200);
        let writes = w.writes(10);
        assert_eq!(writes.len(), 3);
        assert_eq!(
            w.pending,
            [
                WRITER_TASK_BIT | 10,
                WRITER_TASK_BIT | 11,
                WRITER_TASK_BIT | 12
            ]
        );
        let keys: Vec<&str> = writes
            .iter()
            .map(|(_, _, p)| p["Key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "jobs/5f1d/FAILED_0.json",
                "jobs/5f1d/SUCCEEDED_0.json",
                "jobs/5f1d/manifest.json"
            ]
        );
        let succeeded: Value = serde_json::from_str(writes[1].2["Body"].as_str().unwrap()).unwrap();
        assert_eq!(succeeded.as_array().unwrap().len(), 2);
        assert_eq!(
            succeeded[0],
            json!({
                "ExecutionArn": "arn:aws:states:us-east-1:1:execution:m/L:c0",
                "Input": "{\"i\":0}", "InputDetails": {"Included": true}, "Name": "c0",
                "Output": "\"ok\"", "OutputDetails": {"Included": true},
                "RedriveCount": 0, "RedriveStatus": "NOT_REDRIVABLE",
                "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
                "StartDate": "1970-01-01T00:00:01.000Z",
                "StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:m/L",
                "Status": "SUCCEEDED", "StopDate": "1970-01-01T00:00:01.500Z"})
        );
        let failed: Value = serde_json::from_str(writes[0].2["Body"].as_str().unwrap()).unwrap();
        assert_eq!(failed[0]["Error"], "Boom");
        assert_eq!(failed[0]["Cause"], "why");
        assert_eq!(failed[0]["Status"], "FAILED");
        let manifest: Value = serde_json::from_str(writes[2].2["Body"].as_str().unwrap()).unwrap();
        assert_eq!(manifest["DestinationBucket"], "out");
        assert_eq!(manifest["MapRunArn"], RUN);
        assert_eq!(manifest["ResultFiles"]["PENDING"], json!([]));
        assert_eq!(
            manifest["ResultFiles"]["SUCCEEDED"],
            json!([{"Key": "jobs/5f1d/SUCCEEDED_0.json",
                    "Size": writes[1].2["Body"].as_str().unwrap().len()}])
        );
        assert_eq!(
            w.result(),
            json!({"MapRunArn": RUN,
                   "ResultWriterDetails": {"Bucket": "out", "Key": "jobs/5f1d/manifest.json"}})
        );
    }

    #[test]
    fn a_bucket_and_the_put_object_resource_are_required() {
        let new = |resource, params: Value| {
            Writer::new(resource, &params, RUN, "arn:m", "L", 0).map(|_| ())
        };
        assert!(
            new(Some(PUT_OBJECT), json!({"Prefix": "p"}))
                .unwrap_err()
                .contains("Bucket")
        );
        assert!(
            new(
                Some("arn:aws:states:::s3:getObject"),
                json!({"Bucket": "b"})
            )
            .unwrap_err()
            .contains("getObject")
        );
        assert!(new(Some(PUT_OBJECT), json!({"Bucket": "b"})).is_ok());
    }
}
