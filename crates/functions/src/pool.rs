//! One function's warm processes. Each process gets its own loopback listener
//! speaking the Lambda Runtime API (2018-06-01), so the runtime clients need no
//! path prefix and a request id always belongs to one process.
//!
//! An invocation takes a concurrency permit (waiting beyond the limit), then an
//! idle process or a new one; it hands the event to that process's
//! `/invocation/next` long poll and waits for `/response` or `/error`, for the
//! process to exit (crash) or for the function's timeout (the process is killed).
//!
//! Idle processes are reused newest first, so the oldest idle ones are the
//! first to reach the function's idle timeout; a sweeper then stops them, as
//! Lambda retires idle execution environments.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use crate::FunctionConfig;

/// Lambda's largest synchronous response (6 MB) with some room.
const MAX_BODY: usize = 7 * 1024 * 1024;

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The handler's response body.
    Response(Bytes),
    /// The function failed: AWS's error name and cause.
    Failed { error: String, cause: String },
}

/// What a process answered for one request.
enum Reply {
    /// The body and when it arrived.
    Response(Bytes, Instant),
    Error {
        header: Option<String>,
        body: Bytes,
    },
}

struct Job {
    id: String,
    payload: Bytes,
    deadline_ms: u64,
    reply: oneshot::Sender<Reply>,
}

/// The Runtime API of one process.
struct Api {
    jobs: tokio::sync::Mutex<mpsc::Receiver<Job>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    init_error: Mutex<Option<Reply>>,
    arn: String,
    /// When the current event was handed to the process (for [`Timings`]).
    handed_at: Mutex<Option<Instant>>,
}

async fn next(State(api): State<Arc<Api>>) -> Response {
    let job = api.jobs.lock().await.recv().await;
    let Some(job) = job else {
        return StatusCode::GONE.into_response();
    };
    lock(&api.pending).insert(job.id.clone(), job.reply);
    *lock(&api.handed_at) = Some(Instant::now());
    Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", "application/json")
        .header("Lambda-Runtime-Aws-Request-Id", &job.id)
        .header("Lambda-Runtime-Deadline-Ms", job.deadline_ms.to_string())
        .header("Lambda-Runtime-Invoked-Function-Arn", &api.arn)
        .header(
            "Lambda-Runtime-Trace-Id",
            format!("Root=1-{:08x}-{}", job.deadline_ms / 1000, &job.id[..8]),
        )
        .body(Body::from(job.payload))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [("Content-Type", "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

fn unknown_request(id: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [("Content-Type", "application/json")],
        serde_json::json!({
            "errorMessage": format!("Invalid request ID: {id}"),
            "errorType": "InvalidRequestID",
        })
        .to_string(),
    )
        .into_response()
}

async fn respond(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Bytes) -> Response {
    match lock(&api.pending).remove(&id) {
        Some(tx) => {
            let _ = tx.send(Reply::Response(body, Instant::now()));
            accepted()
        }
        None => unknown_request(&id),
    }
}

fn error_type_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("Lambda-Runtime-Function-Error-Type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn error(
    State(api): State<Arc<Api>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match lock(&api.pending).remove(&id) {
        Some(tx) => {
            let header = error_type_header(&headers);
            let _ = tx.send(Reply::Error { header, body });
            accepted()
        }
        None => unknown_request(&id),
    }
}

async fn init_error(State(api): State<Arc<Api>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = error_type_header(&headers);
    *lock(&api.init_error) = Some(Reply::Error { header, body });
    accepted()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running process and its Runtime API. Dropping it kills the process.
struct Worker {
    jobs: mpsc::Sender<Job>,
    /// Set to a description of the exit status when the process ends.
    exited: watch::Receiver<Option<String>>,
    api: Arc<Api>,
    pid: u32,
    _kill: oneshot::Sender<()>,
}

/// How to start one of the function's processes.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
}

/// A process waiting for work, and since when.
struct Idle {
    worker: Worker,
    since: Instant,
}

/// One function: its settings, idle processes and concurrency limit.
pub struct Function {
    pub(crate) config: FunctionConfig,
    pub(crate) arn: String,
    launch: Launch,
    timeout: Duration,
    idle_timeout: Duration,
    permits: Semaphore,
    /// Oldest first: invocations take the newest.
    idle: Arc<Mutex<Vec<Idle>>>,
    sweeping: AtomicBool,
    spawned: AtomicU64,
    timings: [AtomicU64; 3],
}

/// Where the time of successful warm invocations went, summed: Stepwise's
/// share (from the call until the event is handed to the process's long poll,
/// and from the response's arrival until the call returns) and the process's
/// (the loopback transfer, the runtime client and the handler).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    pub invocations: u64,
    pub stepwise_ns: u64,
    pub process_ns: u64,
}

impl Function {
    pub(crate) fn new(config: FunctionConfig, arn: String, launch: Launch) -> Function {
        let timeout = Duration::from_secs_f64(config.timeout_seconds());
        let idle_timeout = Duration::from_secs_f64(config.idle_timeout_seconds());
        let permits = Semaphore::new(config.concurrency());
        Function {
            config,
            arn,
            launch,
            timeout,
            idle_timeout,
            permits,
            idle: Arc::new(Mutex::new(Vec::new())),
            sweeping: AtomicBool::new(false),
            spawned: AtomicU64::new(0),
            timings: Default::default(),
        }
    }

    /// How many processes were started so far (warm reuse keeps this low).
    pub fn processes_started(&self) -> u64 {
        self.spawned.load(Ordering::Relaxed)
    }

    /// Time spent on warm invocations (those that found an idle process).
    pub fn timings(&self) -> Timings {
        Timings {
            invocations: self.timings[0].load(Ordering::Relaxed),
            stepwise_ns: self.timings[1].load(Ordering::Relaxed),
            process_ns: self.timings[2].load(Ordering::Relaxed),
        }
    }

    /// The ids of the processes waiting for work.
    pub fn idle_pids(&self) -> Vec<u32> {
        lock(&self.idle).iter().map(|i| i.worker.pid).collect()
    }

    /// Puts a process that answered back among the idle ones.
    fn release(&self, worker: Worker) {
        lock(&self.idle).push(Idle {
            worker,
            since: Instant::now(),
        });
    }

    /// Starts the task that stops processes idle longer than the idle timeout
    /// (once per function; it ends with the function).
    fn start_sweeper(&self) {
        if self.sweeping.swap(true, Ordering::Relaxed) {
            return;
        }
        let idle: Weak<Mutex<Vec<Idle>>> = Arc::downgrade(&self.idle);
        let limit = self.idle_timeout;
        let period = (limit / 4).clamp(Duration::from_millis(10), Duration::from_secs(30));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let Some(idle) = idle.upgrade() else { return };
                // Dropped outside the lock: dropping a worker kills its process.
                let expired: Vec<Idle> = {
                    let mut list = lock(&idle);
                    let keep = list.iter().position(|i| i.since.elapsed() < limit);
                    let n = keep.unwrap_or(list.len());
                    list.drain(..n).collect()
                };
                drop(expired);
            }
        });
    }

    /// Runs the handler once on `payload` (JSON text).
    pub async fn invoke(&self, request_id: String, payload: Bytes) -> Outcome {
        let start = Instant::now();
        let Ok(_permit) = self.permits.acquire().await else {
            return service_error("the function is shutting down");
        };
        let idle = lock(&self.idle).pop().map(|i| i.worker);
        let warm = idle.is_some();
        let worker = match idle {
            Some(w) if w.exited.borrow().is_none() => w,
            _ => match self.spawn().await {
                Ok(w) => w,
                Err(e) => {
                    return service_error(&format!(
                        "could not start function '{}' ({}): {e}",
                        self.config.name,
                        self.launch.program.display()
                    ));
                }
            },
        };
        let (tx, mut rx) = oneshot::channel();
        let deadline_ms = now_ms() + self.timeout.as_millis() as u64;
        let job = Job {
            id: request_id.clone(),
            payload,
            deadline_ms,
            reply: tx,
        };
        if worker.jobs.send(job).await.is_err() {
            return self.crashed(&worker, &request_id);
        }
        let mut exited = worker.exited.clone();
        let reply = tokio::select! {
            biased;
            r = &mut rx => r.ok(),
            _ = exited.wait_for(|e| e.is_some()) => {
                // A response posted just before exiting still counts.
                rx.try_recv().ok()
            }
            _ = tokio::time::sleep(self.timeout) => {
                drop(worker);
                return Outcome::Failed {
                    error: "Sandbox.Timedout".into(),
                    cause: serde_json::json!({
                        "errorMessage": format!(
                            "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                            self.timeout.as_secs_f64()
                        ),
                        "errorType": "Sandbox.Timedout",
                    })
                    .to_string(),
                };
            }
        };
        match reply {
            Some(Reply::Response(body, arrived)) => {
                let handed = lock(&worker.api.handed_at).take();
                self.release(worker);
                if let (true, Some(handed)) = (warm, handed) {
                    let process = arrived.saturating_duration_since(handed).as_nanos() as u64;
                    let total = start.elapsed().as_nanos() as u64;
                    self.timings[0].fetch_add(1, Ordering::Relaxed);
                    self.timings[1].fetch_add(total.saturating_sub(process), Ordering::Relaxed);
                    self.timings[2].fetch_add(process, Ordering::Relaxed);
                }
                Outcome::Response(body)
            }
            Some(Reply::Error { header, body }) => {
                let outcome = handler_error(header, &body);
                if worker.exited.borrow().is_none() {
                    self.release(worker);
                }
                outcome
            }
            None => self.crashed(&worker, &request_id),
        }
    }

    /// The outcome of a process that ended without answering.
    fn crashed(&self, worker: &Worker, request_id: &str) -> Outcome {
        if let Some(Reply::Error { header, body }) = lock(&worker.api.init_error).take() {
            return handler_error(header, &body);
        }
        let status = worker
            .exited
            .borrow()
            .clone()
            .unwrap_or_else(|| "exit status unknown".into());
        let payload = serde_json::json!({
            "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
            "errorType": "Runtime.ExitError",
        });
        Outcome::Failed {
            error: "Lambda.Unknown".into(),
            cause: format!(
                "The cause could not be determined because Lambda did not return an error type. Returned payload: {payload}"
            ),
        }
    }

    async fn spawn(&self) -> std::io::Result<Worker> {
        self.start_sweeper();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let (jobs, rx) = mpsc::channel(1);
        let api = Arc::new(Api {
            jobs: tokio::sync::Mutex::new(rx),
            pending: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
            arn: self.arn.clone(),
            handed_at: Mutex::new(None),
        });
        let app = axum::Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(Arc::clone(&api));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let mut cmd = tokio::process::Command::new(&self.launch.program);
        cmd.args(&self.launch.args)
            .current_dir(&self.launch.dir)
            .envs(self.launch.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                server.abort();
                return Err(e);
            }
        };
        self.spawned.fetch_add(1, Ordering::Relaxed);
        let pid = child.id().unwrap_or(0);
        let name = self.config.name.clone();
        if let Some(out) = child.stdout.take() {
            tokio::spawn(forward(out, name.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(forward(err, name));
        }
        let (exit_tx, exited) = watch::channel(None);
        let (kill, kill_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => match s {
                    Ok(s) => describe(s),
                    Err(e) => format!("wait failed: {e}"),
                },
                _ = kill_rx => {
                    let _ = child.kill().await;
                    "killed".to_string()
                }
            };
            server.abort();
            let _ = exit_tx.send(Some(status));
        });
        Ok(Worker {
            jobs,
            exited,
            api,
            pid,
            _kill: kill,
        })
    }
}

fn describe(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("signal: {sig}");
        }
    }
    match status.code() {
        Some(c) => format!("exit status {c}"),
        None => "exited".into(),
    }
}

/// A function's output lines go to our standard error, prefixed with its name
/// (Lambda would send them to CloudWatch Logs).
async fn forward(stream: impl AsyncRead + Unpin, name: String) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        // awslambdaric writes a multi-line record as one line with `\r` between
        // its lines (one CloudWatch event); print them as lines.
        for part in line.split('\r') {
            eprintln!("[{name}] {part}");
        }
    }
}

/// A handler's error report as AWS's error name and cause: the `errorType` of
/// the body (else the header), the body itself as the cause. A JSON body is
/// passed on as compact JSON in its own key order, as Lambda returns it
/// (awslambdaric posts it with spaces after `:` and `,`).
fn handler_error(header: Option<String>, body: &[u8]) -> Outcome {
    let parsed = serde_json::from_slice::<serde_json::Value>(body).ok();
    let text = match &parsed {
        Some(v @ serde_json::Value::Object(_)) => v.to_string(),
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    let from_body = parsed
        .as_ref()
        .and_then(|v| v.get("errorType")?.as_str().map(str::to_string))
        .filter(|t| !t.is_empty());
    match from_body.or(header.filter(|h| !h.is_empty())) {
        Some(error) => Outcome::Failed { error, cause: text },
        None => Outcome::Failed {
            error: "Lambda.Unknown".into(),
            cause: format!(
                "The cause could not be determined because Lambda did not return an error type. Returned payload: {text}"
            ),
        },
    }
}

pub(crate) fn service_error(message: &str) -> Outcome {
    Outcome::Failed {
        error: "Lambda.ServiceException".into(),
        cause: format!(
            "{message} (Service: AWSLambda; Status Code: 500; Error Code: ServiceException; Request ID: {}; Proxy: null)",
            crate::uuid()
        ),
    }
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
