//! `arn:aws:states:::http:invoke`: the HTTP task.
//!
//! Parameters as on AWS: `ApiEndpoint`, `Method`, `Headers`, `QueryParameters`,
//! `RequestBody`, `Transform` (`RequestBodyEncoding` `NONE`/`URL_ENCODED`,
//! `RequestEncodingOptions.ArrayFormat` `INDICES` (default)/`BRACKETS`/
//! `REPEAT`/`COMMAS`) and `Authentication.ConnectionArn`, which names a
//! `[[connections]]` entry of the config file by the `<name>` part of
//! `arn:aws:events:<region>:<account>:connection/<name>/<id>` (a bare name
//! works too; without `Authentication` the request goes unauthenticated).
//!
//! The result is `{Headers, ResponseBody, StatusCode, StatusText}`: header
//! names lower-case with a list of values each, the body parsed when the
//! response says it is JSON. A status outside 2xx fails the task with
//! `States.Http.StatusCode.<code>` and that same result, as JSON text, for
//! cause. No answer within 60 s is `States.Http.Socket`, as on AWS.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Map, Value};

use crate::client::{HttpClient, Request, SendError};
use crate::config::{Authorization, Connection};
use crate::sigv4::uri_encode;
use runtime::{BoxFuture, Invoker, TaskOutcome, TaskRequest};

/// Headers a definition may not set (AWS's list for HTTP tasks).
const FORBIDDEN_HEADERS: &[&str] = &[
    "a-im",
    "accept-charset",
    "accept-datetime",
    "accept-encoding",
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-length",
    "content-md5",
    "date",
    "expect",
    "forwarded",
    "from",
    "host",
    "http2-settings",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "origin",
    "pragma",
    "proxy-authorization",
    "referer",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "via",
    "warning",
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/// The HTTP task integration.
pub struct HttpInvoker {
    client: HttpClient,
    connections: HashMap<String, Connection>,
    region: String,
    /// OAuth access tokens by connection name, with when they expire.
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

impl HttpInvoker {
    pub fn new(
        client: HttpClient,
        connections: Vec<Connection>,
        region: impl Into<String>,
    ) -> Self {
        HttpInvoker {
            client,
            connections: connections
                .into_iter()
                .map(|c| (c.name.clone(), c))
                .collect(),
            region: region.into(),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    async fn call(&self, params: &Value) -> Result<Value, Failure> {
        let Some(params) = params.as_object() else {
            return Err(runtime_error(
                "The HTTP task's Parameters must be an object",
            ));
        };
        let endpoint = params
            .get("ApiEndpoint")
            .and_then(Value::as_str)
            .ok_or_else(|| runtime_error("The HTTP task needs ApiEndpoint (a string)"))?;
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(runtime_error(format!(
                "ApiEndpoint '{endpoint}' is not an http:// or https:// URL"
            )));
        }
        let method = params
            .get("Method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .ok_or_else(|| runtime_error("The HTTP task needs Method (a string)"))?;
        if !METHODS.contains(&method.as_str()) {
            return Err(runtime_error(format!(
                "Method '{method}' is not one of {}",
                METHODS.join(", ")
            )));
        }
        let connection = match params.get("Authentication") {
            None | Some(Value::Null) => None,
            Some(auth) => {
                let arn = auth
                    .get("ConnectionArn")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        runtime_error("Authentication needs ConnectionArn (a string)")
                    })?;
                Some(self.connection(arn)?)
            }
        };

        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(h) = params.get("Headers") {
            let h = h
                .as_object()
                .ok_or_else(|| runtime_error("Headers must be an object"))?;
            for (name, value) in h {
                let lower = name.to_ascii_lowercase();
                if FORBIDDEN_HEADERS.contains(&lower.as_str())
                    || lower.starts_with("x-amz-")
                    || lower.starts_with("x-amzn-")
                    || lower.starts_with("x-forwarded-")
                {
                    return Err(runtime_error(format!(
                        "The header '{name}' cannot be set in an HTTP task"
                    )));
                }
                headers.push((name.clone(), scalar_list(value, ",")));
            }
        }

        let mut query: Vec<(String, String)> = Vec::new();
        if let Some(q) = params.get("QueryParameters") {
            let q = q
                .as_object()
                .ok_or_else(|| runtime_error("QueryParameters must be an object"))?;
            for (name, value) in q {
                match value {
                    Value::Array(items) => {
                        for item in items {
                            query.push((name.clone(), scalar(item)));
                        }
                    }
                    v => query.push((name.clone(), scalar(v))),
                }
            }
        }

        let (url_encoded, array_format) = transform(params.get("Transform"))?;
        let mut body = params.get("RequestBody").cloned();

        if let Some(c) = connection {
            for (k, v) in &c.headers {
                headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
                headers.push((k.clone(), v.clone()));
            }
            for (k, v) in &c.query_parameters {
                query.retain(|(q, _)| q != k);
                query.push((k.clone(), v.clone()));
            }
            if !c.body_parameters.is_empty() {
                let mut merged = match body.take() {
                    None | Some(Value::Null) => Map::new(),
                    Some(Value::Object(m)) => m,
                    Some(_) => {
                        return Err(runtime_error(
                            "The connection adds body parameters, so RequestBody must be an object",
                        ));
                    }
                };
                for (k, v) in &c.body_parameters {
                    merged.insert(k.clone(), Value::String(v.clone()));
                }
                body = Some(Value::Object(merged));
            }
            let (name, value) = self.auth_header(c).await?;
            headers.retain(|(h, _)| !h.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }

        let body_bytes: Vec<u8> = match body {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.into_bytes(),
            Some(v) if url_encoded => {
                set_default(
                    &mut headers,
                    "content-type",
                    "application/x-www-form-urlencoded",
                );
                form_encode(&v, array_format).into_bytes()
            }
            Some(v) => {
                set_default(
                    &mut headers,
                    "content-type",
                    "application/json; charset=UTF-8",
                );
                v.to_string().into_bytes()
            }
        };
        if method == "HEAD" && !body_bytes.is_empty() {
            return Err(runtime_error("A HEAD request cannot have a RequestBody"));
        }
        headers.push((
            "user-agent".into(),
            format!("Amazon|StepFunctions|HttpInvoke|{}", self.region),
        ));
        headers.push(("range".into(), "bytes=0-262144".into()));

        let mut url = endpoint.to_string();
        if !query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(
                &query
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}={}",
                            uri_encode(k.as_bytes(), false),
                            uri_encode(v.as_bytes(), false)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("&"),
            );
        }
        let response = self
            .client
            .send(Request {
                method,
                url,
                headers,
                body: body_bytes,
            })
            .await
            .map_err(|e| match e {
                SendError::Timeout => {
                    Failure::new("States.Http.Socket", "The HTTP request timed out")
                }
                SendError::TooLarge => Failure::new(
                    "States.DataLimitExceeded",
                    "The HTTP response exceeds the maximum size",
                ),
                SendError::Invalid(m) => runtime_error(m),
                SendError::Transport(m) => Failure::new("States.Http.Socket", m),
            })?;

        let mut grouped: Map<String, Value> = Map::new();
        for (k, v) in &response.headers {
            match grouped
                .entry(k.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(list) => list.push(Value::String(v.clone())),
                _ => unreachable!("header values are lists"),
            }
        }
        let text = String::from_utf8_lossy(&response.body).into_owned();
        let is_json = response.header("content-type").is_some_and(|ct| {
            let media = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            media == "application/json" || media.ends_with("+json")
        });
        let response_body = if is_json {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        } else {
            Value::String(text)
        };
        let mut out = Map::new();
        out.insert("Headers".into(), Value::Object(grouped));
        out.insert("ResponseBody".into(), response_body);
        out.insert("StatusCode".into(), Value::from(response.status));
        out.insert("StatusText".into(), Value::String(response.reason.clone()));
        let out = Value::Object(out);
        if (200..300).contains(&response.status) {
            Ok(out)
        } else {
            Err(Failure::new(
                format!("States.Http.StatusCode.{}", response.status),
                out.to_string(),
            ))
        }
    }

    fn connection(&self, arn: &str) -> Result<&Connection, Failure> {
        // arn:aws:events:<region>:<account>:connection/<name>/<id>, or a name.
        let name = match arn.split_once(":connection/") {
            Some((_, rest)) => rest.split('/').next().unwrap_or(""),
            None => arn,
        };
        self.connections.get(name).ok_or_else(|| {
            Failure::new(
                "Events.ConnectionResource.ResourceNotFound",
                format!("Connection '{arn}' does not exist: no [[connections]] entry named '{name}' in the config file"),
            )
        })
    }

    /// The header that authorizes a request through `c`.
    async fn auth_header(&self, c: &Connection) -> Result<(String, String), Failure> {
        let get = |v: &Option<String>| v.clone().unwrap_or_default();
        let bearer = |token: &str| ("authorization".to_string(), format!("Bearer {token}"));
        match c.authorization {
            Authorization::ApiKey => Ok((get(&c.api_key_name), get(&c.api_key_value))),
            Authorization::Basic => Ok((
                "authorization".to_string(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        get(&c.username),
                        get(&c.password)
                    ))
                ),
            )),
            Authorization::OauthClientCredentials => {
                if let Some((token, until)) = self.tokens.lock().expect("token cache").get(&c.name)
                    && *until > Instant::now()
                {
                    return Ok(bearer(token));
                }
                let (token, ttl) = self.fetch_token(c).await?;
                self.tokens
                    .lock()
                    .expect("token cache")
                    .insert(c.name.clone(), (token.clone(), Instant::now() + ttl));
                Ok(bearer(&token))
            }
        }
    }

    /// Asks the connection's token endpoint for a client-credentials token.
    async fn fetch_token(&self, c: &Connection) -> Result<(String, Duration), Failure> {
        let endpoint = c.authorization_endpoint.clone().unwrap_or_default();
        let method = c
            .http_method
            .clone()
            .unwrap_or_else(|| "POST".into())
            .to_ascii_uppercase();
        let mut form = vec![("grant_type".to_string(), "client_credentials".to_string())];
        form.extend(
            c.oauth_body_parameters
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let encoded = form
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
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            c.client_id.clone().unwrap_or_default(),
            c.client_secret.clone().unwrap_or_default()
        ));
        let (url, body) = if method == "GET" {
            let sep = if endpoint.contains('?') { '&' } else { '?' };
            (format!("{endpoint}{sep}{encoded}"), Vec::new())
        } else {
            (endpoint.clone(), encoded.into_bytes())
        };
        let refused = |why: String| {
            Failure::new(
                "Events.ConnectionResource.AuthInvalidResponse",
                format!(
                    "The authorization endpoint of connection '{}' gave no access token: {why}",
                    c.name
                ),
            )
        };
        let response = self
            .client
            .send(Request {
                method,
                url,
                headers: vec![
                    ("authorization".into(), format!("Basic {basic}")),
                    (
                        "content-type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ),
                    ("accept".into(), "application/json".into()),
                ],
                body,
            })
            .await
            .map_err(|e| refused(e.to_string()))?;
        if !(200..300).contains(&response.status) {
            return Err(refused(format!("HTTP {}", response.status)));
        }
        let v: Value = serde_json::from_slice(&response.body)
            .map_err(|_| refused("the answer is not JSON".into()))?;
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| refused("no access_token in the answer".into()))?;
        let ttl = v.get("expires_in").and_then(Value::as_u64).unwrap_or(3600);
        // Renew a little before the endpoint's expiry.
        Ok((
            token.to_string(),
            Duration::from_secs(ttl.saturating_sub(30).max(1)),
        ))
    }
}

impl Invoker for HttpInvoker {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        Box::pin(async move {
            match self.call(&request.parameters).await {
                Ok(v) => TaskOutcome::Succeeded(v),
                Err(f) => f.into_outcome(),
            }
        })
    }
}

/// A task failure: error name and cause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub error: String,
    pub cause: String,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: error.into(),
            cause: cause.into(),
        }
    }

    pub fn into_outcome(self) -> TaskOutcome {
        TaskOutcome::Failed {
            error: Some(self.error),
            cause: Some(self.cause),
        }
    }
}

fn runtime_error(cause: impl Into<String>) -> Failure {
    Failure::new("States.Runtime", cause)
}

/// `Transform`: (URL-encode the body?, array format).
fn transform(t: Option<&Value>) -> Result<(bool, ArrayFormat), Failure> {
    let Some(t) = t.filter(|t| !t.is_null()) else {
        return Ok((false, ArrayFormat::Indices));
    };
    let url_encoded = match t.get("RequestBodyEncoding").and_then(Value::as_str) {
        None | Some("NONE") => false,
        Some("URL_ENCODED") => true,
        Some(other) => {
            return Err(runtime_error(format!(
                "RequestBodyEncoding '{other}' is not NONE or URL_ENCODED"
            )));
        }
    };
    let format = match t
        .get("RequestEncodingOptions")
        .and_then(|o| o.get("ArrayFormat"))
        .and_then(Value::as_str)
    {
        None | Some("INDICES") => ArrayFormat::Indices,
        Some("BRACKETS") => ArrayFormat::Brackets,
        Some("REPEAT") => ArrayFormat::Repeat,
        Some("COMMAS") => ArrayFormat::Commas,
        Some(other) => {
            return Err(runtime_error(format!(
                "ArrayFormat '{other}' is not INDICES, BRACKETS, REPEAT or COMMAS"
            )));
        }
    };
    Ok((url_encoded, format))
}

/// How URL encoding writes arrays: `{"a":["x","y"]}` as `a[0]=x&a[1]=y`
/// (INDICES), `a[]=x&a[]=y` (BRACKETS), `a=x&a=y` (REPEAT), `a=x,y` (COMMAS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayFormat {
    Indices,
    Brackets,
    Repeat,
    Commas,
}

/// A JSON value as `application/x-www-form-urlencoded` text; nested objects
/// as `parent[child]=…`.
pub fn form_encode(v: &Value, format: ArrayFormat) -> String {
    let mut pairs = Vec::new();
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(k.clone(), v, format, &mut pairs);
            }
        }
        other => pairs.push((String::new(), scalar(other))),
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_component(k), form_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn flatten(key: String, v: &Value, format: ArrayFormat, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(format!("{key}[{k}]"), v, format, out);
            }
        }
        Value::Array(items) => match format {
            ArrayFormat::Commas if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                out.push((key, items.iter().map(scalar).collect::<Vec<_>>().join(",")));
            }
            _ => {
                for (i, item) in items.iter().enumerate() {
                    let k = match format {
                        ArrayFormat::Brackets => format!("{key}[]"),
                        ArrayFormat::Repeat => key.clone(),
                        ArrayFormat::Indices | ArrayFormat::Commas => format!("{key}[{i}]"),
                    };
                    flatten(k, item, format, out);
                }
            }
        },
        v => out.push((key, scalar(v))),
    }
}

/// Percent-encodes a form key or value, keeping brackets readable.
fn form_component(s: &str) -> String {
    uri_encode(s.as_bytes(), false)
        .replace("%5B", "[")
        .replace("%5D", "]")
}

/// A scalar as text (strings without quotes, `null` empty).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A scalar, or a list of them joined by `sep`.
fn scalar_list(v: &Value, sep: &str) -> String {
    match v {
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(sep),
        v => scalar(v),
    }
}

fn set_default(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
        headers.push((name.to_string(), value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_encoding_writes_arrays_in_each_format() {
        let body = json!({"array": ["a", "b"], "name": "x y", "o": {"k": 1}});
        assert_eq!(
            form_encode(&body, ArrayFormat::Indices),
            "array[0]=a&array[1]=b&name=x%20y&o[k]=1"
        );
        assert_eq!(
            form_encode(&body, ArrayFormat::Brackets),
            "array[]=a&array[]=b&name=x%20y&o[k]=1"
        );
        assert_eq!(
            form_encode(&body, ArrayFormat::Repeat),
            "array=a&array=b&name=x%20y&o[k]=1"
        );
        assert_eq!(
            form_encode(&body, ArrayFormat::Commas),
            "array=a%2Cb&name=x%20y&o[k]=1"
        );
    }
}
