//! `arn:aws:states:::process:run`: a command run as a local process, the
//! self-hosted counterpart of ECS/Batch RunTask.
//!
//! Parameters: `Command` (array of strings, required), `Environment` (object of
//! strings), `WorkingDirectory`, `Stdin` (a string is written as is, other JSON
//! serialised). Without a suffix the task returns once the process has started
//! (`{ProcessId, StartedAt}`); `.sync` waits and returns its standard output
//! (JSON if it parses, else the text), a non-zero exit failing with
//! `Process.ExitCode.<n>` (a signal: `Process.Killed`) and the tail of standard
//! error as the cause; `.waitForTaskToken` starts it with the token in
//! `STEPWISE_TASK_TOKEN` and returns like the plain form.

use std::process::Stdio;

use runtime::{BoxFuture, Invoker, TaskOutcome, TaskRequest};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const PROCESS_RUN: &str = "arn:aws:states:::process:run";

/// How much of standard error the cause keeps.
const STDERR_TAIL: usize = 4096;

/// The invoker of `arn:aws:states:::process:run`.
#[derive(Debug, Default, Clone)]
pub struct Processes;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Start,
    Sync,
    Token,
}

fn failed(error: &str, cause: String) -> TaskOutcome {
    TaskOutcome::Failed {
        error: Some(error.to_string()),
        cause: Some(cause),
    }
}

fn invalid(message: String) -> TaskOutcome {
    failed("Process.InvalidParameterException", message)
}

struct Spec {
    command: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<String>,
    stdin: Option<Vec<u8>>,
}

fn spec(params: &Value) -> Result<Spec, String> {
    let obj = params
        .as_object()
        .ok_or("The Parameters of a process:run task must be an object")?;
    for key in obj.keys() {
        if !["Command", "Environment", "WorkingDirectory", "Stdin"].contains(&key.as_str()) {
            return Err(format!(
                "Unknown parameter '{key}' (expected Command, Environment, WorkingDirectory, Stdin)"
            ));
        }
    }
    let command: Vec<String> = obj
        .get("Command")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .unwrap_or(None)
        .filter(|c: &Vec<String>| !c.is_empty() && !c[0].is_empty())
        .ok_or("Command must be a non-empty array of strings")?;
    let mut env = Vec::new();
    match obj.get("Environment") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                env.push((k.clone(), v));
            }
        }
        Some(_) => return Err("Environment must be an object of strings".into()),
    }
    let dir = match obj.get("WorkingDirectory") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("WorkingDirectory must be a string".into()),
    };
    let stdin = match obj.get("Stdin") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone().into_bytes()),
        Some(v) => Some(v.to_string().into_bytes()),
    };
    Ok(Spec {
        command,
        env,
        dir,
        stdin,
    })
}

impl Processes {
    async fn run(&self, request: TaskRequest) -> TaskOutcome {
        let mode = match &request.resource[PROCESS_RUN.len().min(request.resource.len())..] {
            "" => Mode::Start,
            ".sync" => Mode::Sync,
            ".waitForTaskToken" => Mode::Token,
            _ => {
                return failed(
                    "States.Runtime",
                    format!("Unsupported resource '{}'", request.resource),
                );
            }
        };
        let spec = match spec(&request.parameters) {
            Ok(s) => s,
            Err(e) => return invalid(e),
        };
        let mut cmd = tokio::process::Command::new(&spec.command[0]);
        cmd.args(&spec.command[1..])
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(if spec.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(if mode == Mode::Sync {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(if mode == Mode::Sync {
                Stdio::piped()
            } else {
                Stdio::inherit()
            });
        if let Some(d) = &spec.dir {
            cmd.current_dir(d);
        }
        if let Some(token) = &request.task_token {
            cmd.env("STEPWISE_TASK_TOKEN", token);
        }
        // A .sync task abandoned (timeout, stop) takes its process with it.
        cmd.kill_on_drop(mode == Mode::Sync);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return failed(
                    "Process.StartFailed",
                    format!("Could not start '{}': {e}", spec.command[0]),
                );
            }
        };
        let started = jiff::Timestamp::now();
        let pid = child.id().unwrap_or(0);
        if let (Some(input), Some(mut pipe)) = (spec.stdin, child.stdin.take()) {
            // Written concurrently so a process that prints before reading cannot block us.
            tokio::spawn(async move {
                let _ = pipe.write_all(&input).await;
            });
        }
        if mode != Mode::Sync {
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
            return TaskOutcome::Succeeded(json!({
                "ProcessId": pid,
                "StartedAt": started.to_string(),
            }));
        }
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let out = async {
            let mut buf = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_end(&mut buf).await;
            }
            buf
        };
        let err = async {
            let mut buf = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let _ = s.read_to_end(&mut buf).await;
            }
            buf
        };
        let (out, err, status) = tokio::join!(out, err, child.wait());
        let status = match status {
            Ok(s) => s,
            Err(e) => {
                return failed(
                    "Process.StartFailed",
                    format!("Could not wait for the process: {e}"),
                );
            }
        };
        let tail = {
            let start = err.len().saturating_sub(STDERR_TAIL);
            String::from_utf8_lossy(&err[start..])
                .trim_end()
                .to_string()
        };
        if !status.success() {
            let (error, what) = match status.code() {
                Some(c) => (
                    format!("Process.ExitCode.{c}"),
                    format!("exited with code {c}"),
                ),
                None => ("Process.Killed".to_string(), describe_signal(&status)),
            };
            let cause = if tail.is_empty() {
                format!("'{}' {what}", spec.command[0])
            } else {
                tail
            };
            return failed(&error, cause);
        }
        let text = String::from_utf8_lossy(&out);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return TaskOutcome::Succeeded(Value::Null);
        }
        TaskOutcome::Succeeded(
            serde_json::from_str(trimmed).unwrap_or_else(|_| Value::String(text.into_owned())),
        )
    }
}

fn describe_signal(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("was killed by signal {sig}");
        }
    }
    "ended without an exit code".into()
}

impl Invoker for Processes {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        Box::pin(self.run(request))
    }
}
