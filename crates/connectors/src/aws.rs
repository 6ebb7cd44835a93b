//! AWS service calls: `arn:aws:states:::aws-sdk:<service>:<action>` and the
//! optimized integrations (`arn:aws:states:::dynamodb:putItem`, `sqs:sendMessage`,
//! `sns:publish`, `events:putEvents`, `s3:getObject`/`putObject`), signed with
//! SigV4 and sent to the endpoint configured for the service.
//!
//! `aws-sdk:` results are the SDK's output shape; optimized DynamoDB, SQS and
//! SNS results add AWS's `SdkHttpMetadata` and `SdkResponseMetadata`, as the
//! recordings show. Service errors become `<Service>.<Exception>` with AWS's
//! cause texts (see `services`). A `.waitForTaskToken` resource sends the same
//! request; its answer is the `TaskSubmitted` response.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::client::{HttpClient, Request, Response, SendError};
use crate::config::{ServiceConfig, Settings};
use crate::http_task::Failure;
use crate::services::{self, Protocol, Service};
use crate::sigv4::{self, Credentials, uri_encode};
use crate::xml;
use runtime::{BoxFuture, Invoker, TaskOutcome, TaskRequest};

/// The optimized integrations and their actions.
const OPTIMIZED: &[(&str, &[&str])] = &[
    (
        "dynamodb",
        &["getItem", "putItem", "updateItem", "deleteItem"],
    ),
    ("sqs", &["sendMessage"]),
    ("sns", &["publish"]),
    ("events", &["putEvents"]),
    ("s3", &["getObject", "putObject"]),
];

/// The AWS service integration (both kinds).
pub struct AwsInvoker {
    client: HttpClient,
    services: BTreeMap<String, ServiceConfig>,
    region: String,
    default_credentials: Option<Credentials>,
}

/// Where and as whom one call goes.
struct Target {
    endpoint: String,
    region: String,
    credentials: Option<Credentials>,
    /// No endpoint configured: the real AWS one.
    aws_default: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sdk,
    Optimized,
}

impl AwsInvoker {
    pub fn new(client: HttpClient, settings: &Settings) -> Self {
        AwsInvoker {
            client,
            services: settings.services.clone(),
            region: settings.region.clone(),
            default_credentials: settings.default_credentials.clone(),
        }
    }

    fn target(&self, service: &Service) -> Target {
        // `events` (optimized) and `eventbridge` (aws-sdk) share one section.
        let config = self
            .services
            .get(service.name)
            .or_else(|| match service.name {
                "events" => self.services.get("eventbridge"),
                "eventbridge" => self.services.get("events"),
                _ => None,
            });
        let config = config.cloned().unwrap_or_default();
        let region = config.region.clone().unwrap_or_else(|| self.region.clone());
        let credentials = match (config.access_key_id, config.secret_access_key) {
            (Some(id), Some(secret)) => Some(Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: config.session_token,
            }),
            // Local AWS-compatible servers route requests by the signature's
            // scope and accept any key; AWS itself refuses this one.
            _ => Some(
                self.default_credentials
                    .clone()
                    .unwrap_or_else(|| Credentials {
                        access_key_id: "STEPWISENOCREDENTIALS".into(),
                        secret_access_key: "stepwise-no-credentials".into(),
                        session_token: None,
                    }),
            ),
        };
        match config.endpoint {
            Some(e) => Target {
                endpoint: e.trim_end_matches('/').to_string(),
                region,
                credentials,
                aws_default: false,
            },
            None => Target {
                endpoint: format!("https://{}.{region}.amazonaws.com", service.endpoint_prefix),
                region,
                credentials,
                aws_default: true,
            },
        }
    }

    async fn call(&self, request: &TaskRequest) -> Result<Value, Failure> {
        let (resource, params) = (request.resource.as_str(), &request.parameters);
        let (kind, service_name, action) = parse_resource(resource)?;
        let service = services::find(service_name).ok_or_else(|| {
            Failure::new(
                "States.Runtime",
                format!("The service '{service_name}' of resource '{resource}' is not supported"),
            )
        })?;
        if kind == Kind::Optimized
            && !OPTIMIZED
                .iter()
                .any(|(s, actions)| *s == service_name && actions.contains(&action))
        {
            return Err(Failure::new(
                "States.Runtime",
                format!("The resource '{resource}' is not a supported optimized integration"),
            ));
        }
        let mut params = prepare(service.name, action, params);
        if kind == Kind::Optimized && service.name == "events" && action == "putEvents" {
            name_caller(&mut params, request);
        }
        let target = self.target(service);
        let pascal = pascal(action);
        let (request, s3) = match service.protocol {
            Protocol::Json {
                version,
                target: prefix,
            } => (
                Request {
                    method: "POST".into(),
                    url: format!("{}/", target.endpoint),
                    headers: vec![
                        (
                            "content-type".into(),
                            format!("application/x-amz-json-{version}"),
                        ),
                        ("x-amz-target".into(), format!("{prefix}.{pascal}")),
                    ],
                    body: Value::Object(params.clone()).to_string().into_bytes(),
                },
                false,
            ),
            Protocol::Query { version } => {
                let mut pairs = vec![
                    ("Action".to_string(), pascal.clone()),
                    ("Version".to_string(), version.to_string()),
                ];
                for (k, v) in &params {
                    flatten_query(service.name, k.clone(), k, v, &mut pairs);
                }
                let body = pairs
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}={}",
                            uri_encode(k.as_bytes(), false),
                            uri_encode(v.as_bytes(), false)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("&");
                (
                    Request {
                        method: "POST".into(),
                        url: format!("{}/", target.endpoint),
                        headers: vec![(
                            "content-type".into(),
                            "application/x-www-form-urlencoded; charset=utf-8".into(),
                        )],
                        body: body.into_bytes(),
                    },
                    false,
                )
            }
            Protocol::S3 => (
                crate::s3::request(
                    action,
                    &params,
                    &target.endpoint,
                    &target.region,
                    target.aws_default,
                )?,
                true,
            ),
        };
        let prefix = match kind {
            Kind::Sdk => service.sdk_name,
            Kind::Optimized => service.optimized_name,
        };
        let response = self.send(request, service, prefix, &target, s3).await?;
        if !(200..300).contains(&response.status) {
            return Err(service_error(service, kind, &response));
        }
        let mut out = match service.protocol {
            Protocol::Json { .. } => {
                if response.body.iter().all(u8::is_ascii_whitespace) {
                    Map::new()
                } else {
                    match serde_json::from_slice(&response.body) {
                        Ok(Value::Object(mut m)) => {
                            if kind == Kind::Sdk {
                                timestamps_as_text(&mut m);
                            }
                            m
                        }
                        _ => {
                            return Err(Failure::new(
                                format!("{}.{}Exception", service.sdk_name, service.sdk_name),
                                "The service's answer is not a JSON object",
                            ));
                        }
                    }
                }
            }
            Protocol::Query { .. } => {
                let text = String::from_utf8_lossy(&response.body);
                let root = xml::parse(&text).ok_or_else(|| {
                    Failure::new(
                        format!("{}.{}Exception", service.sdk_name, service.sdk_name),
                        "The service's answer is not XML",
                    )
                })?;
                match root
                    .find(&format!("{pascal}Result"))
                    .map(|r| xml::to_json(r, &[]))
                {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                }
            }
            Protocol::S3 => crate::s3::response(action, &response),
        };
        if kind == Kind::Optimized && service.name == "events" {
            let failed = out
                .get("FailedEntryCount")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if failed > 0 {
                return Err(Failure::new(
                    "EventBridge.FailedEntry",
                    Value::Object(out).to_string(),
                ));
            }
        }
        if kind == Kind::Optimized && matches!(service.name, "dynamodb" | "sqs" | "sns") {
            add_sdk_metadata(&mut out, &response);
        }
        Ok(Value::Object(out))
    }

    async fn send(
        &self,
        mut request: Request,
        service: &Service,
        prefix: &str,
        target: &Target,
        s3: bool,
    ) -> Result<Response, Failure> {
        let (host, path, query) = split_url(&request.url).ok_or_else(|| {
            Failure::new(
                "States.Runtime",
                format!("The endpoint '{}' is not a valid URL", target.endpoint),
            )
        })?;
        if let Some(creds) = &target.credentials {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let added = sigv4::sign(
                &sigv4::Signable {
                    method: &request.method,
                    host: &host,
                    path: &path,
                    query: &query,
                    body: &request.body,
                },
                &request.headers,
                creds,
                &target.region,
                service.signing_name,
                s3,
                now,
            );
            // hyper sets Host itself from the URL; the signed value is the same.
            request
                .headers
                .extend(added.into_iter().filter(|(k, _)| k != "host"));
        }
        self.client.send(request).await.map_err(|e| match e {
            SendError::Timeout => Failure::new(
                format!("{prefix}.SdkClientException"),
                format!(
                    "Unable to execute HTTP request: the call to {} timed out",
                    target.endpoint
                ),
            ),
            other => Failure::new(
                format!("{prefix}.SdkClientException"),
                format!("Unable to execute HTTP request: {other}"),
            ),
        })
    }
}

impl Invoker for AwsInvoker {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        Box::pin(async move {
            match self.call(&request).await {
                Ok(v) => TaskOutcome::Succeeded(v),
                Err(f) => f.into_outcome(),
            }
        })
    }
}

/// (kind, service, action) of a resource ARN; `.waitForTaskToken` is allowed,
/// `.sync` is not (no AWS service call here has a job to wait for).
fn parse_resource(resource: &str) -> Result<(Kind, &str, &str), Failure> {
    let bad = || {
        Failure::new(
            "States.Runtime",
            format!("The resource '{resource}' is not an AWS service integration"),
        )
    };
    let rest = resource.split_once(":::").map(|(_, r)| r).ok_or_else(bad)?;
    let rest = rest.strip_suffix(".waitForTaskToken").unwrap_or(rest);
    if rest.contains(".sync") {
        return Err(Failure::new(
            "States.Runtime",
            format!("The resource '{resource}' has no .sync form"),
        ));
    }
    if let Some(sdk) = rest.strip_prefix("aws-sdk:") {
        let (service, action) = sdk.split_once(':').ok_or_else(bad)?;
        return Ok((Kind::Sdk, service, action));
    }
    let (service, action) = rest.split_once(':').ok_or_else(bad)?;
    // S3 object calls have no optimized form on AWS: they answer as aws-sdk does.
    if service == "s3" {
        return Ok((Kind::Sdk, service, action));
    }
    Ok((Kind::Optimized, service, action))
}

fn pascal(action: &str) -> String {
    let mut c = action.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The optimized `events:putEvents` appends the execution's ARN and its state
/// machine's to each entry's `Resources`, as Step Functions does.
fn name_caller(params: &mut Map<String, Value>, request: &TaskRequest) {
    let Some(caller) = &request.caller else {
        return;
    };
    let Some(Value::Array(entries)) = params.get_mut("Entries") else {
        return;
    };
    for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
        let resources = entry
            .entry("Resources")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = resources {
            list.push(Value::String(caller.execution_arn.clone()));
            list.push(Value::String(caller.state_machine_arn.clone()));
        }
    }
}

/// The parameters as the service takes them: message bodies and event
/// details given as JSON become their JSON text, as Step Functions does.
fn prepare(service: &str, action: &str, params: &Value) -> Map<String, Value> {
    let mut p = params.as_object().cloned().unwrap_or_default();
    // A null parameter is one not given, as the SDKs send it.
    strip_nulls(&mut p);
    let stringify = |v: &mut Value| {
        if !v.is_string() && !v.is_null() {
            *v = Value::String(v.to_string());
        }
    };
    match (service, action) {
        ("sqs", "sendMessage") => {
            if let Some(v) = p.get_mut("MessageBody") {
                stringify(v);
            }
        }
        ("sns", "publish") => {
            if let Some(v) = p.get_mut("Message") {
                stringify(v);
            }
        }
        ("events" | "eventbridge", "putEvents") => {
            if let Some(Value::Array(entries)) = p.get_mut("Entries") {
                for e in entries {
                    if let Some(v) = e.get_mut("Detail") {
                        stringify(v);
                    }
                }
            }
        }
        _ => {}
    }
    p
}

fn strip_nulls(m: &mut Map<String, Value>) {
    m.retain(|_, v| !v.is_null());
    for v in m.values_mut() {
        match v {
            Value::Object(o) => strip_nulls(o),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(o) = item {
                        strip_nulls(o);
                    }
                }
            }
            _ => {}
        }
    }
}

/// AWS JSON services send timestamps as epoch seconds; the SDK's output, as
/// Step Functions renders it, has ISO 8601 text. Without the service models,
/// a timestamp is a member named `…Date`, `…Time` or `…Timestamp` whose value
/// is a number of seconds between 2001 and 2286.
fn timestamps_as_text(m: &mut Map<String, Value>) {
    for (k, v) in m.iter_mut() {
        match v {
            Value::Number(n)
                if k.ends_with("Date") || k.ends_with("Time") || k.ends_with("Timestamp") =>
            {
                if let Some(secs) = n.as_f64().filter(|s| (1e9..1e10).contains(s))
                    && let Some(text) = iso_seconds(secs)
                {
                    *v = Value::String(text);
                }
            }
            Value::Object(o) => timestamps_as_text(o),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(o) = item {
                        timestamps_as_text(o);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `2024-05-01T12:00:00Z`, or with `.123` milliseconds when there are some.
fn iso_seconds(secs: f64) -> Option<String> {
    let millis = (secs * 1000.0).round() as i64;
    let ts = jiff::Timestamp::from_millisecond(millis).ok()?;
    Some(if millis % 1000 == 0 {
        ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    })
}

/// Query-protocol parameters: lists as `Name.member.N`, structures as
/// `Name.Field`, and the maps SNS takes as `Name.entry.N.key`/`.value`
/// (`MessageAttributes` as `.Name`/`.Value`).
fn flatten_query(
    service: &str,
    key: String,
    field: &str,
    v: &Value,
    out: &mut Vec<(String, String)>,
) {
    match v {
        Value::Null => {}
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten_query(service, format!("{key}.member.{}", i + 1), field, item, out);
            }
        }
        Value::Object(m) => {
            let map_keys = match (service, field) {
                ("sns", "MessageAttributes") => Some(("Name", "Value")),
                ("sns", "Attributes") => Some(("key", "value")),
                _ => None,
            };
            match map_keys {
                Some((kname, vname)) if !key.ends_with(&format!(".{vname}")) => {
                    for (i, (k, item)) in m.iter().enumerate() {
                        let entry = format!("{key}.entry.{}", i + 1);
                        out.push((format!("{entry}.{kname}"), k.clone()));
                        flatten_query(service, format!("{entry}.{vname}"), "", item, out);
                    }
                }
                _ => {
                    for (k, item) in m {
                        flatten_query(service, format!("{key}.{k}"), k, item, out);
                    }
                }
            }
        }
        Value::String(s) => out.push((key, s.clone())),
        other => out.push((key, other.to_string())),
    }
}

/// `(host[:port], path, query)` of an absolute URL.
fn split_url(url: &str) -> Option<(String, String, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (authority, path_query) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return None;
    }
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    // Default ports are not part of the Host header hyper sends.
    let host = authority
        .strip_suffix(":443")
        .filter(|_| url.starts_with("https://"))
        .or_else(|| {
            authority
                .strip_suffix(":80")
                .filter(|_| url.starts_with("http://"))
        })
        .unwrap_or(authority);
    Some((host.to_string(), path.to_string(), query.to_string()))
}

/// The request id AWS sent (header or body).
fn request_id(response: &Response, body: Option<&xml::Element>) -> String {
    for h in ["x-amzn-requestid", "x-amz-request-id"] {
        if let Some(v) = response.header(h) {
            return v.to_string();
        }
    }
    body.and_then(|b| b.find("RequestId"))
        .map(|e| e.text.clone())
        .unwrap_or_default()
}

/// A service's error answer as a task failure, named and worded as AWS does.
fn service_error(service: &Service, kind: Kind, response: &Response) -> Failure {
    let text = String::from_utf8_lossy(&response.body);
    let (code, message, parsed) = match service.protocol {
        Protocol::Json { .. } => {
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let mut code = v
                .get("__type")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| response.header("x-amzn-errortype").map(str::to_string))
                .unwrap_or_default();
            // SQS's JSON protocol also sends the query-compatible code.
            if let Some(q) = response.header("x-amzn-query-error")
                && let Some((c, _)) = q.split_once(';')
            {
                code = c.to_string();
            }
            let message = v
                .get("message")
                .or_else(|| v.get("Message"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (code, message, None)
        }
        Protocol::Query { .. } | Protocol::S3 => {
            let root = xml::parse(&text);
            let err = root.as_ref().and_then(|r| r.find("Error"));
            let code = err
                .and_then(|e| e.child_text("Code"))
                .map(str::to_string)
                .unwrap_or_else(|| s3_status_code(response.status));
            // An answer without a body (HEAD) has no message: the SDK says "null".
            let message = err
                .and_then(|e| e.child_text("Message"))
                .unwrap_or("null")
                .to_string();
            (code, message, root)
        }
    };
    let code = code.rsplit('#').next().unwrap_or(&code).to_string();
    let code = code.split(':').next().unwrap_or(&code).to_string();
    let id = request_id(response, parsed.as_ref());
    let status = response.status;
    match kind {
        Kind::Optimized => Failure::new(
            services::optimized_error_name(service, &code),
            format!(
                "{message} (Service: {}; Status Code: {status}; Error Code: {code}; Request ID: {id}; Proxy: null)",
                service.v1_name
            ),
        ),
        Kind::Sdk => {
            let mut cause = format!(
                "{message} (Service: {}, Status Code: {status}, Request ID: {id}",
                service.sdk_name
            );
            if service.protocol == Protocol::S3 {
                let ext = response.header("x-amz-id-2").unwrap_or("");
                cause.push_str(&format!(", Extended Request ID: {ext}"));
            }
            cause.push(')');
            Failure::new(services::sdk_error_name(service, &code), cause)
        }
    }
}

/// S3's code for an error answer without a body (HEAD).
fn s3_status_code(status: u16) -> String {
    match status {
        // The SDK's reading of a HEAD object 404.
        404 => "NoSuchKey".into(),
        403 => "Forbidden".into(),
        400 => "BadRequest".into(),
        s => s.to_string(),
    }
}

/// `SdkHttpMetadata` and `SdkResponseMetadata` as the Java SDK v1 reports
/// them in optimized integrations' results; keys sorted as AWS prints them.
fn add_sdk_metadata(out: &mut Map<String, Value>, response: &Response) {
    let mut all = Map::new();
    let mut single = Map::new();
    for (k, v) in &response.headers {
        let name = header_case(k);
        match all
            .entry(name.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(list) => list.push(Value::String(v.clone())),
            slot => *slot = Value::String(v.clone()),
        }
        single
            .entry(name)
            .or_insert_with(|| Value::String(v.clone()));
    }
    let mut http = Map::new();
    http.insert("AllHttpHeaders".into(), Value::Object(all));
    http.insert("HttpHeaders".into(), Value::Object(single));
    http.insert("HttpStatusCode".into(), Value::from(response.status));
    out.insert("SdkHttpMetadata".into(), Value::Object(http));
    let mut meta = Map::new();
    meta.insert(
        "RequestId".into(),
        Value::String(request_id(response, None)),
    );
    out.insert("SdkResponseMetadata".into(), Value::Object(meta));
    out.sort_keys();
}

/// Header names spelled as AWS's services send them (HTTP/1 names arrive
/// lower-cased here): `Content-Type`, `x-amzn-RequestId`.
fn header_case(lower: &str) -> String {
    match lower {
        "x-amzn-requestid" => "x-amzn-RequestId".into(),
        "x-amz-crc32" | "x-amz-id-2" | "x-amz-request-id" => lower.into(),
        l if l.starts_with("x-") => l.into(),
        l => l
            .split('-')
            .map(|part| {
                let mut c = part.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn optimized_put_events_appends_the_execution_and_its_state_machine_to_resources() {
        let request = TaskRequest {
            task: 1,
            state_name: "Send".into(),
            resource: "arn:aws:states:::events:putEvents".into(),
            parameters: Value::Null,
            timeout_seconds: None,
            heartbeat_seconds: None,
            task_token: None,
            caller: Some(std::sync::Arc::new(engine::Caller {
                execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
                state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
            })),
        };
        let mut params = prepare(
            "events",
            "putEvents",
            &json!({"Entries": [
                {"Detail": {"a": 1}, "DetailType": "t", "Source": "s"},
                {"Detail": "x", "DetailType": "t", "Source": "s", "Resources": ["arn:aws:s3:::b"]}
            ]}),
        );
        name_caller(&mut params, &request);
        assert_eq!(
            Value::Object(params),
            json!({"Entries": [
                {"Detail": "{\"a\":1}", "DetailType": "t", "Source": "s", "Resources": [
                    "arn:aws:states:us-east-1:123456789012:execution:m:e",
                    "arn:aws:states:us-east-1:123456789012:stateMachine:m"]},
                {"Detail": "x", "DetailType": "t", "Source": "s", "Resources": [
                    "arn:aws:s3:::b",
                    "arn:aws:states:us-east-1:123456789012:execution:m:e",
                    "arn:aws:states:us-east-1:123456789012:stateMachine:m"]}
            ]})
        );
    }

    #[test]
    fn resources_name_kind_service_and_action() {
        let p = |r: &str| {
            parse_resource(r).map(|(k, s, a)| (k == Kind::Sdk, s.to_string(), a.to_string()))
        };
        assert_eq!(
            p("arn:aws:states:::aws-sdk:dynamodb:putItem").unwrap(),
            (true, "dynamodb".into(), "putItem".into())
        );
        assert_eq!(
            p("arn:aws:states:::sqs:sendMessage.waitForTaskToken").unwrap(),
            (false, "sqs".into(), "sendMessage".into())
        );
        assert!(p("arn:aws:states:::dynamodb:putItem.sync").is_err());
        assert_eq!(pascal("putItem"), "PutItem");
    }

    #[test]
    fn query_parameters_flatten_as_the_query_protocol_wants() {
        let mut out = Vec::new();
        let params = json!({
            "TopicArn": "t",
            "MessageAttributes": {"a": {"DataType": "String", "StringValue": "x"}},
            "Tags": [{"Key": "k", "Value": "v"}]
        });
        for (k, v) in params.as_object().unwrap() {
            flatten_query("sns", k.clone(), k, v, &mut out);
        }
        let got: Vec<String> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            got,
            [
                "TopicArn=t",
                "MessageAttributes.entry.1.Name=a",
                "MessageAttributes.entry.1.Value.DataType=String",
                "MessageAttributes.entry.1.Value.StringValue=x",
                "Tags.member.1.Key=k",
                "Tags.member.1.Value=v",
            ]
        );
    }

    #[test]
    fn json_timestamps_become_iso_text() {
        let mut m = json!({
            "KeyMetadata": {"CreationDate": 1_714_564_800.5, "KeyId": "k"},
            "Items": [{"LastModifiedDate": 1_714_564_800}],
            "ExecutionTime": 42,
            "Count": 1_714_564_800
        })
        .as_object()
        .cloned()
        .unwrap();
        timestamps_as_text(&mut m);
        assert_eq!(
            Value::Object(m),
            json!({
                "KeyMetadata": {"CreationDate": "2024-05-01T12:00:00.500Z", "KeyId": "k"},
                "Items": [{"LastModifiedDate": "2024-05-01T12:00:00Z"}],
                "ExecutionTime": 42,
                "Count": 1_714_564_800
            })
        );
    }

    #[test]
    fn urls_split_into_host_path_and_query() {
        assert_eq!(
            split_url("http://127.0.0.1:5000/").unwrap(),
            ("127.0.0.1:5000".into(), "/".into(), String::new())
        );
        assert_eq!(
            split_url("https://s3.us-east-1.amazonaws.com:443/b/k?list-type=2").unwrap(),
            (
                "s3.us-east-1.amazonaws.com".into(),
                "/b/k".into(),
                "list-type=2".into()
            )
        );
    }
}
