//! Real handlers in real processes through the Lambda Runtime API: Python via
//! awslambdaric (the repository's virtualenv, or STEPWISE_PYTHON), Node.js via
//! the shipped bootstrap.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use functions::{FunctionConfig, Functions};
use runtime::{Invoker, TaskOutcome, TaskRequest};
use serde_json::{Value, json};

fn handlers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/handlers")
}

/// The Python with awslambdaric: STEPWISE_PYTHON, else the repository's venv.
fn python() -> String {
    if let Ok(p) = std::env::var("STEPWISE_PYTHON") {
        return p;
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with awslambdaric: run ./scripts/test once (it creates .venv) or set STEPWISE_PYTHON"
    );
    venv.display().to_string()
}

fn py(name: &str, handler: &str) -> FunctionConfig {
    FunctionConfig {
        name: name.into(),
        runtime: Some("python3.11".into()),
        handler: Some(format!("app.{handler}")),
        code: Some("python".into()),
        interpreter: Some(python()),
        ..FunctionConfig::default()
    }
}

fn node(name: &str, handler: &str) -> FunctionConfig {
    FunctionConfig {
        name: name.into(),
        runtime: Some("nodejs20.x".into()),
        handler: Some(format!("app.{handler}")),
        code: Some("node".into()),
        ..FunctionConfig::default()
    }
}

fn functions(configs: Vec<FunctionConfig>) -> Arc<Functions> {
    Arc::new(
        Functions::new(configs, &handlers(), "us-east-1", "123456789012").expect("valid config"),
    )
}

fn request(resource: &str, parameters: Value) -> TaskRequest {
    TaskRequest {
        task: 1,
        state_name: "S".into(),
        resource: resource.into(),
        parameters,
        timeout_seconds: None,
        heartbeat_seconds: None,
        task_token: None,
        caller: None,
    }
}

async fn invoke(f: &Functions, name: &str, payload: Value) -> TaskOutcome {
    f.invoke(request(
        "arn:aws:states:::lambda:invoke",
        json!({"FunctionName": name, "Payload": payload}),
    ))
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
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_handler_result_shape_and_warm_reuse() {
    let mut c = py("echo", "echo");
    c.environment.insert("GREETING".into(), "hello".into());
    c.memory = Some(256);
    let f = functions(vec![c]);
    let first = succeeded(invoke(&f, "echo", json!({"order": 7})).await);
    // AWS's lambda:invoke result shape.
    assert_eq!(first["StatusCode"], 200);
    assert_eq!(first["ExecutedVersion"], "$LATEST");
    assert_eq!(first["SdkHttpMetadata"]["HttpStatusCode"], 200);
    let request_id = first["SdkResponseMetadata"]["RequestId"].as_str().unwrap();
    let payload = &first["Payload"];
    assert_eq!(payload["event"], json!({"order": 7}));
    assert_eq!(payload["function"], "echo");
    assert_eq!(payload["request_id"], request_id);
    assert_eq!(payload["memory"], "256");
    assert_eq!(payload["greeting"], "hello");
    let root = std::fs::canonicalize(handlers().join("python")).unwrap();
    assert_eq!(payload["task_root"], root.display().to_string());
    let remaining = payload["remaining_ms"].as_i64().unwrap();
    assert!(remaining > 0 && remaining <= 3000, "{remaining}");
    let length: usize = first["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        length > serde_json::to_string(payload).unwrap().len() / 2,
        "{length}"
    );
    // The second call reuses the warm process: same pid, module state kept.
    let second = succeeded(invoke(&f, "echo", json!(null)).await);
    assert_eq!(second["Payload"]["pid"], payload["pid"]);
    assert_eq!(second["Payload"]["calls"], 2);
    assert_eq!(second["Payload"]["event"], json!({}));
    assert_eq!(f.function("echo").unwrap().processes_started(), 1);

    // A bare function ARN returns the handler's value itself; a qualified
    // FunctionName and a partial ARN name the same function.
    let bare = succeeded(
        f.invoke(request(
            "arn:aws:lambda:us-east-1:123456789012:function:echo",
            json!({"x": 1}),
        ))
        .await,
    );
    assert_eq!(bare["event"], json!({"x": 1}));
    assert_eq!(bare["calls"], 3);
    let partial = succeeded(
        f.invoke(request(
            "arn:aws:states:::lambda:invoke",
            json!({"FunctionName": "123456789012:function:echo:$LATEST", "Payload": "\"text\""}),
        ))
        .await,
    );
    assert_eq!(partial["Payload"]["event"], "text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_handler_error_surfaces_its_error_type() {
    let f = functions(vec![py("fail", "fail")]);
    let (error, cause_text) = failed(invoke(&f, "fail", json!({"card": "4242"})).await);
    assert_eq!(error, "PaymentDeclined");
    // Compact JSON in the runtime client's key order, as Lambda returns it (the
    // runtime client posts it with spaces).
    assert!(
        cause_text.starts_with(
            r#"{"errorMessage":"card 4242 declined","errorType":"PaymentDeclined","requestId":""#
        ),
        "{cause_text}"
    );
    let cause: Value = serde_json::from_str(&cause_text).expect("the cause is the error JSON");
    assert_eq!(cause.to_string(), cause_text);
    assert_eq!(cause["errorType"], "PaymentDeclined");
    assert_eq!(cause["errorMessage"], "card 4242 declined");
    assert!(
        cause["stackTrace"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{cause}"
    );
    // The process survives a handler error and is reused.
    let (error, _) = failed(invoke(&f, "fail", json!({"card": "1"})).await);
    assert_eq!(error, "PaymentDeclined");
    assert_eq!(f.function("fail").unwrap().processes_started(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_is_lambda_unknown_and_the_process_is_replaced() {
    let f = functions(vec![py("crash", "crash")]);
    let (error, cause) = failed(invoke(&f, "crash", json!({})).await);
    assert_eq!(error, "Lambda.Unknown");
    assert!(
        cause.contains("Runtime.ExitError") && cause.contains("exit status 3"),
        "{cause}"
    );
    let (error, _) = failed(invoke(&f, "crash", json!({})).await);
    assert_eq!(error, "Lambda.Unknown");
    assert_eq!(f.function("crash").unwrap().processes_started(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_kills_the_process() {
    let mut c = py("slow", "slow");
    c.timeout = Some(1.0);
    let f = functions(vec![c]);
    let t = Instant::now();
    let (error, cause) = failed(invoke(&f, "slow", json!({"seconds": 30})).await);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(error, "Sandbox.Timedout");
    assert!(
        cause.contains("Task timed out after 1.00 seconds"),
        "{cause}"
    );
    // The next call runs in a fresh process and succeeds.
    let ok = succeeded(invoke(&f, "slow", json!({"seconds": 0})).await);
    assert_eq!(ok["Payload"]["slept"], 0);
    assert_eq!(f.function("slow").unwrap().processes_started(), 2);
}

/// Whether process `pid` still runs (a zombie counts as ended).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        })
        .unwrap_or(false)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_processes_are_stopped_after_the_idle_timeout() {
    let mut c = py("echo", "echo");
    c.idle_timeout = Some(0.5);
    let f = functions(vec![c]);
    let first = succeeded(invoke(&f, "echo", json!({})).await);
    let pid = first["Payload"]["pid"].as_u64().unwrap() as u32;
    let function = f.function("echo").unwrap();
    assert_eq!(function.idle_pids(), vec![pid]);
    assert!(alive(pid));
    until("the idle process to stop", || {
        function.idle_pids().is_empty() && !alive(pid)
    })
    .await;
    // The next call is a cold start in a new process.
    let second = succeeded(invoke(&f, "echo", json!({})).await);
    assert_ne!(second["Payload"]["pid"], first["Payload"]["pid"]);
    assert_eq!(second["Payload"]["calls"], 1);
    assert_eq!(function.processes_started(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_invocation_stops_its_process() {
    let mut c = py("slow", "slow");
    c.timeout = Some(60.0);
    let f = functions(vec![c]);
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let call = {
        let f = Arc::clone(&f);
        let pidfile = pidfile.display().to_string();
        tokio::spawn(
            async move { invoke(&f, "slow", json!({"seconds": 50, "pidfile": pidfile})).await },
        )
    };
    let read_pid = || {
        std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
    };
    until("the handler to start", || read_pid().is_some()).await;
    let pid = read_pid().unwrap();
    assert!(alive(pid));
    // What the runtime does when the task's state times out or its execution stops.
    call.abort();
    until("the abandoned process to stop", || !alive(pid)).await;
    assert!(f.function("slow").unwrap().idle_pids().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_limited_and_beyond_it_invocations_wait() {
    let mut c = py("slow", "slow");
    c.concurrency = Some(2);
    c.timeout = Some(20.0);
    let f = functions(vec![c]);
    // Warm up both processes so the timing below measures only the handlers.
    let t = Instant::now();
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let f = Arc::clone(&f);
            tokio::spawn(async move { invoke(&f, "slow", json!({"seconds": 0.5})).await })
        })
        .collect();
    let mut pids = HashSet::new();
    for c in calls {
        let v = succeeded(c.await.unwrap());
        pids.insert(v["Payload"]["pid"].as_i64().unwrap());
    }
    let elapsed = t.elapsed();
    // Both processes served (the limit, reached), none beyond it.
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert_eq!(
        f.function("slow").unwrap().processes_started(),
        pids.len() as u64
    );
    // Six half-second calls on at most two processes take at least 1.5 s.
    assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_functions_are_resource_not_found() {
    let f = functions(vec![]);
    let (error, cause) = failed(invoke(&f, "nope", json!({})).await);
    assert_eq!(error, "Lambda.ResourceNotFoundException");
    assert!(
        cause.starts_with("Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException;"),
        "{cause}"
    );
    let (error, _) = failed(
        f.invoke(request(
            "arn:aws:lambda:us-east-1:123456789012:function:nope",
            json!({}),
        ))
        .await,
    );
    assert_eq!(error, "Lambda.ResourceNotFoundException");
    let (error, _) = failed(
        f.invoke(request(
            "arn:aws:states:::lambda:invoke",
            json!({"Payload": 1}),
        ))
        .await,
    );
    assert_eq!(error, "Lambda.InvalidParameterValueException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_handlers_through_the_shipped_bootstrap() {
    let f = functions(vec![
        node("necho", "echo"),
        node("nfail", "fail"),
        node("ncrash", "crash"),
        node("ncallback", "callback"),
    ]);
    let a = succeeded(invoke(&f, "necho", json!({"n": 1})).await);
    let b = succeeded(invoke(&f, "necho", json!({"n": 2})).await);
    assert_eq!(a["Payload"]["event"], json!({"n": 1}));
    assert_eq!(a["Payload"]["function"], "necho");
    assert_eq!(
        a["Payload"]["requestId"],
        a["SdkResponseMetadata"]["RequestId"]
    );
    assert_eq!(b["Payload"]["pid"], a["Payload"]["pid"]);
    assert_eq!(b["Payload"]["calls"], 2);
    let (error, cause) = failed(invoke(&f, "nfail", json!({"card": "9"})).await);
    assert_eq!(error, "PaymentDeclined");
    let cause: Value = serde_json::from_str(&cause).unwrap();
    assert_eq!(cause["errorMessage"], "card 9 declined");
    assert!(cause["trace"].as_array().is_some_and(|t| !t.is_empty()));
    let (error, _) = failed(invoke(&f, "ncrash", json!({})).await);
    assert_eq!(error, "Lambda.Unknown");
    let cb = succeeded(invoke(&f, "ncallback", json!(5)).await);
    assert_eq!(cb["Payload"], json!({"viaCallback": 5}));
}

#[test]
fn bad_declarations_are_refused() {
    let err = |c: FunctionConfig| {
        Functions::new(vec![c], &handlers(), "us-east-1", "123456789012")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let mut c = py("f", "echo");
    c.runtime = Some("ruby3.3".into());
    assert!(err(c).contains("unknown runtime"));
    let mut c = py("f", "echo");
    c.code = Some("missing-dir".into());
    assert!(err(c).contains("code directory"));
    let mut c = py("bad name", "echo");
    c.name = "bad name".into();
    assert!(err(c).contains("function name"));
    let mut c = py("f", "echo");
    c.runtime = Some("provided.al2023".into());
    assert!(err(c).contains("bootstrap"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provided_runtime_runs_its_bootstrap_executable() {
    let f = functions(vec![FunctionConfig {
        name: "custom".into(),
        runtime: Some("provided.al2023".into()),
        handler: Some("my.handler".into()),
        code: Some("provided".into()),
        ..FunctionConfig::default()
    }]);
    let out = succeeded(invoke(&f, "custom", json!({"k": "v"})).await);
    assert_eq!(
        out["Payload"],
        json!({"echo": {"k": "v"}, "arn": "arn:aws:lambda:us-east-1:123456789012:function:custom", "handler": "my.handler"})
    );
    let (error, cause) = failed(invoke(&f, "custom", json!({"fail": true})).await);
    assert_eq!(error, "Custom.Failure");
    assert!(cause.contains("asked to fail"), "{cause}");
    assert_eq!(f.function("custom").unwrap().processes_started(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialisation_errors_surface_with_the_runtime_error_type() {
    let mut missing_module = py("nomod", "echo");
    missing_module.handler = Some("no_such_module.handler".into());
    let mut missing_export = node("noexport", "echo");
    missing_export.handler = Some("app.nothing".into());
    let f = functions(vec![missing_module, missing_export]);
    let (error, cause) = failed(invoke(&f, "nomod", json!({})).await);
    assert_eq!(error, "Runtime.ImportModuleError", "{cause}");
    assert!(cause.contains("no_such_module"), "{cause}");
    let (error, cause) = failed(invoke(&f, "noexport", json!({})).await);
    assert_eq!(error, "Runtime.HandlerNotFound", "{cause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_invocations_return_202_at_once() {
    let mut c = py("slow", "slow");
    c.timeout = Some(10.0);
    let f = functions(vec![c]);
    let t = Instant::now();
    let out = succeeded(
        f.invoke(request(
            "arn:aws:states:::lambda:invoke",
            json!({"FunctionName": "slow", "InvocationType": "Event", "Payload": {"seconds": 2}}),
        ))
        .await,
    );
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(out["StatusCode"], 202);
    assert_eq!(out["Payload"], "");
    // The function did run in the background.
    for _ in 0..100 {
        if f.function("slow").unwrap().processes_started() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(f.function("slow").unwrap().processes_started(), 1);
}

/// A function served elsewhere through the Lambda Invoke API: a small server
/// on loopback standing in for the Runtime Interface Emulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_functions_call_the_lambda_invoke_api() {
    use axum::extract::Path;
    use axum::http::StatusCode;
    let app = axum::Router::new().route(
        "/2015-03-31/functions/{name}/invocations",
        axum::routing::post(|Path(name): Path<String>, body: String| async move {
            let event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            if event.get("fail").is_some() {
                (
                    StatusCode::OK,
                    [("X-Amz-Function-Error", "Unhandled")],
                    json!({"errorType": "RemoteError", "errorMessage": "remote failed"})
                        .to_string(),
                )
            } else {
                (
                    StatusCode::OK,
                    [("X-Amz-Executed-Version", "$LATEST")],
                    json!({"name": name, "event": event}).to_string(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let f = functions(vec![FunctionConfig {
        name: "remote".into(),
        url: Some(format!("http://{addr}")),
        ..FunctionConfig::default()
    }]);
    let out = succeeded(invoke(&f, "remote", json!({"a": 1})).await);
    assert_eq!(out["Payload"], json!({"name": "remote", "event": {"a": 1}}));
    let (error, cause) = failed(invoke(&f, "remote", json!({"fail": 1})).await);
    assert_eq!(error, "RemoteError");
    assert!(cause.contains("remote failed"));
    drop(f);
    // Nothing listening: Lambda.ServiceException.
    let closed = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let f = functions(vec![FunctionConfig {
        name: "gone".into(),
        url: Some(format!("http://127.0.0.1:{port}")),
        ..FunctionConfig::default()
    }]);
    let (error, _) = failed(invoke(&f, "gone", json!({})).await);
    assert_eq!(error, "Lambda.ServiceException");
}
