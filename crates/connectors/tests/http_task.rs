//! The HTTP task against a real HTTP server on loopback (axum on an ephemeral
//! port): methods, headers, query parameters, JSON and URL-encoded bodies,
//! connections (API key, basic, OAuth client credentials with its token
//! endpoint), non-2xx answers and a server that never answers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{any, post};
use connectors::config::{Authorization, Connection};
use connectors::{HttpClient, HttpInvoker};
use runtime::{Invoker, TaskOutcome, TaskRequest};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Seen {
    token_requests: Arc<AtomicUsize>,
}

/// Answers with what it received.
async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or(""))))
        .collect();
    (
        [("content-type", "application/json"), ("x-echo", "yes")],
        json!({
            "method": method.as_str(),
            "path": uri.path(),
            "query": uri.query().unwrap_or(""),
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
        })
        .to_string(),
    )
}

async fn status(Path(code): Path<u16>) -> impl IntoResponse {
    (
        StatusCode::from_u16(code).unwrap(),
        [("content-type", "application/json")],
        json!({"message": format!("answered {code}")}).to_string(),
    )
}

async fn text() -> impl IntoResponse {
    ([("content-type", "text/plain")], "plain words")
}

async fn slow() -> impl IntoResponse {
    tokio::time::sleep(Duration::from_secs(30)).await;
    "late"
}

/// An OAuth client-credentials token endpoint for client `c1`/`s1`.
async fn token(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    seen.token_requests.fetch_add(1, Ordering::SeqCst);
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // base64("c1:s1")
    if basic != "Basic YzE6czE="
        || !String::from_utf8_lossy(&body).contains("grant_type=client_credentials")
    {
        return (StatusCode::UNAUTHORIZED, "no".to_string());
    }
    (
        StatusCode::OK,
        json!({"access_token": "tok-123", "token_type": "bearer", "expires_in": 3600}).to_string(),
    )
}

async fn start_server() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/echo/{*rest}", any(echo))
        .route("/status/{code}", any(status))
        .route("/text", any(text))
        .route("/slow", any(slow))
        .route("/token", post(token))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn connection(name: &str, authorization: Authorization) -> Connection {
    Connection {
        name: name.into(),
        authorization,
        api_key_name: None,
        api_key_value: None,
        username: None,
        password: None,
        authorization_endpoint: None,
        http_method: None,
        client_id: None,
        client_secret: None,
        oauth_body_parameters: BTreeMap::new(),
        headers: BTreeMap::new(),
        query_parameters: BTreeMap::new(),
        body_parameters: BTreeMap::new(),
    }
}

fn invoker(base: &str, timeout: Duration) -> HttpInvoker {
    let mut key = connection("keyed", Authorization::ApiKey);
    key.api_key_name = Some("x-api-key".into());
    key.api_key_value = Some("k-1".into());
    key.headers.insert("x-tenant".into(), "acme".into());
    key.query_parameters.insert("tenant".into(), "acme".into());
    key.body_parameters
        .insert("source".into(), "stepwise".into());
    let mut basic = connection("basic", Authorization::Basic);
    basic.username = Some("user".into());
    basic.password = Some("pass".into());
    let mut oauth = connection("oauth", Authorization::OauthClientCredentials);
    oauth.authorization_endpoint = Some(format!("{base}/token"));
    oauth.client_id = Some("c1".into());
    oauth.client_secret = Some("s1".into());
    let mut bad_oauth = oauth.clone();
    bad_oauth.name = "bad-oauth".into();
    bad_oauth.client_secret = Some("wrong".into());
    HttpInvoker::new(
        HttpClient::new(timeout, 1 << 20),
        vec![key, basic, oauth, bad_oauth],
        "us-east-1",
    )
}

async fn call(inv: &HttpInvoker, params: Value) -> TaskOutcome {
    inv.invoke(TaskRequest {
        task: 1,
        state_name: "Call".into(),
        resource: "arn:aws:states:::http:invoke".into(),
        parameters: params,
        timeout_seconds: None,
        heartbeat_seconds: None,
        task_token: None,
        caller: None,
    })
    .await
}

fn succeeded(o: TaskOutcome) -> Value {
    match o {
        TaskOutcome::Succeeded(v) => v,
        other => panic!("expected success, got {other:?}"),
    }
}

fn failed(o: TaskOutcome) -> (String, String) {
    match o {
        TaskOutcome::Failed { error, cause } => {
            (error.unwrap_or_default(), cause.unwrap_or_default())
        }
        other => panic!("expected failure, got {other:?}"),
    }
}

const ARN: &str =
    "arn:aws:events:us-east-1:123456789012:connection/keyed/0f3c1a2b-1111-2222-3333-444455556666";

#[tokio::test]
async fn methods_headers_query_and_json_bodies_reach_the_server() {
    let (base, _) = start_server().await;
    let inv = invoker(&base, Duration::from_secs(10));
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let out = succeeded(
            call(
                &inv,
                json!({
                    "ApiEndpoint": format!("{base}/echo/items?fixed=1"),
                    "Method": method,
                    "Headers": {"X-Custom": "v1", "Accept": ["application/json", "text/plain"]},
                    "QueryParameters": {"q": "a b&c", "tags": ["x", "y"]},
                    "RequestBody": {"order": 7, "items": ["a"]},
                }),
            )
            .await,
        );
        assert_eq!(out["StatusCode"], 200);
        assert_eq!(out["StatusText"], "OK");
        assert_eq!(out["Headers"]["x-echo"], json!(["yes"]));
        let body = &out["ResponseBody"];
        assert_eq!(body["method"], method);
        assert_eq!(body["path"], "/echo/items");
        assert_eq!(body["query"], "fixed=1&q=a%20b%26c&tags=x&tags=y");
        assert_eq!(body["headers"]["x-custom"], "v1");
        assert_eq!(body["headers"]["accept"], "application/json,text/plain");
        assert_eq!(
            body["headers"]["user-agent"],
            "Amazon|StepFunctions|HttpInvoke|us-east-1"
        );
        assert_eq!(
            body["headers"]["content-type"],
            "application/json; charset=UTF-8"
        );
        assert_eq!(body["body"], r#"{"order":7,"items":["a"]}"#);
    }
    // HEAD has no body to parse.
    let out = succeeded(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "HEAD"}),
        )
        .await,
    );
    assert_eq!(out["StatusCode"], 200);
    assert_eq!(out["ResponseBody"], "");
    // A non-JSON answer stays text; a string body goes as it is.
    let out = succeeded(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/text"), "Method": "POST", "RequestBody": "raw"}),
        )
        .await,
    );
    assert_eq!(out["ResponseBody"], "plain words");
}

#[tokio::test]
async fn url_encoded_bodies_follow_the_array_format() {
    let (base, _) = start_server().await;
    let inv = invoker(&base, Duration::from_secs(10));
    for (format, expected) in [
        (None, "name=J%20Doe&arr[0]=a&arr[1]=b&o[k]=v"),
        (Some("INDICES"), "name=J%20Doe&arr[0]=a&arr[1]=b&o[k]=v"),
        (Some("BRACKETS"), "name=J%20Doe&arr[]=a&arr[]=b&o[k]=v"),
        (Some("REPEAT"), "name=J%20Doe&arr=a&arr=b&o[k]=v"),
        (Some("COMMAS"), "name=J%20Doe&arr=a%2Cb&o[k]=v"),
    ] {
        let mut transform = json!({"RequestBodyEncoding": "URL_ENCODED"});
        if let Some(f) = format {
            transform["RequestEncodingOptions"] = json!({"ArrayFormat": f});
        }
        let out = succeeded(
            call(
                &inv,
                json!({
                    "ApiEndpoint": format!("{base}/echo"),
                    "Method": "POST",
                    "RequestBody": {"name": "J Doe", "arr": ["a", "b"], "o": {"k": "v"}},
                    "Transform": transform,
                }),
            )
            .await,
        );
        let body = &out["ResponseBody"];
        assert_eq!(body["body"], expected, "{format:?}");
        assert_eq!(
            body["headers"]["content-type"],
            "application/x-www-form-urlencoded"
        );
    }
    let (error, _) = failed(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "POST", "RequestBody": {},
                   "Transform": {"RequestBodyEncoding": "BASE64"}}),
        )
        .await,
    );
    assert_eq!(error, "States.Runtime");
}

#[tokio::test]
async fn connections_authorize_requests() {
    let (base, seen) = start_server().await;
    let inv = invoker(&base, Duration::from_secs(10));
    // API key, with the connection's own header, query and body parameters.
    let out = succeeded(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "POST",
                   "Authentication": {"ConnectionArn": ARN}, "RequestBody": {"a": 1}}),
        )
        .await,
    );
    let body = &out["ResponseBody"];
    assert_eq!(body["headers"]["x-api-key"], "k-1");
    assert_eq!(body["headers"]["x-tenant"], "acme");
    assert_eq!(body["query"], "tenant=acme");
    assert_eq!(body["body"], r#"{"a":1,"source":"stepwise"}"#);
    // Basic.
    let out = succeeded(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "GET",
                   "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/basic/abc"}}),
        )
        .await,
    );
    // base64("user:pass")
    assert_eq!(
        out["ResponseBody"]["headers"]["authorization"],
        "Basic dXNlcjpwYXNz"
    );
    // OAuth: one token request, the token reused for the next call.
    for _ in 0..2 {
        let out = succeeded(
            call(
                &inv,
                json!({"ApiEndpoint": format!("{base}/echo"), "Method": "GET",
                       "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/oauth/abc"}}),
            )
            .await,
        );
        assert_eq!(
            out["ResponseBody"]["headers"]["authorization"],
            "Bearer tok-123"
        );
    }
    assert_eq!(seen.token_requests.load(Ordering::SeqCst), 1);
    let (error, cause) = failed(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "GET",
                   "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/bad-oauth/abc"}}),
        )
        .await,
    );
    assert_eq!(error, "Events.ConnectionResource.AuthInvalidResponse");
    assert!(cause.contains("401"), "{cause}");
    // Unknown connection.
    let (error, _) = failed(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "GET",
                   "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/nope/abc"}}),
        )
        .await,
    );
    assert_eq!(error, "Events.ConnectionResource.ResourceNotFound");
    // A definition may not set Authorization itself.
    let (error, cause) = failed(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "GET", "Headers": {"Authorization": "x"}}),
        )
        .await,
    );
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("Authorization"), "{cause}");
}

#[tokio::test]
async fn non_2xx_answers_fail_with_the_status_code_and_the_response_as_cause() {
    let (base, _) = start_server().await;
    let inv = invoker(&base, Duration::from_secs(10));
    for code in [400u16, 404, 429, 500, 503] {
        let (error, cause) = failed(
            call(
                &inv,
                json!({"ApiEndpoint": format!("{base}/status/{code}"), "Method": "GET"}),
            )
            .await,
        );
        assert_eq!(error, format!("States.Http.StatusCode.{code}"));
        let cause: Value = serde_json::from_str(&cause).expect("the cause is the response as JSON");
        assert_eq!(cause["StatusCode"], code);
        assert_eq!(cause["ResponseBody"]["message"], format!("answered {code}"));
        assert_eq!(
            cause["StatusText"],
            StatusCode::from_u16(code)
                .unwrap()
                .canonical_reason()
                .unwrap()
        );
    }
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_is_a_socket_error() {
    let (base, _) = start_server().await;
    let inv = invoker(&base, Duration::from_millis(300));
    let (error, _) = failed(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/slow"), "Method": "GET"}),
        )
        .await,
    );
    assert_eq!(error, "States.Http.Socket");
    // Nothing listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let (error, _) = failed(
        call(
            &inv,
            json!({"ApiEndpoint": format!("http://{closed}/"), "Method": "GET"}),
        )
        .await,
    );
    assert_eq!(error, "States.Http.Socket");
    let (error, _) = failed(call(&inv, json!({"ApiEndpoint": "ftp://x", "Method": "GET"})).await);
    assert_eq!(error, "States.Runtime");
    let (error, _) = failed(
        call(
            &inv,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "FETCH"}),
        )
        .await,
    );
    assert_eq!(error, "States.Runtime");
}
