//! The web UI's routes on a real server: its page at `GET /` (the API stays
//! `POST /`), and `GET /ui-api/executions` — listing across state machines,
//! filters, content search and pagination.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ROLE, TestServer, machine_arn, pass_definition};
use serde_json::{Value, json};

/// `GET path`: status, content type, body.
fn get(s: &TestServer, path: &str) -> (u16, String, String) {
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let ctype = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, ctype, body.to_string())
}

fn list(s: &TestServer, query: &str) -> Value {
    let (status, ctype, body) = get(s, &format!("/ui-api/executions?{query}"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(ctype, "application/json");
    serde_json::from_str(&body).unwrap()
}

fn names(v: &Value) -> Vec<String> {
    v["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

fn wait_all_done(s: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if names(&list(s, "status=RUNNING")).is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("executions still running");
}

#[test]
fn the_page_is_served_and_the_api_stays_on_post() {
    let s = TestServer::start();
    let (status, ctype, body) = get(&s, "/");
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(body.contains("<title>Stepwise</title>"), "{body}");
    // The UI's own pages fall back to index.html; missing files are 404.
    let (status, _, page) = get(&s, "/executions/anything");
    assert_eq!((status, page), (200, body.clone()));
    assert_eq!(get(&s, "/assets/missing-file.js").0, 404);
    assert_eq!(get(&s, "/ui-api/unknown").0, 404);
    assert_eq!(
        server::ui::built(),
        !body.contains("stepwise-ui-placeholder")
    );
    // The API is untouched.
    let listed = s.call("ListStateMachines", json!({})).unwrap();
    assert_eq!(listed, json!({"stateMachines": []}));
}

#[test]
fn executions_across_machines_with_filters_search_and_pages() {
    let s = TestServer::start();
    for m in ["alpha", "beta"] {
        s.call(
            "CreateStateMachine",
            json!({"name": m, "definition": pass_definition("ok"), "roleArn": ROLE}),
        )
        .unwrap();
    }
    let fail = r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"bad"}}}"#;
    s.call(
        "CreateStateMachine",
        json!({"name": "gamma", "definition": fail, "roleArn": ROLE}),
    )
    .unwrap();
    let mut started = Vec::new();
    for (machine, name, input) in [
        ("alpha", "order-1", r#"{"customer":"ada"}"#),
        ("beta", "order-2", r#"{"customer":"grace"}"#),
        ("alpha", "refund-1", r#"{"customer":"grace"}"#),
        ("gamma", "order-3", r#"{"customer":"linus"}"#),
    ] {
        s.call(
            "StartExecution",
            json!({"stateMachineArn": machine_arn(machine), "name": name, "input": input}),
        )
        .unwrap();
        started.push(name);
        // Distinct start times keep the newest-first order predictable.
        std::thread::sleep(Duration::from_millis(5));
    }
    wait_all_done(&s);

    let all = list(&s, "");
    assert_eq!(
        names(&all),
        vec!["order-3", "refund-1", "order-2", "order-1"]
    );
    assert!(all.get("nextToken").is_none());
    assert_eq!(all["executions"][0]["status"], "FAILED");
    assert_eq!(
        all["executions"][0]["stateMachineArn"],
        machine_arn("gamma")
    );

    assert_eq!(names(&list(&s, "status=FAILED")), vec!["order-3"]);
    assert_eq!(
        names(&list(
            &s,
            &format!("stateMachineArn={}", machine_arn("alpha"))
        )),
        vec!["refund-1", "order-1"]
    );
    assert_eq!(
        names(&list(&s, "namePrefix=order-")),
        vec!["order-3", "order-2", "order-1"]
    );
    // Content search reads inputs (and outputs: the Pass result is "ok").
    assert_eq!(
        names(&list(&s, "search=grace")),
        vec!["refund-1", "order-2"]
    );
    assert_eq!(
        names(&list(&s, "search=linus&status=FAILED")),
        vec!["order-3"]
    );
    assert_eq!(names(&list(&s, "search=%22ok%22")).len(), 3);
    assert!(names(&list(&s, "search=nobody")).is_empty());

    // One at a time, every execution exactly once.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let q = if token.is_empty() {
            "maxResults=1".to_string()
        } else {
            format!("maxResults=1&nextToken={token}")
        };
        let page = list(&s, &q);
        seen.extend(names(&page));
        match page["nextToken"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, names(&all));

    // Time range: the start dates split the list.
    let second: f64 = all["executions"][1]["startDate"].as_f64().unwrap();
    let cut = (second * 1000.0) as i64;
    assert_eq!(
        names(&list(&s, &format!("startedBefore={cut}"))),
        vec!["order-2", "order-1"]
    );
    assert_eq!(
        names(&list(&s, &format!("startedAfter={cut}"))),
        vec!["order-3", "refund-1"]
    );

    // Bad parameters get an AWS-shaped error.
    let (status, _, body) = get(&s, "/ui-api/executions?status=DONE");
    assert_eq!(status, 400);
    assert!(body.contains("ValidationException"), "{body}");
    let (status, _, body) = get(&s, "/ui-api/executions?maxResults=0");
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = get(&s, "/ui-api/executions?nextToken=garbage");
    assert_eq!(status, 400);
    assert!(body.contains("InvalidToken"), "{body}");
}

#[test]
fn with_credentials_the_listing_needs_a_signature() {
    let mut keys = HashMap::new();
    keys.insert(
        "AKIDTEST".to_string(),
        server::auth::Credential {
            secret_access_key: "secret".into(),
            session_token: None,
        },
    );
    let s = TestServer::start_with(
        server::Config {
            auth: Some(Arc::new(server::auth::Verifier::new(
                keys,
                "us-east-1",
                "states",
            ))),
            ..server::Config::default()
        },
        runtime::RuntimeConfig::default(),
    );
    let (status, _, body) = get(&s, "/ui-api/executions");
    assert_eq!(status, 400);
    assert!(
        body.contains("MissingAuthenticationTokenException"),
        "{body}"
    );
    // The page itself holds no data and loads without a signature.
    assert_eq!(get(&s, "/").0, 200);
}
