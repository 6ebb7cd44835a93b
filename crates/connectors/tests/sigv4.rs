//! Our SigV4 signer checked by the server's SigV4 verifier (written apart
//! from it) over real HTTP: AWS JSON and query requests, session tokens, and
//! a wrong secret refused with AWS's error surfacing as the task's failure.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::post;
use connectors::config::{ServiceConfig, Settings};
use connectors::{AwsInvoker, HttpClient};
use runtime::{Invoker, TaskOutcome, TaskRequest};
use serde_json::{Value, json};
use server::auth::{Credential, SignedRequest, Verifier};

async fn check(
    State(verifiers): State<Arc<HashMap<String, Verifier>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    // The signing service is the scope's fourth part; pick its verifier.
    let service = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split('/').nth(3))
        .unwrap_or("")
        .to_string();
    let Some(verifier) = verifiers.get(&service) else {
        return (
            StatusCode::BAD_REQUEST,
            json!({"__type": "UnknownService"}).to_string(),
        );
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let req = SignedRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers: &headers,
        body: &body,
    };
    let form = headers.get("content-type").is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    match verifier.verify(&req, now) {
        // The query protocol answers XML.
        Ok(key) if form => (
            StatusCode::OK,
            format!(
                "<PublishResponse><PublishResult><MessageId>{key}</MessageId></PublishResult></PublishResponse>"
            ),
        ),
        Ok(key) => (
            StatusCode::OK,
            json!({"TableNames": [key], "Body": String::from_utf8_lossy(&body)}).to_string(),
        ),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap(),
            json!({"__type": e.code, "message": e.message}).to_string(),
        ),
    }
}

async fn server() -> String {
    let mut keys = HashMap::new();
    keys.insert(
        "AKIDGOOD".to_string(),
        Credential {
            secret_access_key: "good-secret".into(),
            session_token: None,
        },
    );
    keys.insert(
        "ASIATEMP".to_string(),
        Credential {
            secret_access_key: "temp-secret".into(),
            session_token: Some("the-session-token".into()),
        },
    );
    let mut verifiers = HashMap::new();
    for service in ["dynamodb", "sns"] {
        verifiers.insert(
            service.to_string(),
            Verifier::new(keys.clone(), "eu-west-1", service),
        );
    }
    let app = Router::new()
        .route("/", post(check))
        .with_state(Arc::new(verifiers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn invoker(endpoint: &str, id: &str, secret: &str, token: Option<&str>) -> AwsInvoker {
    let mut services = std::collections::BTreeMap::new();
    for name in ["dynamodb", "sns"] {
        services.insert(
            name.to_string(),
            ServiceConfig {
                endpoint: Some(endpoint.to_string()),
                access_key_id: Some(id.into()),
                secret_access_key: Some(secret.into()),
                session_token: token.map(str::to_string),
                ..ServiceConfig::default()
            },
        );
    }
    let settings = Settings {
        connections: Vec::new(),
        services,
        region: "eu-west-1".into(),
        default_credentials: None,
        extra_roots: Vec::new(),
    };
    AwsInvoker::new(HttpClient::default(), &settings)
}

async fn call(inv: &AwsInvoker, resource: &str, params: Value) -> TaskOutcome {
    inv.invoke(TaskRequest {
        task: 1,
        state_name: "S".into(),
        resource: resource.into(),
        parameters: params,
        timeout_seconds: None,
        heartbeat_seconds: None,
        task_token: None,
        caller: None,
    })
    .await
}

#[tokio::test]
async fn signed_requests_verify_and_a_wrong_secret_is_refused() {
    let endpoint = server().await;
    let good = invoker(&endpoint, "AKIDGOOD", "good-secret", None);
    match call(
        &good,
        "arn:aws:states:::aws-sdk:dynamodb:listTables",
        json!({"Limit": 5, "Note": "späce & ünïcode"}),
    )
    .await
    {
        TaskOutcome::Succeeded(v) => assert_eq!(v["TableNames"], json!(["AKIDGOOD"])),
        other => panic!("{other:?}"),
    }
    let temp = invoker(
        &endpoint,
        "ASIATEMP",
        "temp-secret",
        Some("the-session-token"),
    );
    match call(
        &temp,
        "arn:aws:states:::aws-sdk:dynamodb:listTables",
        json!({}),
    )
    .await
    {
        TaskOutcome::Succeeded(v) => assert_eq!(v["TableNames"], json!(["ASIATEMP"])),
        other => panic!("{other:?}"),
    }
    // The query protocol signs its form body.
    match call(
        &good,
        "arn:aws:states:::sns:publish",
        json!({"TopicArn": "arn:aws:sns:eu-west-1:1:t", "Message": {"a": "b c"}}),
    )
    .await
    {
        TaskOutcome::Failed { error, cause } => panic!("signature refused: {error:?} {cause:?}"),
        TaskOutcome::Succeeded(v) => assert_eq!(v["MessageId"], "AKIDGOOD"),
        other => panic!("{other:?}"),
    }
    let bad = invoker(&endpoint, "AKIDGOOD", "wrong-secret", None);
    match call(
        &bad,
        "arn:aws:states:::aws-sdk:dynamodb:listTables",
        json!({}),
    )
    .await
    {
        TaskOutcome::Failed { error, cause } => {
            assert_eq!(error.as_deref(), Some("DynamoDb.DynamoDbException"));
            let cause = cause.unwrap();
            assert!(
                cause.contains("(Service: DynamoDb, Status Code: 400"),
                "{cause}"
            );
            assert!(cause.contains("signature"), "{cause}");
        }
        other => panic!("{other:?}"),
    }
}
