//! `arn:aws:states:::lambda:invoke` and bare function ARNs: request parameters,
//! function names, AWS's result shape and error names.

use axum::body::Bytes;
use runtime::{BoxFuture, Invoker, TaskOutcome, TaskRequest};
use serde_json::{Map, Value, json};

use crate::pool::{self, Outcome};
use crate::{Functions, Target};

/// The optimized integration (also `.waitForTaskToken`).
pub const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";
/// Bare function ARNs: `arn:aws:lambda:<region>:<account>:function:<name>`.
pub const LAMBDA_ARN_PREFIX: &str = "arn:aws:lambda:";

/// `FunctionName` forms: `name`, `name:qualifier`, `account:function:name[:q]`,
/// `arn:aws:lambda:region:account:function:name[:q]`. Returns (name, qualifier).
fn parse_function_name(s: &str) -> Option<(String, Option<String>)> {
    let parts: Vec<&str> = s.split(':').collect();
    let (name, qualifier) = match parts.as_slice() {
        [name] => (*name, None),
        [name, q] => (*name, Some(*q)),
        [_, "function", name] => (*name, None),
        [_, "function", name, q] => (*name, Some(*q)),
        ["arn", _, "lambda", _, _, "function", name] => (*name, None),
        ["arn", _, "lambda", _, _, "function", name, q] => (*name, Some(*q)),
        _ => return None,
    };
    if name.is_empty() || qualifier.is_some_and(str::is_empty) {
        return None;
    }
    Some((name.to_string(), qualifier.map(str::to_string)))
}

fn failed(error: &str, cause: String) -> TaskOutcome {
    TaskOutcome::Failed {
        error: Some(error.to_string()),
        cause: Some(cause),
    }
}

fn invalid_parameter(message: &str) -> TaskOutcome {
    failed(
        "Lambda.InvalidParameterValueException",
        format!(
            "{message} (Service: AWSLambda; Status Code: 400; Error Code: InvalidParameterValueException; Request ID: {}; Proxy: null)",
            crate::uuid()
        ),
    )
}

/// AWS's answer for a function that does not exist.
pub(crate) fn not_found(functions: &Functions, name: &str, qualifier: &str) -> Outcome {
    Outcome::Failed {
        error: "Lambda.ResourceNotFoundException".into(),
        cause: format!(
            "Function not found: arn:aws:lambda:{}:{}:function:{name}:{qualifier} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: {}; Proxy: null)",
            functions.region,
            functions.account,
            crate::uuid()
        ),
    }
}

/// Runs one invocation on a local or remote target.
pub(crate) async fn run(
    target: &Target,
    name: &str,
    request_id: String,
    payload: Bytes,
) -> Outcome {
    match target {
        Target::Local(f) => f.invoke(request_id, payload).await,
        Target::Remote { url } => crate::remote::invoke(url, name, payload).await,
    }
}

/// What the state's parameters (or input) send to the handler: a string is the
/// payload's JSON text itself (as the SDK's blob), anything else is serialised;
/// nothing or `null` sends `{}`.
fn payload_bytes(p: Option<&Value>) -> Bytes {
    match p {
        None | Some(Value::Null) => Bytes::from_static(b"{}"),
        Some(Value::String(s)) => Bytes::from(s.clone().into_bytes()),
        Some(v) => Bytes::from(v.to_string().into_bytes()),
    }
}

/// The response body as the result's `Payload`: JSON if it parses, else text.
fn payload_value(body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// The result AWS records for `lambda:invoke`.
fn invoke_result(
    status: u16,
    payload: Value,
    content_length: usize,
    request_id: &str,
    log: Option<String>,
) -> Value {
    let date = jiff::Timestamp::now()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let trace = format!(
        "root=1-{:08x}-{}",
        pool::now_ms() / 1000,
        &request_id.replace('-', "")[..24]
    );
    let len = content_length.to_string();
    let mut all = Map::new();
    if let Some(l) = &log {
        all.insert("X-Amz-Log-Result".into(), json!([l]));
    }
    all.insert("X-Amz-Executed-Version".into(), json!(["$LATEST"]));
    all.insert("x-amzn-Remapped-Content-Length".into(), json!(["0"]));
    all.insert("Connection".into(), json!(["keep-alive"]));
    all.insert("x-amzn-RequestId".into(), json!([request_id]));
    all.insert("Content-Length".into(), json!([len]));
    all.insert("Date".into(), json!([date]));
    all.insert("X-Amzn-Trace-Id".into(), json!([trace]));
    all.insert("Content-Type".into(), json!(["application/json"]));
    let mut headers = Map::new();
    headers.insert("Connection".into(), json!("keep-alive"));
    headers.insert("Content-Length".into(), json!(len));
    headers.insert("Content-Type".into(), json!("application/json"));
    headers.insert("Date".into(), json!(date));
    headers.insert("X-Amz-Executed-Version".into(), json!("$LATEST"));
    if let Some(l) = &log {
        headers.insert("X-Amz-Log-Result".into(), json!(l));
    }
    headers.insert("x-amzn-Remapped-Content-Length".into(), json!("0"));
    headers.insert("x-amzn-RequestId".into(), json!(request_id));
    headers.insert("X-Amzn-Trace-Id".into(), json!(trace));
    let mut out = Map::new();
    out.insert("ExecutedVersion".into(), json!("$LATEST"));
    if let Some(l) = log {
        out.insert("LogResult".into(), json!(l));
    }
    out.insert("Payload".into(), payload);
    out.insert(
        "SdkHttpMetadata".into(),
        json!({"AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": status}),
    );
    out.insert(
        "SdkResponseMetadata".into(),
        json!({"RequestId": request_id}),
    );
    out.insert("StatusCode".into(), json!(status));
    Value::Object(out)
}

impl Functions {
    async fn lambda_invoke(&self, request: TaskRequest) -> TaskOutcome {
        let Some(params) = request.parameters.as_object() else {
            return invalid_parameter("The Parameters of a lambda:invoke task must be an object");
        };
        let Some(function_name) = params.get("FunctionName").and_then(Value::as_str) else {
            return invalid_parameter("FunctionName is required and must be a string");
        };
        let Some((name, mut qualifier)) = parse_function_name(function_name) else {
            return invalid_parameter(&format!(
                "1 validation error detected: Value '{function_name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
            ));
        };
        if let Some(q) = params.get("Qualifier") {
            match q.as_str() {
                Some(q) => qualifier = Some(q.to_string()),
                None => return invalid_parameter("Qualifier must be a string"),
            }
        }
        let qualifier = qualifier.unwrap_or_else(|| "$LATEST".into());
        let invocation_type = params
            .get("InvocationType")
            .and_then(Value::as_str)
            .unwrap_or("RequestResponse");
        let Some(target) = self.by_name.get(&name).cloned() else {
            return to_task(not_found(self, &name, &qualifier));
        };
        let payload = payload_bytes(params.get("Payload"));
        let request_id = crate::uuid();
        let tail = params.get("LogType").and_then(Value::as_str) == Some("Tail");
        match invocation_type {
            "RequestResponse" => {}
            "Event" => {
                let id = request_id.clone();
                tokio::spawn(async move {
                    let _ = run(&target, &name, id, payload).await;
                });
                return TaskOutcome::Succeeded(invoke_result(202, json!(""), 0, &request_id, None));
            }
            "DryRun" => {
                return TaskOutcome::Succeeded(invoke_result(204, json!(""), 0, &request_id, None));
            }
            other => {
                return invalid_parameter(&format!(
                    "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
                ));
            }
        }
        let started = std::time::Instant::now();
        match run(&target, &name, request_id.clone(), payload).await {
            Outcome::Response(body) => {
                let log = tail.then(|| {
                    use base64::Engine as _;
                    let text = format!(
                        "START RequestId: {request_id} Version: $LATEST\nEND RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: {:.2} ms\n",
                        started.elapsed().as_secs_f64() * 1000.0
                    );
                    base64::engine::general_purpose::STANDARD.encode(text)
                });
                TaskOutcome::Succeeded(invoke_result(
                    200,
                    payload_value(&body),
                    body.len(),
                    &request_id,
                    log,
                ))
            }
            failed => to_task(failed),
        }
    }

    async fn bare_arn(&self, request: TaskRequest) -> TaskOutcome {
        // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
        let Some((name, qualifier)) = parse_function_name(&request.resource) else {
            return invalid_parameter(&format!("Invalid function ARN '{}'", request.resource));
        };
        let qualifier = qualifier.unwrap_or_else(|| "$LATEST".into());
        let Some(target) = self.by_name.get(&name).cloned() else {
            return to_task(not_found(self, &name, &qualifier));
        };
        let payload = Bytes::from(request.parameters.to_string().into_bytes());
        match run(&target, &name, crate::uuid(), payload).await {
            Outcome::Response(body) => TaskOutcome::Succeeded(payload_value(&body)),
            failed => to_task(failed),
        }
    }
}

fn to_task(o: Outcome) -> TaskOutcome {
    match o {
        Outcome::Response(body) => TaskOutcome::Succeeded(payload_value(&body)),
        Outcome::Failed { error, cause } => failed(&error, cause),
    }
}

impl Invoker for Functions {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        Box::pin(async move {
            if request.resource.starts_with(LAMBDA_INVOKE) {
                let rest = &request.resource[LAMBDA_INVOKE.len()..];
                if !rest.is_empty() && rest != ".waitForTaskToken" {
                    return failed(
                        "States.Runtime",
                        format!("Unsupported resource '{}'", request.resource),
                    );
                }
                self.lambda_invoke(request).await
            } else if request.resource.starts_with(LAMBDA_ARN_PREFIX) {
                self.bare_arn(request).await
            } else {
                failed(
                    "States.Runtime",
                    format!("'{}' is not a Lambda resource", request.resource),
                )
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_in_every_form() {
        let p = |s: &str| parse_function_name(s);
        assert_eq!(p("f"), Some(("f".into(), None)));
        assert_eq!(p("f:prod"), Some(("f".into(), Some("prod".into()))));
        assert_eq!(p("123456789012:function:f"), Some(("f".into(), None)));
        assert_eq!(
            p("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"),
            Some(("f".into(), Some("$LATEST".into())))
        );
        assert_eq!(p("a:b:c:d:e"), None);
        assert_eq!(p("f:"), None);
    }

    #[test]
    fn payloads_as_the_sdk_sends_them() {
        assert_eq!(payload_bytes(None), Bytes::from_static(b"{}"));
        assert_eq!(
            payload_bytes(Some(&json!("\"x\""))),
            Bytes::from_static(b"\"x\"")
        );
        assert_eq!(
            payload_bytes(Some(&json!({"a": 1}))),
            Bytes::from_static(b"{\"a\":1}")
        );
        assert_eq!(payload_value(b"{\"a\":1}"), json!({"a": 1}));
        assert_eq!(payload_value(b"not json"), json!("not json"));
    }
}
