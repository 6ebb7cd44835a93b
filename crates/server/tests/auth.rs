//! Authentication through HTTP: a server with credentials accepts requests
//! signed with them and refuses the rest with AWS's codes.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue};
use common::TestServer;
use server::auth::{Credential, SignedRequest, Verifier, sign};

fn amz_now() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Days → civil date (the same algorithm the server uses).
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Posts a ListActivities signed with `key`/`secret` (unsigned when `None`).
fn post(s: &TestServer, creds: Option<(&str, &str)>) -> (u16, String) {
    let body = b"{}";
    let host = format!("127.0.0.1:{}", s.port);
    let date = amz_now();
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_str(&host).unwrap());
    h.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    h.insert("x-amz-date", HeaderValue::from_str(&date).unwrap());
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("AWSStepFunctions.ListActivities"),
    );
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Date: {date}\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some((key, secret)) = creds {
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: None,
            headers: &h,
            body,
        };
        let auth = sign(
            &req,
            &["content-type", "host", "x-amz-date", "x-amz-target"],
            key,
            secret,
            "us-east-1",
            "states",
            &date,
        );
        head.push_str(&format!("Authorization: {auth}\r\n"));
    }
    head.push_str("\r\n");
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(body).unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (
        head.split(' ').nth(1).unwrap().parse().unwrap(),
        body.to_string(),
    )
}

#[test]
fn signed_requests_pass_and_the_rest_get_aws_errors() {
    let mut keys = HashMap::new();
    keys.insert(
        "AKIDTEST".to_string(),
        Credential {
            secret_access_key: "secret".into(),
            session_token: None,
        },
    );
    let s = TestServer::start_with(
        server::Config {
            auth: Some(Arc::new(Verifier::new(keys, "us-east-1", "states"))),
            ..server::Config::default()
        },
        runtime::RuntimeConfig::default(),
    );
    assert_eq!(
        post(&s, Some(("AKIDTEST", "secret"))),
        (200, r#"{"activities":[]}"#.to_string())
    );
    let (status, body) = post(&s, Some(("AKIDTEST", "wrong")));
    assert_eq!(status, 400);
    assert!(
        body.contains("com.amazon.coral.service#InvalidSignatureException"),
        "{body}"
    );
    let (status, body) = post(&s, Some(("AKIDOTHER", "secret")));
    assert_eq!(status, 400);
    assert!(body.contains("#UnrecognizedClientException"), "{body}");
    let (status, body) = post(&s, None);
    assert_eq!(status, 400);
    assert!(
        body.contains("#MissingAuthenticationTokenException"),
        "{body}"
    );
    // The test client's own calls are unsigned and refused too.
    let (code, _) = s.error("ListActivities", serde_json::json!({}));
    assert_eq!(code, "MissingAuthenticationTokenException");
}
