//! `arn:aws:states:::process:run` on real processes.

use std::time::{Duration, Instant};

use functions::Processes;
use runtime::{Invoker, TaskOutcome, TaskRequest};
use serde_json::{Value, json};

fn request(resource: &str, parameters: Value, token: Option<&str>) -> TaskRequest {
    TaskRequest {
        task: 1,
        state_name: "Run".into(),
        resource: resource.into(),
        parameters,
        timeout_seconds: None,
        heartbeat_seconds: None,
        task_token: token.map(str::to_string),
        caller: None,
    }
}

async fn run(resource: &str, parameters: Value) -> TaskOutcome {
    Processes.invoke(request(resource, parameters, None)).await
}

#[tokio::test]
async fn sync_returns_json_stdout_with_stdin_environment_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        "arn:aws:states:::process:run.sync",
        json!({
            "Command": ["sh", "-c", "read line; printf '{\"stdin\": %s, \"greeting\": \"%s\", \"dir\": \"%s\"}' \"$line\" \"$GREETING\" \"$(pwd)\""],
            "Environment": {"GREETING": "hi"},
            "WorkingDirectory": dir.path().display().to_string(),
            "Stdin": {"order": 7},
        }),
    )
    .await;
    let TaskOutcome::Succeeded(v) = out else {
        panic!("{out:?}")
    };
    assert_eq!(v["stdin"], json!({"order": 7}));
    assert_eq!(v["greeting"], "hi");
    let real = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(v["dir"], real.display().to_string());
    // Text that is not JSON comes back as a string.
    let out = run(
        "arn:aws:states:::process:run.sync",
        json!({"Command": ["echo", "plain words"]}),
    )
    .await;
    assert_eq!(out, TaskOutcome::Succeeded(json!("plain words\n")));
}

#[tokio::test]
async fn a_non_zero_exit_fails_with_its_code_and_the_stderr_tail() {
    let out = run(
        "arn:aws:states:::process:run.sync",
        json!({"Command": ["sh", "-c", "echo partial; echo 'disk full' >&2; exit 42"]}),
    )
    .await;
    assert_eq!(
        out,
        TaskOutcome::Failed {
            error: Some("Process.ExitCode.42".into()),
            cause: Some("disk full".into()),
        }
    );
    let long = run(
        "arn:aws:states:::process:run.sync",
        json!({"Command": ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done; exit 1"]}),
    )
    .await;
    let TaskOutcome::Failed { error, cause } = long else {
        panic!("{long:?}")
    };
    assert_eq!(error.as_deref(), Some("Process.ExitCode.1"));
    let cause = cause.unwrap();
    assert!(
        cause.len() <= 4096 && cause.ends_with("line1999"),
        "{}",
        cause.len()
    );
    let missing = run(
        "arn:aws:states:::process:run.sync",
        json!({"Command": ["/no/such/program"]}),
    )
    .await;
    assert!(
        matches!(missing, TaskOutcome::Failed { error: Some(e), .. } if e == "Process.StartFailed")
    );
    let bad = run(
        "arn:aws:states:::process:run.sync",
        json!({"Command": "ls"}),
    )
    .await;
    assert!(
        matches!(bad, TaskOutcome::Failed { error: Some(e), .. } if e == "Process.InvalidParameterException")
    );
}

#[tokio::test]
async fn without_sync_it_returns_once_started() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("done");
    let t = Instant::now();
    let out = run(
        "arn:aws:states:::process:run",
        json!({"Command": ["sh", "-c", format!("sleep 1; touch {}", marker.display())]}),
    )
    .await;
    assert!(
        t.elapsed() < Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
    let TaskOutcome::Succeeded(v) = out else {
        panic!("{out:?}")
    };
    assert!(v["ProcessId"].as_u64().unwrap() > 0);
    assert!(v["StartedAt"].as_str().unwrap().ends_with('Z'));
    assert!(!marker.exists());
    for _ in 0..50 {
        if marker.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        marker.exists(),
        "the process kept running after the task returned"
    );
}

#[tokio::test]
async fn wait_for_task_token_passes_the_token_and_does_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    let t = Instant::now();
    let out = Processes
        .invoke(request(
            "arn:aws:states:::process:run.waitForTaskToken",
            json!({"Command": ["sh", "-c", format!("printf %s \"$STEPWISE_TASK_TOKEN\" > {}; sleep 2", file.display())]}),
            Some("tok-123"),
        ))
        .await;
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    assert!(
        matches!(out, TaskOutcome::Succeeded(ref v) if v["ProcessId"].as_u64().is_some()),
        "{out:?}"
    );
    for _ in 0..50 {
        if std::fs::read_to_string(&file).is_ok_and(|s| !s.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "tok-123");
}
