//! `stepwise bench`: speed and scale of a real `stepwise serve`, measured through
//! its HTTP API on loopback.
//!
//! The server is a child process (this same binary, `serve --port 0` on a fresh
//! temporary data directory per phase); the client is a small hand-written
//! HTTP/1.1 client over tokio `TcpStream`s with keep-alive, one connection per
//! concurrent client, all on one client thread so that the client takes as
//! little of the machine as possible.
//!
//! Phases (`--phases`, comma-separated):
//! - `standard`: Standard executions of a 5-state Pass workflow, StartExecution
//!   with N concurrent clients; done when ListExecutions (RUNNING) is empty.
//!   fsyncs are counted with `perf stat` tracepoints on the server process when
//!   `perf` is available.
//! - `sync`: StartSyncExecution of a 3-state Express workflow, concurrency 16/64.
//! - `list`: ListExecutions first pages with 1,000,000 executions stored. The
//!   executions are inserted directly through the store API (bulk, not HTTP)
//!   while the server is stopped, as ended executions without history events.
//! - `memory`: server RSS with 100,000 Standard executions waiting in a
//!   `Wait` of 3600 s, and after a restart that recovers them.
//! - `activity`: activity workers over the API, each a loop of GetActivityTask
//!   then SendTaskSuccess, draining Standard executions that each run a loop of
//!   activity tasks (the next task is scheduled by the answer's transition).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Measure a real `stepwise serve` through its HTTP API.
#[derive(clap::Args)]
pub struct Args {
    /// Phases to run: standard, sync, list, memory, activity.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "standard,sync,list,memory,activity"
    )]
    phases: Vec<String>,
    /// Concurrent clients for the Standard phase (one run per value).
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    standard_clients: Vec<usize>,
    /// Standard executions started per run.
    #[arg(long, default_value_t = 20_000)]
    standard_executions: usize,
    /// Concurrent clients for the StartSyncExecution phase (one run per value).
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    sync_clients: Vec<usize>,
    /// Seconds each StartSyncExecution run lasts (after 1 s of warm-up).
    #[arg(long, default_value_t = 5.0)]
    sync_seconds: f64,
    /// Executions stored for the ListExecutions phase.
    #[arg(long, default_value_t = 1_000_000)]
    list_executions: usize,
    /// Standard executions left waiting for the memory phase.
    #[arg(long, default_value_t = 100_000)]
    waiting: usize,
    /// Concurrent clients starting the waiting executions.
    #[arg(long, default_value_t = 64)]
    waiting_clients: usize,
    /// Concurrent activity workers (one run per value).
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    activity_workers: Vec<usize>,
    /// Activity tasks completed per run.
    #[arg(long, default_value_t = 20_000)]
    activity_tasks: usize,
    /// The `stepwise` binary to serve with [default: this one].
    #[arg(long)]
    server: Option<PathBuf>,
    /// Where the data directories go [default: the system temp directory].
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the data directories afterwards.
    #[arg(long)]
    keep: bool,
    /// Do not run the Standard phase's server under `perf stat` (fsync counts).
    #[arg(long)]
    no_perf: bool,
}

/// One line of the closing table.
struct Row {
    what: String,
    measured: String,
    target: String,
    verdict: &'static str,
}

fn row(
    what: impl Into<String>,
    measured: impl Into<String>,
    target: &str,
    ok: Option<bool>,
) -> Row {
    Row {
        what: what.into(),
        measured: measured.into(),
        target: target.into(),
        verdict: match ok {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "-",
        },
    }
}

pub fn main(args: Args) -> Result<ExitCode> {
    let bin = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe().context("cannot find the stepwise binary")?,
    };
    let base = args
        .work_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("stepwise-bench-{}", std::process::id()));
    std::fs::create_dir_all(&base)
        .with_context(|| format!("cannot create '{}'", base.display()))?;
    println!("stepwise bench: server {} (child process)", bin.display());
    println!("data under {}", base.display());
    println!("load before: {}", load_average());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    let result = (|| -> Result<()> {
        for phase in &args.phases {
            let dir = base.join(phase);
            match phase.as_str() {
                "standard" | "sync" => {}
                "list" | "memory" | "activity" => {}
                other => {
                    bail!("unknown phase '{other}' (standard, sync, list, memory, activity)")
                }
            }
            let mut out = match phase.as_str() {
                "standard" => rt.block_on(standard(&args, &bin, &dir))?,
                "sync" => rt.block_on(sync(&args, &bin, &dir))?,
                "list" => list(&args, &bin, &dir, &rt)?,
                "activity" => rt.block_on(activity(&args, &bin, &dir))?,
                _ => rt.block_on(memory(&args, &bin, &dir))?,
            };
            rows.append(&mut out);
            println!("load after {phase}: {}", load_average());
        }
        Ok(())
    })();
    if !args.keep {
        let _ = std::fs::remove_dir_all(&base);
    }
    result?;
    print_table(&rows);
    Ok(ExitCode::SUCCESS)
}

fn print_table(rows: &[Row]) {
    let w0 = rows.iter().map(|r| r.what.len()).max().unwrap_or(4).max(4);
    let w1 = rows
        .iter()
        .map(|r| r.measured.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let w2 = rows
        .iter()
        .map(|r| r.target.len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!();
    println!(
        "{:w0$} | {:w1$} | {:w2$} | verdict",
        "what", "measured", "target"
    );
    println!("{}", "-".repeat(w0 + w1 + w2 + 16));
    for r in rows {
        println!(
            "{:w0$} | {:w1$} | {:w2$} | {}",
            r.what, r.measured, r.target, r.verdict
        );
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

// ---------------------------------------------------------------------------
// The server child process

struct Server {
    /// The server, or `perf stat` running it.
    child: Child,
    /// The server's own process id.
    pid: u32,
    addr: SocketAddr,
    /// Where `perf stat` writes its counts, when it runs the server.
    perf_out: Option<PathBuf>,
}

/// The fsync-family syscalls `perf stat` counts.
const FSYNC_EVENTS: &str = "syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync";

impl Server {
    fn spawn(bin: &Path, dir: &Path) -> Result<Server> {
        Self::spawn_with(bin, dir, None)
    }

    /// Starts `bin serve` on a free port; with `perf_out`, under `perf stat`
    /// counting its fsync and fdatasync calls (tracepoints, no hardware counters).
    fn spawn_with(bin: &Path, dir: &Path, perf_out: Option<PathBuf>) -> Result<Server> {
        let mut command = match &perf_out {
            Some(out) => {
                let mut c = Command::new("perf");
                c.args(["stat", "-x", ",", "-e", FSYNC_EVENTS, "-o"])
                    .arg(out)
                    .arg("--")
                    .arg(bin);
                c
            }
            None => Command::new(bin),
        };
        let mut child = command
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start '{}'", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                bail!("the server exited before listening");
            };
            let line = line?;
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.trim().parse::<SocketAddr>()?;
            }
        };
        // Keep draining its output so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        let pid = match perf_out {
            Some(_) => child_of(child.id()).context("cannot find the server under perf")?,
            None => child.id(),
        };
        Ok(Server {
            child,
            pid,
            addr,
            perf_out,
        })
    }

    fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGTERM, then wait (SIGKILL after 60 s); the fsync count if under perf.
    fn stop(mut self) -> Result<Option<u64>> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.child.try_wait()?.is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("the server did not stop within 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(self.perf_out.as_deref().and_then(perf_count))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-KILL", &self.pid.to_string()])
                .status();
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The process whose parent is `parent` (the server `perf stat` started).
fn child_of(parent: u32) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces, so split after ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

/// The total of `perf stat -x ,` counts in `out`.
fn perf_count(out: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(out).ok()?;
    let mut total = 0;
    let mut seen = false;
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() > 2 && fields[2].starts_with("syscalls:") {
            total += fields[0].parse::<u64>().ok()?;
            seen = true;
        }
    }
    seen.then_some(total)
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU time (user + system) a process used so far, in µs; `pid` 0 is this one.
/// Linux counts it in ticks of 1/100 s (`USER_HZ`).
fn cpu_us(pid: u32) -> Option<u64> {
    let path = if pid == 0 {
        "/proc/self/stat".to_string()
    } else {
        format!("/proc/{pid}/stat")
    };
    let text = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) * 10_000)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// ---------------------------------------------------------------------------
// A minimal HTTP/1.1 client for the AWS JSON 1.0 protocol

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    request: Vec<u8>,
}

struct Response {
    status: u16,
    body: Vec<u8>,
}

impl Response {
    fn json(&self) -> Result<Value> {
        Ok(serde_json::from_slice(&self.body)?)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
            request: Vec::with_capacity(1024),
        })
    }

    async fn call(&mut self, action: &str, body: &str) -> Result<Response> {
        self.request.clear();
        self.request.extend_from_slice(
            format!(
                "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n\
                 X-Amz-Target: AWSStepFunctions.{action}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        self.request.extend_from_slice(body.as_bytes());
        self.stream.write_all(&self.request).await?;
        self.read_response().await
    }

    /// Reads more bytes into the buffer; an error at end of stream.
    async fn fill(&mut self) -> Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn read_response(&mut self) -> Result<Response> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end])?.to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("bad status line"))?;
        let mut length = None;
        let mut chunked = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>()?);
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
        self.buf.drain(..head_end);
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(i) = find(&self.buf, b"\r\n") {
                        break i;
                    }
                    self.fill().await?;
                };
                let size_text = std::str::from_utf8(&self.buf[..line_end])?;
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
                let need = line_end + 2 + size + 2;
                while self.buf.len() < need {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                self.buf.drain(..need);
                if size == 0 {
                    break;
                }
            }
            body
        } else {
            let n = length.unwrap_or(0);
            while self.buf.len() < n {
                self.fill().await?;
            }
            self.buf.drain(..n).collect()
        };
        Ok(Response { status, body })
    }

    /// Calls `action` and returns its JSON answer; an error for a non-200 status.
    async fn ok(&mut self, action: &str, body: &Value) -> Result<Value> {
        let r = self.call(action, &body.to_string()).await?;
        if r.status != 200 {
            bail!("{action} failed ({}): {}", r.status, r.text());
        }
        r.json()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------
// Measurements

/// Latencies in microseconds.
fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p / 100.0) as usize).min(sorted.len() - 1);
    sorted[i] as f64 / 1000.0
}

const ROLE: &str = "arn:aws:iam::123456789012:role/bench";

async fn create_machine(
    conn: &mut Conn,
    name: &str,
    kind: &str,
    definition: &Value,
) -> Result<String> {
    let answer = conn
        .ok(
            "CreateStateMachine",
            &json!({"name": name, "definition": definition.to_string(), "roleArn": ROLE, "type": kind}),
        )
        .await?;
    answer["stateMachineArn"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no stateMachineArn in {answer}"))
}

fn pass_chain(n: usize) -> Value {
    let mut states = serde_json::Map::new();
    for i in 1..=n {
        let mut s = json!({"Type": "Pass", "Result": {"step": i}, "ResultPath": format!("$.p{i}")});
        if i == n {
            s["End"] = json!(true);
        } else {
            s["Next"] = json!(format!("P{}", i + 1));
        }
        states.insert(format!("P{i}"), s);
    }
    json!({"Comment": "bench", "StartAt": "P1", "States": states})
}

/// What a load run measured.
struct Load {
    done: usize,
    errors: usize,
    first_error: Option<String>,
    latencies: Vec<u32>,
    elapsed: Duration,
}

/// Runs `clients` connections, each sending requests built by `body(i)` for
/// i in 0..total (or until `until`), checking each answer with `check`.
async fn load(
    addr: SocketAddr,
    clients: usize,
    total: usize,
    until: Option<Instant>,
    action: &'static str,
    body: Arc<dyn Fn(usize) -> String + Send + Sync>,
    check: fn(&Response) -> bool,
) -> Result<Load> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let next = Arc::clone(&next);
        let body = Arc::clone(&body);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || until.is_some_and(|u| Instant::now() >= u) {
                    break;
                }
                let text = body(i);
                let t0 = Instant::now();
                let r = conn.call(action, &text).await?;
                lat.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
                if !check(&r) {
                    errors += 1;
                    if first_error.is_none() {
                        first_error = Some(format!("{}: {}", r.status, r.text()));
                    }
                }
            }
            anyhow::Ok((lat, errors, first_error))
        }));
    }
    let mut out = Load {
        done: 0,
        errors: 0,
        first_error: None,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        let (lat, errors, first) = t.await??;
        out.done += lat.len();
        out.errors += errors;
        out.latencies.extend(lat);
        if out.first_error.is_none() {
            out.first_error = first;
        }
    }
    out.elapsed = start.elapsed();
    out.latencies.sort_unstable();
    Ok(out)
}

fn status_ok(r: &Response) -> bool {
    r.status == 200
}

fn sync_ok(r: &Response) -> bool {
    r.status == 200 && find(&r.body, b"\"SUCCEEDED\"").is_some()
}

/// Counts a machine's executions with `status` by paging ListExecutions.
async fn count_executions(conn: &mut Conn, machine: &str, status: &str) -> Result<usize> {
    let mut n = 0;
    let mut token: Option<String> = None;
    loop {
        let mut req =
            json!({"stateMachineArn": machine, "statusFilter": status, "maxResults": 1000});
        if let Some(t) = &token {
            req["nextToken"] = json!(t);
        }
        let page = conn.ok("ListExecutions", &req).await?;
        n += page["executions"].as_array().map_or(0, Vec::len);
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return Ok(n),
        }
    }
}

async fn standard(args: &Args, bin: &Path, dir: &Path) -> Result<Vec<Row>> {
    println!("\n== standard: 5-state Pass workflow, StartExecution, durable (synchronous=FULL)");
    let perf = !args.no_perf
        && Command::new("perf")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let mut rows = Vec::new();
    for &clients in &args.standard_clients {
        // A fresh server and database per run, so each starts from an empty store.
        let run_dir = dir.join(format!("c{clients}"));
        std::fs::create_dir_all(&run_dir)?;
        let perf_out = perf.then(|| run_dir.join("perf.csv"));
        let server = Server::spawn_with(bin, &run_dir, perf_out)?;
        let addr = server.addr;
        let mut conn = Conn::connect(addr).await?;
        let machine =
            create_machine(&mut conn, "bench-standard", "STANDARD", &pass_chain(5)).await?;
        let m = machine.clone();
        let body: Arc<dyn Fn(usize) -> String + Send + Sync> = Arc::new(move |i| {
            json!({"stateMachineArn": m, "name": format!("e-{i}"), "input": format!("{{\"n\":{i}}}")})
                .to_string()
        });
        let total = args.standard_executions;
        let started = Instant::now();
        let run = load(
            addr,
            clients,
            total,
            None,
            "StartExecution",
            body,
            status_ok,
        )
        .await?;
        // Completion: no execution of the machine is RUNNING any more.
        loop {
            let page = conn
                .ok(
                    "ListExecutions",
                    &json!({"stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1}),
                )
                .await?;
            if page["executions"].as_array().is_none_or(Vec::is_empty) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let elapsed = started.elapsed();
        let succeeded = count_executions(&mut conn, &machine, "SUCCEEDED").await?;
        let sample = conn
            .ok(
                "GetExecutionHistory",
                &json!({"executionArn": machine.replacen(":stateMachine:", ":execution:", 1) + ":e-0", "maxResults": 1000}),
            )
            .await?;
        let events = sample["events"].as_array().map_or(0, Vec::len);
        let (rss, hwm) = rss_kib(server.pid());
        drop(conn);
        let fsyncs = server.stop()?;
        let rate = succeeded as f64 / elapsed.as_secs_f64();
        println!(
            "clients {clients}: {} started, {succeeded} SUCCEEDED, in {:.2} s = {rate:.0}/s, errors {}{}",
            run.done,
            elapsed.as_secs_f64(),
            run.errors,
            run.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        );
        println!(
            "  start latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {events} history events per execution; server RSS {:.0} MiB (peak {:.0})",
            percentile(&run.latencies, 50.0),
            percentile(&run.latencies, 99.0),
            percentile(&run.latencies, 100.0),
            mib(rss),
            mib(hwm)
        );
        rows.push(row(
            format!("Standard 5xPass executions/s, {clients} clients"),
            format!("{rate:.0}/s (errors {})", run.errors),
            ">= 2000/s",
            Some(rate >= 2000.0 && run.errors == 0 && succeeded == total),
        ));
        rows.push(row(
            format!("  StartExecution p50/p99, {clients} clients"),
            format!(
                "{:.2} / {:.2} ms",
                percentile(&run.latencies, 50.0),
                percentile(&run.latencies, 99.0)
            ),
            "-",
            None,
        ));
        match fsyncs {
            Some(f) => {
                let per_exec = f as f64 / succeeded.max(1) as f64;
                println!(
                    "  fsync+fdatasync calls over the server's life: {f} = {per_exec:.3} per execution, {:.4} per state transition (5 per execution)",
                    per_exec / 5.0
                );
                rows.push(row(
                    format!("  fsyncs per execution / per state, {clients} clients"),
                    format!("{per_exec:.3} / {:.4}", per_exec / 5.0),
                    "report",
                    None,
                ));
            }
            None => println!("  fsyncs: not counted (perf unavailable)"),
        }
    }
    Ok(rows)
}

async fn sync(args: &Args, bin: &Path, dir: &Path) -> Result<Vec<Row>> {
    println!("\n== sync: 3-state Express workflow, StartSyncExecution");
    let server = Server::spawn(bin, dir)?;
    let addr = server.addr;
    let mut conn = Conn::connect(addr).await?;
    let machine = create_machine(&mut conn, "bench-express", "EXPRESS", &pass_chain(3)).await?;
    let mut rows = Vec::new();
    for &clients in &args.sync_clients {
        let m = machine.clone();
        let body: Arc<dyn Fn(usize) -> String + Send + Sync> = Arc::new(move |i| {
            json!({"stateMachineArn": m, "input": format!("{{\"n\":{i}}}")}).to_string()
        });
        let warm = Instant::now() + Duration::from_secs(1);
        load(
            addr,
            clients,
            usize::MAX,
            Some(warm),
            "StartSyncExecution",
            body.clone(),
            sync_ok,
        )
        .await?;
        let until = Instant::now() + Duration::from_secs_f64(args.sync_seconds);
        let run = load(
            addr,
            clients,
            usize::MAX,
            Some(until),
            "StartSyncExecution",
            body,
            sync_ok,
        )
        .await?;
        let rate = run.done as f64 / run.elapsed.as_secs_f64();
        let p50 = percentile(&run.latencies, 50.0);
        let p99 = percentile(&run.latencies, 99.0);
        println!(
            "clients {clients}: {} in {:.2} s = {rate:.0}/s, p50 {p50:.2} ms, p99 {p99:.2} ms, max {:.2} ms, errors {}{}",
            run.done,
            run.elapsed.as_secs_f64(),
            percentile(&run.latencies, 100.0),
            run.errors,
            run.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        );
        rows.push(row(
            format!("StartSyncExecution 3xPass req/s, {clients} clients"),
            format!("{rate:.0}/s (errors {})", run.errors),
            ">= 10000/s",
            Some(rate >= 10_000.0 && run.errors == 0),
        ));
        rows.push(row(
            format!("  StartSyncExecution p50/p99, {clients} clients"),
            format!("{p50:.2} / {p99:.2} ms"),
            "p99 < 5 ms",
            Some(p99 < 5.0),
        ));
    }
    let (rss, hwm) = rss_kib(server.pid());
    println!("server RSS {:.1} MiB (peak {:.1} MiB)", mib(rss), mib(hwm));
    server.stop()?;
    Ok(rows)
}

/// Executions per activity run: each loops over its share of the tasks.
const ACTIVITY_EXECUTIONS: usize = 256;

/// A Standard workflow that runs activity `activity` `$.left` times.
fn activity_loop(activity: &str) -> Value {
    json!({"Comment": "bench-activity", "StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "ResultPath": null, "Next": "Count"},
        "Count": {"Type": "Pass", "Parameters": {"left.$": "States.MathAdd($.left, -1)"}, "Next": "More"},
        "More": {"Type": "Choice",
                 "Choices": [{"Variable": "$.left", "NumericGreaterThan": 0, "Next": "Work"}],
                 "Default": "Done"},
        "Done": {"Type": "Succeed"}}})
}

/// One worker: GetActivityTask, SendTaskSuccess, until `done` reaches `total`.
/// Returns the round-trip latencies (µs) and the first error.
async fn activity_worker(
    addr: SocketAddr,
    activity: Arc<String>,
    done: Arc<AtomicUsize>,
    total: usize,
    finished: Arc<tokio::sync::Notify>,
) -> Result<(Vec<u32>, Option<String>)> {
    let mut conn = Conn::connect(addr).await?;
    let poll = json!({"activityArn": *activity, "workerName": "bench"}).to_string();
    let mut lat = Vec::new();
    while done.load(Ordering::Relaxed) < total {
        let t0 = Instant::now();
        let r = conn.call("GetActivityTask", &poll).await?;
        if r.status != 200 {
            return Ok((
                lat,
                Some(format!("GetActivityTask {}: {}", r.status, r.text())),
            ));
        }
        let task = r.json()?;
        let Some(token) = task["taskToken"].as_str() else {
            continue;
        };
        let answer = json!({"taskToken": token, "output": "{\"ok\":true}"}).to_string();
        let r = conn.call("SendTaskSuccess", &answer).await?;
        if r.status != 200 {
            return Ok((
                lat,
                Some(format!("SendTaskSuccess {}: {}", r.status, r.text())),
            ));
        }
        lat.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
        if done.fetch_add(1, Ordering::Relaxed) + 1 == total {
            finished.notify_one();
        }
    }
    Ok((lat, None))
}

async fn activity(args: &Args, bin: &Path, dir: &Path) -> Result<Vec<Row>> {
    println!(
        "\n== activity: workers loop GetActivityTask -> SendTaskSuccess over HTTP, durable (synchronous=FULL)"
    );
    let mut rows = Vec::new();
    for &workers in &args.activity_workers {
        let run_dir = dir.join(format!("w{workers}"));
        std::fs::create_dir_all(&run_dir)?;
        let server = Server::spawn(bin, &run_dir)?;
        let addr = server.addr;
        let mut conn = Conn::connect(addr).await?;
        let activity = conn
            .ok("CreateActivity", &json!({"name": "bench-activity"}))
            .await?["activityArn"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no activityArn"))?;
        let machine = create_machine(
            &mut conn,
            "bench-activity",
            "STANDARD",
            &activity_loop(&activity),
        )
        .await?;
        let total = args.activity_tasks.max(ACTIVITY_EXECUTIONS);
        let per = total.div_ceil(ACTIVITY_EXECUTIONS);
        let total = per * ACTIVITY_EXECUTIONS;
        for i in 0..ACTIVITY_EXECUTIONS {
            conn.ok(
                "StartExecution",
                &json!({"stateMachineArn": machine, "name": format!("a-{i}"),
                        "input": format!("{{\"left\":{per}}}")}),
            )
            .await?;
        }
        let done = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(tokio::sync::Notify::new());
        let activity = Arc::new(activity);
        let cpu_before = (cpu_us(server.pid()), cpu_us(0));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..workers {
            tasks.spawn(activity_worker(
                addr,
                Arc::clone(&activity),
                Arc::clone(&done),
                total,
                Arc::clone(&finished),
            ));
        }
        // Workers still polling when the last task is answered would wait out
        // their long poll: the run ends at the last answer, and they are dropped.
        let mut latencies = Vec::new();
        let mut first_error = None;
        loop {
            tokio::select! {
                _ = finished.notified() => break,
                joined = tasks.join_next() => match joined {
                    Some(Ok(Ok((lat, err)))) => {
                        latencies.extend(lat);
                        if first_error.is_none() {
                            first_error = err;
                        }
                    }
                    Some(Ok(Err(e))) => bail!("activity worker: {e}"),
                    Some(Err(e)) => bail!("activity worker: {e}"),
                    None => break,
                },
            }
        }
        let elapsed = started.elapsed();
        let cpu_after = (cpu_us(server.pid()), cpu_us(0));
        tasks.abort_all();
        while let Some(joined) = tasks.join_next().await {
            if let Ok(Ok((lat, err))) = joined {
                latencies.extend(lat);
                if first_error.is_none() {
                    first_error = err;
                }
            }
        }
        latencies.sort_unstable();
        let completed = done.load(Ordering::Relaxed);
        // Every execution ran all its tasks.
        let mut succeeded = 0;
        for _ in 0..200 {
            succeeded = count_executions(&mut conn, &machine, "SUCCEEDED").await?;
            if succeeded == ACTIVITY_EXECUTIONS {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (rss, hwm) = rss_kib(server.pid());
        drop(conn);
        server.stop()?;
        let rate = completed as f64 / elapsed.as_secs_f64();
        println!(
            "workers {workers}: {completed} tasks in {:.2} s = {rate:.0} tasks/s; {succeeded}/{ACTIVITY_EXECUTIONS} executions SUCCEEDED{}",
            elapsed.as_secs_f64(),
            first_error
                .as_deref()
                .map(|e| format!(" (first error: {e})"))
                .unwrap_or_default()
        );
        println!(
            "  round trip (GetActivityTask + SendTaskSuccess) p50 {:.2} ms, p99 {:.2} ms; server RSS {:.0} MiB (peak {:.0})",
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            mib(rss),
            mib(hwm)
        );
        // Client and server share the machine: what each took per round trip.
        if let ((Some(s0), Some(c0)), (Some(s1), Some(c1))) = (cpu_before, cpu_after) {
            let per = |a: u64, b: u64| (b - a) as f64 / completed.max(1) as f64;
            println!(
                "  CPU per round trip: server {:.0} µs, client {:.0} µs (load {})",
                per(s0, s1),
                per(c0, c1),
                load_average()
            );
        }
        let ok = first_error.is_none() && completed == total && succeeded == ACTIVITY_EXECUTIONS;
        rows.push(row(
            format!("Activity round trips/s, {workers} workers"),
            format!("{rate:.0}/s"),
            ">= 5000/s",
            Some(ok && rate >= 5000.0),
        ));
        rows.push(row(
            format!("  round trip p50/p99, {workers} workers"),
            format!(
                "{:.2} / {:.2} ms",
                percentile(&latencies, 50.0),
                percentile(&latencies, 99.0)
            ),
            "-",
            None,
        ));
    }
    Ok(rows)
}

const MACHINES: usize = 4;

/// The status of bulk-loaded execution `i`: 1% FAILED, 0.1% ABORTED, 0.01%
/// TIMED_OUT, the rest SUCCEEDED.
fn bulk_status(i: usize) -> store::ExecutionStatus {
    use store::ExecutionStatus::*;
    if i % 10_000 == 3 {
        TimedOut
    } else if i % 1_000 == 2 {
        Aborted
    } else if i % 100 == 1 {
        Failed
    } else {
        Succeeded
    }
}

fn bulk_load(db: &Path, machines: &[String], total: usize) -> Result<()> {
    let options = store::SqliteOptions {
        synchronous: store::Synchronous::Normal,
        ..store::SqliteOptions::default()
    };
    let sqlite = Arc::new(store::SqliteStore::open_with(db, options)?);
    let next = Arc::new(AtomicUsize::new(0));
    let base: i64 = 1_700_000_000_000;
    let start = Instant::now();
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let sqlite = Arc::clone(&sqlite);
            let next = Arc::clone(&next);
            let machines = machines.to_vec();
            std::thread::spawn(move || -> Result<()> {
                use store::Store;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok(());
                    }
                    if i.is_multiple_of(100_000) && i > 0 {
                        println!("  {i} stored");
                    }
                    let machine = &machines[i % machines.len()];
                    let name = format!("bulk-{i}");
                    let arn = format!(
                        "{}:{name}",
                        machine.replacen(":stateMachine:", ":execution:", 1)
                    );
                    // Status by the index within the machine, so every machine gets every status.
                    let status = bulk_status(i / machines.len());
                    let started_at = base + i as i64;
                    let failed = status != store::ExecutionStatus::Succeeded;
                    let mut first = store::Transition::new(&arn, 0);
                    first.ending = Some(store::Ending {
                        status,
                        output: (!failed).then(|| "{}".to_string()),
                        error: failed.then(|| "Bench.Error".to_string()),
                        cause: None,
                        stopped_at: started_at + 5,
                    });
                    sqlite.start_execution(
                        store::NewExecution {
                            arn,
                            state_machine_arn: machine.clone(),
                            state_machine_version_arn: None,
                            state_machine_alias_arn: None,
                            name,
                            input: "{}".into(),
                            started_at,
                        },
                        first,
                    )?;
                }
            })
        })
        .collect();
    for t in threads {
        t.join()
            .map_err(|_| anyhow!("a loader thread panicked"))??;
    }
    let stats = sqlite.writer_stats();
    sqlite.shutdown()?;
    println!(
        "stored {total} executions in {:.1} s through Store::start_execution ({} write requests in {} transactions)",
        start.elapsed().as_secs_f64(),
        stats.requests,
        stats.groups
    );
    Ok(())
}

fn list(args: &Args, bin: &Path, dir: &Path, rt: &tokio::runtime::Runtime) -> Result<Vec<Row>> {
    println!(
        "\n== list: ListExecutions with {} executions stored ({MACHINES} machines)",
        args.list_executions
    );
    let server = Server::spawn(bin, dir)?;
    let addr = server.addr;
    let machines = rt.block_on(async {
        let mut conn = Conn::connect(addr).await?;
        let mut arns = Vec::new();
        for m in 0..MACHINES {
            arns.push(
                create_machine(
                    &mut conn,
                    &format!("bench-list-{m}"),
                    "STANDARD",
                    &pass_chain(1),
                )
                .await?,
            );
        }
        anyhow::Ok(arns)
    })?;
    server.stop()?;
    println!(
        "bulk insert through the store API (server stopped; synchronous=NORMAL for the load only)"
    );
    bulk_load(&dir.join("stepwise.db"), &machines, args.list_executions)?;
    let size = std::fs::metadata(dir.join("stepwise.db")).map_or(0, |m| m.len());
    println!("database file {:.0} MiB", size as f64 / 1048576.0);
    let started = Instant::now();
    let server = Server::spawn(bin, dir)?;
    println!(
        "server restarted in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let addr = server.addr;
    let machine = machines[0].clone();
    let queries: Vec<(String, Value)> = vec![
        (
            "by machine, 100 (default)".into(),
            json!({"stateMachineArn": machine}),
        ),
        (
            "by machine, 1000".into(),
            json!({"stateMachineArn": machine, "maxResults": 1000}),
        ),
        (
            "by machine + SUCCEEDED, 100".into(),
            json!({"stateMachineArn": machine, "statusFilter": "SUCCEEDED"}),
        ),
        (
            "by machine + FAILED (1%), 100".into(),
            json!({"stateMachineArn": machine, "statusFilter": "FAILED"}),
        ),
        (
            "by machine + ABORTED (0.1%), 100".into(),
            json!({"stateMachineArn": machine, "statusFilter": "ABORTED"}),
        ),
        (
            "by machine + TIMED_OUT (0.01%), 100".into(),
            json!({"stateMachineArn": machine, "statusFilter": "TIMED_OUT"}),
        ),
        (
            "by machine + RUNNING (none), 100".into(),
            json!({"stateMachineArn": machine, "statusFilter": "RUNNING"}),
        ),
    ];
    let mut rows = Vec::new();
    rt.block_on(async {
        let mut conn = Conn::connect(addr).await?;
        for (what, req) in &queries {
            let mut times = Vec::new();
            let mut n = 0;
            for _ in 0..5 {
                let t0 = Instant::now();
                let page = conn.ok("ListExecutions", req).await?;
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
                n = page["executions"].as_array().map_or(0, Vec::len);
            }
            times.sort_by(f64::total_cmp);
            println!(
                "{what}: {n} items, median {:.2} ms, min {:.2} ms, max {:.2} ms (5 calls)",
                times[2], times[0], times[4]
            );
            rows.push(row(
                format!("ListExecutions {what}"),
                format!("{:.2} ms median ({n} items)", times[2]),
                "fast (indexed)",
                Some(times[2] < 50.0),
            ));
        }
        // The 10th page by nextToken, by machine and by machine + FAILED.
        for (what, status) in [
            ("by machine", None),
            ("by machine + FAILED", Some("FAILED")),
        ] {
            let mut req = json!({"stateMachineArn": machine, "maxResults": 1000});
            if let Some(s) = status {
                req["statusFilter"] = json!(s);
            }
            let mut last = 0.0;
            for _ in 0..10 {
                let t0 = Instant::now();
                let page = conn.ok("ListExecutions", &req).await?;
                last = t0.elapsed().as_secs_f64() * 1000.0;
                match page["nextToken"].as_str() {
                    Some(t) => req["nextToken"] = json!(t),
                    None => break,
                }
            }
            println!("{what}: 10th page of 1000 via nextToken {last:.2} ms");
            rows.push(row(
                format!("ListExecutions {what}, 10th page of 1000"),
                format!("{last:.2} ms"),
                "fast (indexed)",
                Some(last < 50.0),
            ));
        }
        anyhow::Ok(())
    })?;
    server.stop()?;
    Ok(rows)
}

async fn memory(args: &Args, bin: &Path, dir: &Path) -> Result<Vec<Row>> {
    println!(
        "\n== memory: {} Standard executions waiting (Wait 3600 s)",
        args.waiting
    );
    let server = Server::spawn(bin, dir)?;
    let addr = server.addr;
    let mut conn = Conn::connect(addr).await?;
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "Next": "D"},
        "D": {"Type": "Pass", "End": true}}});
    let machine = create_machine(&mut conn, "bench-wait", "STANDARD", &definition).await?;
    let (idle, _) = rss_kib(server.pid());
    let m = machine.clone();
    let body: Arc<dyn Fn(usize) -> String + Send + Sync> = Arc::new(move |i| {
        json!({"stateMachineArn": m, "name": format!("w-{i}"), "input": "{}"}).to_string()
    });
    let run = load(
        addr,
        args.waiting_clients,
        args.waiting,
        None,
        "StartExecution",
        body,
        status_ok,
    )
    .await?;
    println!(
        "started {} in {:.1} s = {:.0}/s, errors {}{}",
        run.done,
        run.elapsed.as_secs_f64(),
        run.done as f64 / run.elapsed.as_secs_f64(),
        run.errors,
        run.first_error
            .as_deref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss, hwm) = rss_kib(server.pid());
    let running = conn
        .ok(
            "ListExecutions",
            &json!({"stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1}),
        )
        .await?;
    let any_running = running["executions"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    println!(
        "server RSS idle {:.1} MiB; with {} waiting: VmRSS {:.1} MiB, VmHWM {:.1} MiB (RUNNING listed: {any_running})",
        mib(idle),
        run.done,
        mib(rss),
        mib(hwm)
    );
    let mut rows = vec![row(
        format!("RSS, {} executions waiting (VmRSS / VmHWM)", run.done),
        format!("{:.0} / {:.0} MiB", mib(rss), mib(hwm)),
        "< 200 MiB",
        Some(hwm < 200 * 1024 && run.errors == 0),
    )];
    server.stop()?;
    // A restart recovers every waiting execution from its journal.
    let started = Instant::now();
    let server = Server::spawn(bin, dir)?;
    let recovery = started.elapsed();
    let (rss, hwm) = rss_kib(server.pid());
    println!(
        "restart recovering them: listening after {:.1} s, VmRSS {:.1} MiB, VmHWM {:.1} MiB",
        recovery.as_secs_f64(),
        mib(rss),
        mib(hwm)
    );
    rows.push(row(
        "  after restart (recovered): time, VmRSS / VmHWM",
        format!(
            "{:.1} s, {:.0} / {:.0} MiB",
            recovery.as_secs_f64(),
            mib(rss),
            mib(hwm)
        ),
        "< 200 MiB",
        Some(hwm < 200 * 1024),
    ));
    server.stop()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_reads_sized_and_chunked_responses_on_one_connection() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                // Two requests, each answered once its body has arrived.
                for answer in [
                    "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
                    "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"b\r\n4\r\n\":2}\r\n0\r\n\r\n",
                ] {
                    while find(&seen, b"{}").is_none() {
                        let n = s.read(&mut buf).await.unwrap();
                        seen.extend_from_slice(&buf[..n]);
                    }
                    let at = find(&seen, b"{}").unwrap();
                    seen.drain(..at + 2);
                    s.write_all(answer.as_bytes()).await.unwrap();
                }
            });
            let mut conn = Conn::connect(addr).await.unwrap();
            let first = conn.call("ListStateMachines", "{}").await.unwrap();
            assert_eq!(first.status, 200);
            assert_eq!(first.json().unwrap(), json!({"a": 1}));
            let second = conn.call("ListStateMachines", "{}").await.unwrap();
            assert_eq!(second.status, 400);
            assert_eq!(second.json().unwrap(), json!({"b": 2}));
            server.await.unwrap();
        });
    }

    #[test]
    fn cpu_time_of_this_process_grows_with_work() {
        let before = cpu_us(0).expect("this process's CPU time");
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(50) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        assert!(x != 1);
        assert!(cpu_us(0).unwrap() > before);
        assert_eq!(cpu_us(u32::MAX), None);
    }

    #[test]
    fn perf_counts_and_percentiles() {
        let dir = std::env::temp_dir().join(format!("stepwise-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("perf.csv");
        std::fs::write(
            &out,
            "# started\n\n3,,syscalls:sys_enter_fsync,100,100.00,,\n40,,syscalls:sys_enter_fdatasync,100,100.00,,\n",
        )
        .unwrap();
        assert_eq!(perf_count(&out), Some(43));
        std::fs::write(&out, "<not counted>,,syscalls:sys_enter_fsync,0,100.00,,\n").unwrap();
        assert_eq!(perf_count(&out), None);
        let _ = std::fs::remove_dir_all(dir);
        let sorted: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile(&sorted, 50.0), 51.0);
        assert_eq!(percentile(&sorted, 99.0), 100.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }

    #[test]
    fn pass_chain_and_bulk_statuses() {
        let d = pass_chain(5);
        assert_eq!(d["StartAt"], "P1");
        assert_eq!(d["States"]["P4"]["Next"], "P5");
        assert_eq!(d["States"]["P5"]["End"], true);
        let failed = (0..10_000)
            .filter(|&i| bulk_status(i) == store::ExecutionStatus::Failed)
            .count();
        assert_eq!(failed, 100);
    }
}
