//! History events: the stored truth of an execution, with AWS's types and details.
//!
//! Architecture Invariant: these types are the stored schema. A change to them is a
//! migration; their JSON form is exactly what GetExecutionHistory lists.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::time::format_timestamp;

/// A JSON document carried by an event, shared with the interpreter's state so that
/// recording it costs no copy.
pub type Payload = Arc<Value>;

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    /// The causal predecessor in the same branch or iteration (0 for the first two).
    pub previous_event_id: u64,
    /// Milliseconds since the Unix epoch, from the clock the caller supplies.
    pub timestamp: i64,
    pub details: EventDetails,
    /// The execution input's original text, when this event's payload is still that
    /// input: AWS keeps the text verbatim (whitespace included) until a state
    /// transforms the value.
    pub verbatim: Option<Arc<str>>,
}

/// The state types as they appear in event type names (`PassStateEntered`).
pub type StateType = &'static str;

/// What happened, with the details AWS records for it.
#[derive(Debug, Clone, PartialEq)]
pub enum EventDetails {
    ExecutionStarted {
        input: Payload,
        role_arn: String,
        state_machine_alias_arn: Option<String>,
        state_machine_version_arn: Option<String>,
    },
    ExecutionSucceeded {
        output: Payload,
    },
    ExecutionFailed(ErrorDetails),
    ExecutionTimedOut(ErrorDetails),
    ExecutionAborted(ErrorDetails),
    /// RedriveExecution restarted a finished execution (its `redriveCount` after it).
    ExecutionRedriven {
        redrive_count: u32,
    },
    StateEntered {
        state_type: StateType,
        name: String,
        input: Payload,
    },
    StateExited {
        state_type: StateType,
        name: String,
        output: Payload,
        assigned_variables: Option<Map<String, Value>>,
    },
    /// `WaitStateAborted`, `TaskStateAborted`, … when a branch is cancelled.
    StateAborted {
        state_type: StateType,
    },
    TaskScheduled {
        resource: String,
        resource_type: String,
        region: String,
        parameters: Payload,
        timeout_in_seconds: Option<u64>,
        heartbeat_in_seconds: Option<u64>,
    },
    TaskStarted {
        resource: String,
        resource_type: String,
    },
    TaskSubmitted {
        resource: String,
        resource_type: String,
        output: Payload,
    },
    TaskSucceeded {
        resource: String,
        resource_type: String,
        output: Payload,
    },
    TaskFailed {
        resource: String,
        resource_type: String,
        error: ErrorDetails,
    },
    TaskTimedOut {
        resource: String,
        resource_type: String,
        error: ErrorDetails,
    },
    LambdaFunctionScheduled {
        resource: String,
        input: Payload,
        timeout_in_seconds: Option<u64>,
    },
    LambdaFunctionStarted,
    LambdaFunctionSucceeded {
        output: Payload,
    },
    LambdaFunctionFailed(ErrorDetails),
    LambdaFunctionTimedOut(ErrorDetails),
    ActivityScheduled {
        resource: String,
        input: Payload,
        timeout_in_seconds: Option<u64>,
        heartbeat_in_seconds: Option<u64>,
    },
    ActivityStarted {
        worker_name: Option<String>,
    },
    ActivitySucceeded {
        output: Payload,
    },
    ActivityFailed(ErrorDetails),
    ActivityTimedOut(ErrorDetails),
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateStarted {
        length: usize,
    },
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted {
        name: String,
        index: usize,
    },
    MapIterationSucceeded {
        name: String,
        index: usize,
    },
    MapIterationFailed {
        name: String,
        index: usize,
    },
    MapIterationAborted {
        name: String,
        index: usize,
    },
    MapRunStarted {
        map_run_arn: String,
    },
    MapRunSucceeded,
    MapRunFailed(ErrorDetails),
    /// A data-flow evaluation failed (AWS records it before the failure it causes).
    EvaluationFailed {
        error: String,
        cause: String,
        location: Option<String>,
        state: String,
    },
}

/// An error name and cause; either may be absent, and AWS omits absent keys.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorDetails {
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl ErrorDetails {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(c) = &self.cause {
            m.insert("cause".into(), Value::String(c.clone()));
        }
        if let Some(e) = &self.error {
            m.insert("error".into(), Value::String(e.clone()));
        }
        Value::Object(m)
    }
}

/// The JSON text of a payload, as AWS stores it.
pub fn payload_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

/// A value as AWS quotes it in messages and Fail fields: a string as itself,
/// anything else as JSON text.
pub fn display_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => payload_text(other),
    }
}

fn payload_json(key: &str, v: &Value) -> (String, Value) {
    (key.to_string(), Value::String(payload_text(v)))
}

impl EventDetails {
    /// The document this event carries, if any.
    pub fn payload(&self) -> Option<&Payload> {
        use EventDetails::*;
        match self {
            ExecutionStarted { input, .. } | StateEntered { input, .. } => Some(input),
            ExecutionSucceeded { output } | StateExited { output, .. } => Some(output),
            TaskScheduled { parameters, .. } => Some(parameters),
            LambdaFunctionScheduled { input, .. } | ActivityScheduled { input, .. } => Some(input),
            _ => None,
        }
    }
}

fn truncated(key: &str) -> (String, Value) {
    (key.to_string(), json!({"truncated": false}))
}

fn object<const N: usize>(fields: [(String, Value); N]) -> Value {
    Value::Object(fields.into_iter().collect())
}

fn opt_u64(m: &mut Map<String, Value>, key: &str, v: Option<u64>) {
    if let Some(v) = v {
        m.insert(key.to_string(), Value::from(v));
    }
}

impl HistoryEvent {
    /// The AWS event type name, e.g. `TaskStateEntered`.
    pub fn type_name(&self) -> String {
        use EventDetails::*;
        let s: &str = match &self.details {
            ExecutionStarted { .. } => "ExecutionStarted",
            ExecutionSucceeded { .. } => "ExecutionSucceeded",
            ExecutionFailed(_) => "ExecutionFailed",
            ExecutionTimedOut(_) => "ExecutionTimedOut",
            ExecutionAborted(_) => "ExecutionAborted",
            ExecutionRedriven { .. } => "ExecutionRedriven",
            StateEntered { state_type, .. } => return format!("{state_type}StateEntered"),
            StateExited { state_type, .. } => return format!("{state_type}StateExited"),
            StateAborted { state_type } => return format!("{state_type}StateAborted"),
            TaskScheduled { .. } => "TaskScheduled",
            TaskStarted { .. } => "TaskStarted",
            TaskSubmitted { .. } => "TaskSubmitted",
            TaskSucceeded { .. } => "TaskSucceeded",
            TaskFailed { .. } => "TaskFailed",
            TaskTimedOut { .. } => "TaskTimedOut",
            LambdaFunctionScheduled { .. } => "LambdaFunctionScheduled",
            LambdaFunctionStarted => "LambdaFunctionStarted",
            LambdaFunctionSucceeded { .. } => "LambdaFunctionSucceeded",
            LambdaFunctionFailed(_) => "LambdaFunctionFailed",
            LambdaFunctionTimedOut(_) => "LambdaFunctionTimedOut",
            ActivityScheduled { .. } => "ActivityScheduled",
            ActivityStarted { .. } => "ActivityStarted",
            ActivitySucceeded { .. } => "ActivitySucceeded",
            ActivityFailed(_) => "ActivityFailed",
            ActivityTimedOut(_) => "ActivityTimedOut",
            ParallelStateStarted => "ParallelStateStarted",
            ParallelStateSucceeded => "ParallelStateSucceeded",
            ParallelStateFailed => "ParallelStateFailed",
            ParallelStateAborted => "ParallelStateAborted",
            MapStateStarted { .. } => "MapStateStarted",
            MapStateSucceeded => "MapStateSucceeded",
            MapStateFailed => "MapStateFailed",
            MapStateAborted => "MapStateAborted",
            MapIterationStarted { .. } => "MapIterationStarted",
            MapIterationSucceeded { .. } => "MapIterationSucceeded",
            MapIterationFailed { .. } => "MapIterationFailed",
            MapIterationAborted { .. } => "MapIterationAborted",
            MapRunStarted { .. } => "MapRunStarted",
            MapRunSucceeded => "MapRunSucceeded",
            MapRunFailed(_) => "MapRunFailed",
            EvaluationFailed { .. } => "EvaluationFailed",
        };
        s.to_string()
    }

    /// The event as GetExecutionHistory lists it (`timestamp` as an ISO-8601 string;
    /// the API layer turns it into epoch seconds).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "timestamp".into(),
            Value::String(format_timestamp(self.timestamp)),
        );
        m.insert("type".into(), Value::String(self.type_name()));
        m.insert("id".into(), Value::from(self.id));
        m.insert(
            "previousEventId".into(),
            Value::from(self.previous_event_id),
        );
        if let Some((key, details)) = self.details() {
            m.insert(key.to_string(), details);
        }
        Value::Object(m)
    }

    /// The JSON text of the event's details member alone, `{"<kind>EventDetails":
    /// {...}}` or `{}`: what a store keeps beside the id, type and timestamp.
    pub fn details_text(&self) -> String {
        if let Some(text) = self.state_details_text() {
            return text;
        }
        let mut m = Map::new();
        if let Some((key, details)) = self.details() {
            m.insert(key.to_string(), details);
        }
        payload_text(&Value::Object(m))
    }

    /// [`Self::details_text`] of a state's entry or exit (two of every three
    /// events), written directly rather than through a `Value` map; the same text.
    fn state_details_text(&self) -> Option<String> {
        let (member, name, field, payload) = match &self.details {
            EventDetails::StateEntered { name, input, .. } => {
                ("stateEnteredEventDetails", name, "input", input)
            }
            EventDetails::StateExited {
                name,
                output,
                assigned_variables: None,
                ..
            } => ("stateExitedEventDetails", name, "output", output),
            _ => return None,
        };
        let payload = match &self.verbatim {
            Some(text) => text.to_string(),
            None => payload_text(payload),
        };
        let mut out = Vec::with_capacity(payload.len() + name.len() + 96);
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(member.as_bytes());
        out.extend_from_slice(b"\":{\"name\":");
        serde_json::to_writer(&mut out, name).ok()?;
        out.extend_from_slice(b",\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\":");
        serde_json::to_writer(&mut out, &payload).ok()?;
        out.extend_from_slice(b",\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"Details\":{\"truncated\":false}}}");
        String::from_utf8(out).ok()
    }

    /// The details member, with a verbatim payload text in place of the
    /// re-serialised one.
    fn details(&self) -> Option<(&'static str, Value)> {
        let (key, mut details) = self.details_json()?;
        if let (Some(text), Value::Object(d)) = (&self.verbatim, &mut details) {
            for field in ["input", "output", "parameters"] {
                if let Some(slot) = d.get_mut(field) {
                    *slot = Value::String(text.to_string());
                }
            }
        }
        Some((key, details))
    }

    fn details_json(&self) -> Option<(&'static str, Value)> {
        use EventDetails::*;
        Some(match &self.details {
            ExecutionStarted {
                input,
                role_arn,
                state_machine_alias_arn,
                state_machine_version_arn,
            } => {
                let mut m: Map<String, Value> =
                    [payload_json("input", input), truncated("inputDetails")]
                        .into_iter()
                        .collect();
                m.insert("roleArn".into(), Value::String(role_arn.clone()));
                if let Some(a) = state_machine_alias_arn {
                    m.insert("stateMachineAliasArn".into(), Value::String(a.clone()));
                }
                if let Some(v) = state_machine_version_arn {
                    m.insert("stateMachineVersionArn".into(), Value::String(v.clone()));
                }
                ("executionStartedEventDetails", Value::Object(m))
            }
            ExecutionSucceeded { output } => (
                "executionSucceededEventDetails",
                object([payload_json("output", output), truncated("outputDetails")]),
            ),
            ExecutionFailed(e) => ("executionFailedEventDetails", e.to_json()),
            ExecutionTimedOut(e) => ("executionTimedOutEventDetails", e.to_json()),
            ExecutionAborted(e) => ("executionAbortedEventDetails", e.to_json()),
            ExecutionRedriven { redrive_count } => (
                "executionRedrivenEventDetails",
                json!({"redriveCount": redrive_count}),
            ),
            StateEntered { name, input, .. } => (
                "stateEnteredEventDetails",
                object([
                    ("name".into(), Value::String(name.clone())),
                    payload_json("input", input),
                    truncated("inputDetails"),
                ]),
            ),
            StateExited {
                name,
                output,
                assigned_variables,
                ..
            } => {
                let mut m: Map<String, Value> = [
                    ("name".into(), Value::String(name.clone())),
                    payload_json("output", output),
                    truncated("outputDetails"),
                ]
                .into_iter()
                .collect();
                if let Some(vars) = assigned_variables {
                    let texts: Map<String, Value> = vars
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(payload_text(v))))
                        .collect();
                    m.insert("assignedVariables".into(), Value::Object(texts));
                    m.insert(
                        "assignedVariablesDetails".into(),
                        json!({"truncated": false}),
                    );
                }
                ("stateExitedEventDetails", Value::Object(m))
            }
            StateAborted { .. } => return None,
            TaskScheduled {
                resource,
                resource_type,
                region,
                parameters,
                timeout_in_seconds,
                heartbeat_in_seconds,
            } => {
                let mut m = Map::new();
                m.insert("resourceType".into(), Value::String(resource_type.clone()));
                m.insert("resource".into(), Value::String(resource.clone()));
                m.insert("region".into(), Value::String(region.clone()));
                m.insert("parameters".into(), Value::String(payload_text(parameters)));
                opt_u64(&mut m, "timeoutInSeconds", *timeout_in_seconds);
                opt_u64(&mut m, "heartbeatInSeconds", *heartbeat_in_seconds);
                ("taskScheduledEventDetails", Value::Object(m))
            }
            TaskStarted {
                resource,
                resource_type,
            } => (
                "taskStartedEventDetails",
                object([
                    ("resourceType".into(), Value::String(resource_type.clone())),
                    ("resource".into(), Value::String(resource.clone())),
                ]),
            ),
            TaskSubmitted {
                resource,
                resource_type,
                output,
            } => (
                "taskSubmittedEventDetails",
                task_output(resource, resource_type, output),
            ),
            TaskSucceeded {
                resource,
                resource_type,
                output,
            } => (
                "taskSucceededEventDetails",
                task_output(resource, resource_type, output),
            ),
            TaskFailed {
                resource,
                resource_type,
                error,
            } => (
                "taskFailedEventDetails",
                task_error(resource, resource_type, error),
            ),
            TaskTimedOut {
                resource,
                resource_type,
                error,
            } => (
                "taskTimedOutEventDetails",
                task_error(resource, resource_type, error),
            ),
            LambdaFunctionScheduled {
                resource,
                input,
                timeout_in_seconds,
            } => (
                "lambdaFunctionScheduledEventDetails",
                scheduled(resource, input, *timeout_in_seconds, None),
            ),
            LambdaFunctionStarted => return None,
            LambdaFunctionSucceeded { output } => (
                "lambdaFunctionSucceededEventDetails",
                object([payload_json("output", output), truncated("outputDetails")]),
            ),
            LambdaFunctionFailed(e) => ("lambdaFunctionFailedEventDetails", e.to_json()),
            LambdaFunctionTimedOut(e) => ("lambdaFunctionTimedOutEventDetails", e.to_json()),
            ActivityScheduled {
                resource,
                input,
                timeout_in_seconds,
                heartbeat_in_seconds,
            } => (
                "activityScheduledEventDetails",
                scheduled(resource, input, *timeout_in_seconds, *heartbeat_in_seconds),
            ),
            ActivityStarted { worker_name } => {
                let mut m = Map::new();
                if let Some(w) = worker_name {
                    m.insert("workerName".into(), Value::String(w.clone()));
                }
                ("activityStartedEventDetails", Value::Object(m))
            }
            ActivitySucceeded { output } => (
                "activitySucceededEventDetails",
                object([payload_json("output", output), truncated("outputDetails")]),
            ),
            ActivityFailed(e) => ("activityFailedEventDetails", e.to_json()),
            ActivityTimedOut(e) => ("activityTimedOutEventDetails", e.to_json()),
            ParallelStateStarted
            | ParallelStateSucceeded
            | ParallelStateFailed
            | ParallelStateAborted
            | MapStateSucceeded
            | MapStateFailed
            | MapStateAborted
            | MapRunSucceeded => return None,
            MapStateStarted { length } => {
                ("mapStateStartedEventDetails", json!({ "length": length }))
            }
            MapIterationStarted { name, index } => (
                "mapIterationStartedEventDetails",
                json!({"name": name, "index": index}),
            ),
            MapIterationSucceeded { name, index } => (
                "mapIterationSucceededEventDetails",
                json!({"name": name, "index": index}),
            ),
            MapIterationFailed { name, index } => (
                "mapIterationFailedEventDetails",
                json!({"name": name, "index": index}),
            ),
            MapIterationAborted { name, index } => (
                "mapIterationAbortedEventDetails",
                json!({"name": name, "index": index}),
            ),
            MapRunStarted { map_run_arn } => (
                "mapRunStartedEventDetails",
                json!({ "mapRunArn": map_run_arn }),
            ),
            MapRunFailed(e) => ("mapRunFailedEventDetails", e.to_json()),
            EvaluationFailed {
                error,
                cause,
                location,
                state,
            } => {
                let mut m = Map::new();
                m.insert("error".into(), Value::String(error.clone()));
                m.insert("cause".into(), Value::String(cause.clone()));
                if let Some(l) = location {
                    m.insert("location".into(), Value::String(l.clone()));
                }
                m.insert("state".into(), Value::String(state.clone()));
                ("evaluationFailedEventDetails", Value::Object(m))
            }
        })
    }
}

/// `{resource, input, inputDetails, timeoutInSeconds?, heartbeatInSeconds?}`: the
/// details of a scheduled Lambda function or activity.
fn scheduled(
    resource: &str,
    input: &Value,
    timeout_in_seconds: Option<u64>,
    heartbeat_in_seconds: Option<u64>,
) -> Value {
    let mut m: Map<String, Value> = [
        ("resource".into(), Value::String(resource.to_string())),
        payload_json("input", input),
        truncated("inputDetails"),
    ]
    .into_iter()
    .collect();
    opt_u64(&mut m, "timeoutInSeconds", timeout_in_seconds);
    opt_u64(&mut m, "heartbeatInSeconds", heartbeat_in_seconds);
    Value::Object(m)
}

fn task_output(resource: &str, resource_type: &str, output: &Value) -> Value {
    object([
        (
            "resourceType".into(),
            Value::String(resource_type.to_string()),
        ),
        ("resource".into(), Value::String(resource.to_string())),
        payload_json("output", output),
        truncated("outputDetails"),
    ])
}

fn task_error(resource: &str, resource_type: &str, e: &ErrorDetails) -> Value {
    let mut m = Map::new();
    m.insert(
        "resourceType".into(),
        Value::String(resource_type.to_string()),
    );
    m.insert("resource".into(), Value::String(resource.to_string()));
    if let Some(err) = &e.error {
        m.insert("error".into(), Value::String(err.clone()));
    }
    if let Some(c) = &e.cause {
        m.insert("cause".into(), Value::String(c.clone()));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(details: EventDetails, verbatim: Option<&str>) -> HistoryEvent {
        HistoryEvent {
            id: 3,
            previous_event_id: 2,
            timestamp: 1_700_000_000_000,
            details,
            verbatim: verbatim.map(Arc::from),
        }
    }

    /// The text `details_text` would write without its direct path.
    fn through_value(e: &HistoryEvent) -> String {
        let mut m = Map::new();
        if let Some((key, details)) = e.details() {
            m.insert(key.to_string(), details);
        }
        payload_text(&Value::Object(m))
    }

    #[test]
    fn state_entries_and_exits_are_written_as_their_value_form_serialises() {
        let payloads = [
            json!({"a": 1, "text": "quote \" backslash \\ newline \n tab \t é 😀 \u{1}"}),
            json!([1.5, null, true, "x"]),
            json!("just a string"),
            json!(12345678901234567u64),
            json!({}),
        ];
        let names = ["Work", "Name with \"quotes\" and \\ and é", ""];
        for payload in &payloads {
            for name in names {
                for verbatim in [None, Some("{ \"a\" :  1 }")] {
                    let entered = event(
                        EventDetails::StateEntered {
                            state_type: "Task",
                            name: name.to_string(),
                            input: Arc::new(payload.clone()),
                        },
                        verbatim,
                    );
                    let exited = event(
                        EventDetails::StateExited {
                            state_type: "Pass",
                            name: name.to_string(),
                            output: Arc::new(payload.clone()),
                            assigned_variables: None,
                        },
                        verbatim,
                    );
                    for e in [entered, exited] {
                        assert!(e.state_details_text().is_some());
                        assert_eq!(e.details_text(), through_value(&e));
                    }
                }
            }
        }
        // An exit that assigns variables takes the general path.
        let mut vars = Map::new();
        vars.insert("x".into(), json!(1));
        let assigning = event(
            EventDetails::StateExited {
                state_type: "Pass",
                name: "P".into(),
                output: Arc::new(json!({})),
                assigned_variables: Some(vars),
            },
            None,
        );
        assert!(assigning.state_details_text().is_none());
        assert_eq!(assigning.details_text(), through_value(&assigning));
    }
}
