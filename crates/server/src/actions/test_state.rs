//! TestState.
//!
//! Request: `{"definition" (a state, or a state machine with "stateName"),
//! "input"?, "roleArn"?, "inspectionLevel"? (INFO|DEBUG|TRACE), "mock"?
//! {"result" (JSON text) | "errorOutput" {"error", "cause"},
//! "fieldValidationMode"? (STRICT|PRESENT|NONE)}, "variables"? (JSON text),
//! "context"? (JSON text), "stateConfiguration"? {"retrierRetryCount",
//! "mapIterationFailureCount", "errorCausedByState", "mapItemReaderData"},
//! "revealSecrets"?}`.
//! Response: `{"status" (SUCCEEDED|FAILED|RETRIABLE|CAUGHT_ERROR), "output"?,
//! "error"?, "cause"?, "nextState"?, "inspectionData"?}`; the values in
//! `inspectionData` are JSON text, as AWS sends them.
//!
//! The state runs in `engine::test_state`; this file checks the request and
//! the mock (a mocked result is checked against the service's response shape
//! for the integrations with a shape below, as AWS's field validation does)
//! and invokes a real integration for an unmocked Task.

use std::sync::Arc;

use engine::test_state::{self, Inspection, Mock, Refusal, Step};
use serde_json::{Map, Value, json};

use crate::App;
use crate::error::{ApiError, ApiResult};
use crate::request::Req;

pub async fn handle(app: Arc<App>, req: Req) -> ApiResult<Value> {
    let request = parse(&app, &req)?;
    let step = test_state::start(request).map_err(|r| match r {
        Refusal::InvalidDefinition(m) => ApiError::new("InvalidDefinition", m),
        Refusal::Validation(m) => ApiError::validation(m),
    })?;
    let response = match step {
        Step::Done(r) => r,
        Step::Invoke(task, run) => {
            // The request waits for the task, at most its TimeoutSeconds (and
            // never more than five minutes).
            let limit = task.timeout_seconds.unwrap_or(60).clamp(1, 300);
            let call = app.runtime.invoke(task);
            let outcome = tokio::time::timeout(std::time::Duration::from_secs(limit), call)
                .await
                .unwrap_or(engine::simulate::TaskOutcome::TimedOut);
            run.finish(outcome)
        }
    };
    Ok(shape(response))
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::validation(message)
}

/// A JSON-text member parsed; `what` names it in the error.
fn json_text(req: &Req, key: &str) -> ApiResult<Option<Value>> {
    match req.str(key)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(text).map(Some).map_err(|_| {
            if key == "input" {
                ApiError::new(
                    "InvalidExecutionInput",
                    format!("Invalid State Machine Execution Input: '{text}'"),
                )
            } else {
                invalid(format!("The {key} must be valid JSON"))
            }
        }),
    }
}

fn parse(app: &App, req: &Req) -> ApiResult<test_state::Request> {
    let text = req.required_str("definition")?;
    let definition: Value = match serde_json::from_str(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Err(ApiError::new(
                "InvalidDefinition",
                asl::create_error_message(&asl::parse(text).1),
            ));
        }
    };
    let inspection = match req.str("inspectionLevel")? {
        None | Some("INFO") => Inspection::Info,
        Some("DEBUG") => Inspection::Debug,
        Some("TRACE") => Inspection::Trace,
        Some(other) => {
            return Err(ApiError::constraint(
                other,
                "inspectionLevel",
                "Member must satisfy enum value set: [INFO, DEBUG, TRACE]",
            ));
        }
    };
    let role_arn = req.str("roleArn")?.map(str::to_string);
    if let Some(role) = &role_arn {
        super::common::check_role(role)?;
    }
    let input = json_text(req, "input")?.unwrap_or_else(|| json!({}));
    let variables = match json_text(req, "variables")? {
        None => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return Err(invalid("The variables must be a JSON object")),
    };
    let context = json_text(req, "context")?;
    let reveal_secrets = req.bool("revealSecrets")?.unwrap_or(false);
    let config = match req.value("stateConfiguration") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(ApiError::new(
                "SerializationException",
                "Start of structure or map found where not expected.",
            ));
        }
    };
    let count = |key: &str| -> ApiResult<Option<u64>> {
        match config.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                ApiError::constraint(
                    &v.to_string(),
                    key,
                    "Member must have value greater than or equal to 0",
                )
            }),
        }
    };
    let retrier_retry_count = count("retrierRetryCount")?.unwrap_or(0);
    let map_iteration_failure_count = count("mapIterationFailureCount")?;
    let mock = match req.value("mock") {
        None => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => {
            return Err(ApiError::new(
                "SerializationException",
                "Start of structure or map found where not expected.",
            ));
        }
    };
    let mock = match &mock {
        None => None,
        Some(m) => {
            let result = m.get("result").filter(|v| !v.is_null());
            let error_output = m.get("errorOutput").filter(|v| !v.is_null());
            match (result, error_output) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        "A test mock should have only one of the following fields: [result, errorOutput].",
                    ));
                }
                (Some(Value::String(text)), None) => {
                    let v: Value = serde_json::from_str(text)
                        .map_err(|_| invalid("Mocked result must be valid JSON"))?;
                    Some(Mock::Result(v))
                }
                (Some(_), None) => {
                    return Err(ApiError::new(
                        "SerializationException",
                        "STRING_VALUE can not be converted from result",
                    ));
                }
                (None, Some(e)) => Some(Mock::Error {
                    error: e.get("error").and_then(Value::as_str).map(str::to_string),
                    cause: e.get("cause").and_then(Value::as_str).map(str::to_string),
                }),
                (None, None) => {
                    return Err(invalid(
                        "A test mock should have one of the following fields: [result, errorOutput].",
                    ));
                }
            }
        }
    };
    let mode = match mock
        .as_ref()
        .and_then(|_| req.value("mock"))
        .and_then(|m| m.get("fieldValidationMode"))
    {
        None | Some(Value::Null) => "STRICT",
        Some(Value::String(s)) if matches!(s.as_str(), "STRICT" | "PRESENT" | "NONE") => s.as_str(),
        Some(other) => {
            return Err(ApiError::constraint(
                other.as_str().unwrap_or_default(),
                "mock.fieldValidationMode",
                "Member must satisfy enum value set: [STRICT, PRESENT, NONE]",
            ));
        }
    };
    if reveal_secrets && mock.is_some() {
        return Err(invalid(
            "TestState does not support RevealSecrets when a mock is specified.",
        ));
    }
    if map_iteration_failure_count.is_some() && mock.is_none() {
        return Err(invalid(
            "TestState does not support MapIterationFailureCount when a mock is not specified.",
        ));
    }
    let state_name = req.str("stateName")?.map(str::to_string);
    let state = tested_state(&definition, state_name.as_deref());
    let is_task = state.and_then(|s| s.get("Type")).and_then(Value::as_str) == Some("Task");
    if is_task && mock.is_none() && role_arn.is_none() {
        return Err(invalid(
            "RoleArn must be specified when testing a Task state",
        ));
    }
    if let (Some(Mock::Result(result)), Some(state), true) = (&mock, state, is_task)
        && mode != "NONE"
    {
        let resource = state.get("Resource").and_then(Value::as_str).unwrap_or("");
        if let Some(shape) = response_shape(resource) {
            check_shape(&shape, result, None, mode == "STRICT")
                .map_err(|m| invalid(format!("Mock result schema validation error: {m}")))?;
        }
    }
    Ok(test_state::Request {
        definition,
        state_name,
        input,
        inspection,
        mock,
        variables,
        context,
        retrier_retry_count: u32::try_from(retrier_retry_count).unwrap_or(u32::MAX),
        map_iteration_failure_count,
        role_arn,
        region: app.config.region.clone(),
        account: app.config.account.clone(),
        machine_name: crate::ids::uuid_v4(),
        execution_name: crate::ids::uuid_v4(),
        now: crate::ids::now_ms(),
        seed: rand_seed(),
    })
}

fn rand_seed() -> u64 {
    let u = crate::ids::uuid_v4().replace('-', "");
    u64::from_str_radix(u.get(..16).unwrap_or("0"), 16).unwrap_or(0)
}

/// The state a request tests (JSON), if the definition has it.
fn tested_state<'a>(definition: &'a Value, name: Option<&str>) -> Option<&'a Value> {
    match definition.get("States") {
        Some(states) => {
            let name = name.or_else(|| definition.get("StartAt").and_then(Value::as_str))?;
            states.get(name)
        }
        None => Some(definition),
    }
}

/// The response body.
fn shape(r: test_state::Response) -> Value {
    let mut out = Map::new();
    out.insert("status".into(), json!(r.status));
    if let Some(o) = r.output {
        out.insert("output".into(), json!(o.to_string()));
    }
    if let Some(e) = r.error {
        out.insert("error".into(), json!(e));
    }
    if let Some(c) = r.cause {
        out.insert("cause".into(), json!(c));
    }
    if let Some(n) = r.next_state {
        out.insert("nextState".into(), json!(n));
    }
    if let Some(data) = r.inspection {
        let mut shaped = Map::new();
        for (k, v) in data {
            let v = match k.as_str() {
                "errorDetails"
                | "maxConcurrency"
                | "toleratedFailureCount"
                | "toleratedFailurePercentage" => v,
                _ => json!(v.to_string()),
            };
            shaped.insert(k, v);
        }
        out.insert("inspectionData".into(), Value::Object(shaped));
    }
    Value::Object(out)
}

/// The response shapes of the integrations whose mocked results are checked
/// (a subset of each service's API model: the fields and constraints that
/// matter for validation).
fn response_shape(resource: &str) -> Option<Value> {
    let rest = resource.split(":::").nth(1)?;
    let base = rest
        .trim_end_matches(".sync:2")
        .trim_end_matches(".sync")
        .trim_end_matches(".waitForTaskToken");
    let string = json!({"type": "string"});
    Some(match base {
        "lambda:invoke" => json!({"type": "structure", "members": {
            "StatusCode": {"type": "integer"},
            "FunctionError": string,
            "LogResult": string,
            "ExecutedVersion": string,
            "Payload": {"type": "any"}
        }}),
        "events:putEvents" => json!({"type": "structure", "members": {
            "FailedEntryCount": {"type": "integer"},
            "Entries": {"type": "list", "member": {"type": "structure", "members": {
                "EventId": string, "ErrorCode": string, "ErrorMessage": string
            }}}
        }}),
        "dynamodb:putItem" | "dynamodb:getItem" | "dynamodb:updateItem" | "dynamodb:deleteItem" => {
            json!({"type": "structure", "members": {
                "ConsumedCapacity": {"type": "structure", "members": {
                    "TableName": string,
                    "CapacityUnits": {"type": "double"},
                    "ReadCapacityUnits": {"type": "double"},
                    "WriteCapacityUnits": {"type": "double"}
                }},
                "Attributes": {"type": "any"},
                "Item": {"type": "any"},
                "ItemCollectionMetrics": {"type": "any"}
            }})
        }
        "states:startExecution" => json!({"type": "structure",
            "required": ["ExecutionArn", "StartDate"],
            "members": {"ExecutionArn": string, "StartDate": {"type": "timestamp"}}}),
        "aws-sdk:kms:encrypt" => json!({"type": "structure", "members": {
            "CiphertextBlob": {"type": "blob", "min": 1, "max": 6144},
            "KeyId": {"type": "string", "min": 1, "max": 2048},
            "EncryptionAlgorithm": {"type": "string", "enum":
                ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"]}
        }}),
        "aws-sdk:lambda:getFunction" => json!({"type": "structure", "members": {
            "Configuration": {"type": "structure", "members": {
                "FunctionName": string,
                "MemorySize": {"type": "integer", "min": 128, "max": 10240},
                "Timeout": {"type": "integer", "min": 1},
                "CodeSize": {"type": "long"}
            }},
            "Tags": {"type": "any"}
        }}),
        "aws-sdk:s3:getObject" => json!({"type": "structure", "members": {
            "ContentLength": {"type": "long"},
            "ContentType": string,
            "ETag": string,
            "StorageClass": {"type": "string", "enum": [
                "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS",
                "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"]},
            "Body": {"type": "any"}
        }}),
        _ => return None,
    })
}

/// Checks `value` against `shape`; `strict` also requires required members.
/// Members the shape does not know are accepted.
fn check_shape(
    shape: &Value,
    value: &Value,
    name: Option<&str>,
    strict: bool,
) -> Result<(), String> {
    let field = name.unwrap_or("");
    let kind = shape.get("type").and_then(Value::as_str).unwrap_or("any");
    let num = |k: &str| shape.get(k).and_then(Value::as_f64);
    match kind {
        "structure" => {
            let Value::Object(m) = value else {
                return Err(format!("Field '{field}' must be an object"));
            };
            if strict && let Some(Value::Array(required)) = shape.get("required") {
                for r in required.iter().filter_map(Value::as_str) {
                    if !m.contains_key(r) {
                        return Err(format!("Required field '{r}' is missing"));
                    }
                }
            }
            if let Some(Value::Object(members)) = shape.get("members") {
                for (k, v) in m {
                    if let Some(s) = members.get(k) {
                        check_shape(s, v, Some(k), strict)?;
                    }
                }
            }
        }
        "list" => {
            let Value::Array(items) = value else {
                return Err(format!("Field '{field}' must be an array"));
            };
            if let Some(member) = shape.get("member") {
                for item in items {
                    check_shape(member, item, name, strict)?;
                }
            }
        }
        "string" | "blob" | "timestamp" => {
            let Value::String(s) = value else {
                return Err(format!("Field '{field}' must be a string"));
            };
            let len = s.chars().count() as f64;
            if num("min").is_some_and(|m| len < m) {
                return Err(format!(
                    "Field '{field}' is smaller than the minimum length"
                ));
            }
            if num("max").is_some_and(|m| len > m) {
                return Err(format!("Field '{field}' is larger than the maximum length"));
            }
            if let Some(Value::Array(allowed)) = shape.get("enum")
                && !allowed.iter().any(|a| a.as_str() == Some(s))
            {
                return Err(format!("Field '{field}' is not an expected value"));
            }
        }
        "integer" | "long" | "double" => {
            let Some(n) = value.as_f64() else {
                return Err(format!("Field '{field}' must be a number"));
            };
            if kind != "double" && value.as_i64().is_none() && value.as_u64().is_none() {
                return Err(format!("Field '{field}' must be an integer"));
            }
            if num("min").is_some_and(|m| n < m) {
                return Err(format!("Field '{field}' is less than the minimum value"));
            }
            if num("max").is_some_and(|m| n > m) {
                return Err(format!("Field '{field}' exceeds the maximum value"));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_mode_requires_members_present_mode_checks_only_types() {
        let shape = response_shape("arn:aws:states:::states:startExecution").expect("shape");
        let missing = json!({"executionArn": "x"});
        assert_eq!(
            check_shape(&shape, &missing, None, true),
            Err("Required field 'ExecutionArn' is missing".to_string())
        );
        assert_eq!(check_shape(&shape, &missing, None, false), Ok(()));
        let wrong = json!({"ExecutionArn": "x", "StartDate": true});
        assert_eq!(
            check_shape(&shape, &wrong, None, false),
            Err("Field 'StartDate' must be a string".to_string())
        );
    }

    #[test]
    fn checks_list_members_ranges_and_enums() {
        let events = response_shape("arn:aws:states:::events:putEvents").expect("shape");
        let bad = json!({"Entries": [{"EventId": "a"}, {"EventId": ["b"]}]});
        assert_eq!(
            check_shape(&events, &bad, None, true),
            Err("Field 'EventId' must be a string".to_string())
        );
        let lambda = response_shape("arn:aws:states:::aws-sdk:lambda:getFunction").expect("shape");
        assert_eq!(
            check_shape(
                &lambda,
                &json!({"Configuration": {"MemorySize": 10241}}),
                None,
                true
            ),
            Err("Field 'MemorySize' exceeds the maximum value".to_string())
        );
        let s3 = response_shape("arn:aws:states:::aws-sdk:s3:getObject").expect("shape");
        assert_eq!(
            check_shape(&s3, &json!({"StorageClass": "Papyrus"}), None, true),
            Err("Field 'StorageClass' is not an expected value".to_string())
        );
    }
}
