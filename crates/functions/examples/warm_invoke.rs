//! Per-invocation overhead of a warm local function.
//!
//! `cargo run --release -p functions --example warm_invoke [N]` runs a trivial
//! Python handler (awslambdaric) N times (default 2000) after a warm-up,
//! sequentially, through the `lambda:invoke` integration (parameters, Runtime
//! API, result shape). It prints the wall time per invocation and splits it:
//! Stepwise's share (until the event is handed to the process's long poll, and
//! from the response's arrival until the task outcome is returned) against the
//! process's (loopback transfer, awslambdaric, the handler).

use std::path::PathBuf;
use std::time::Instant;

use functions::{FunctionConfig, Functions};
use runtime::{Invoker, TaskOutcome, TaskRequest};
use serde_json::json;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("STEPWISE_PYTHON")
        .unwrap_or_else(|_| dir.join("../../.venv/bin/python").display().to_string());
    let config = FunctionConfig {
        name: "noop".into(),
        runtime: Some("python3.11".into()),
        handler: Some("app.noop".into()),
        code: Some("tests/handlers/python".into()),
        interpreter: Some(python),
        concurrency: Some(1),
        ..FunctionConfig::default()
    };
    let functions =
        Functions::new(vec![config], &dir, "us-east-1", "123456789012").expect("a valid function");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let request = TaskRequest {
        task: 1,
        state_name: "Noop".into(),
        resource: "arn:aws:states:::lambda:invoke".into(),
        parameters: json!({"FunctionName": "noop", "Payload": {"orderId": "o-1", "items": [1, 2, 3]}}),
        timeout_seconds: None,
        heartbeat_seconds: None,
        task_token: None,
        caller: None,
    };
    let functions = std::sync::Arc::new(functions);
    // On a worker thread, as the runtime's tasks run in `stepwise serve`.
    let task = rt.spawn(async move {
        for _ in 0..200 {
            let out = functions.invoke(request.clone()).await;
            assert!(matches!(out, TaskOutcome::Succeeded(_)), "{out:?}");
        }
        let before = functions.function("noop").expect("declared").timings();
        let f = functions.function("noop").expect("declared");
        let cpu_before = cpu_seconds();
        let mut each = Vec::with_capacity(n);
        let mut shares = Vec::with_capacity(n);
        let t = Instant::now();
        for _ in 0..n {
            let s = Instant::now();
            let b = f.timings().stepwise_ns;
            let out = functions.invoke(request.clone()).await;
            each.push(s.elapsed().as_nanos() as u64);
            shares.push(f.timings().stepwise_ns - b);
            assert!(matches!(out, TaskOutcome::Succeeded(_)), "{out:?}");
        }
        shares.sort_unstable();
        let wall = t.elapsed();
        let cpu = cpu_seconds().zip(cpu_before).map(|(a, b)| (a - b) * 1e6 / n as f64);
        let after = functions.function("noop").expect("declared").timings();
        let count = after.invocations - before.invocations;
        let stepwise = (after.stepwise_ns - before.stepwise_ns) as f64 / count as f64 / 1000.0;
        let process = (after.process_ns - before.process_ns) as f64 / count as f64 / 1000.0;
        each.sort_unstable();
        let pct =
            |p: f64| each[((each.len() as f64 * p) as usize).min(each.len() - 1)] as f64 / 1000.0;
        println!(
            "warm invocations: {n} (processes started: {})",
            functions
                .function("noop")
                .map_or(0, |f| f.processes_started())
        );
        println!(
            "per invocation: mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs ({:.0}/s sequential)",
            wall.as_secs_f64() * 1e6 / n as f64,
            pct(0.5),
            pct(0.99),
            n as f64 / wall.as_secs_f64()
        );
        let share = |p: f64| shares[((shares.len() as f64 * p) as usize).min(shares.len() - 1)] as f64 / 1000.0;
        println!(
            "  Stepwise's share: mean {stepwise:.1} µs, p50 {:.1} µs, p90 {:.1} µs   [target < 200 µs]",
            share(0.5),
            share(0.9)
        );
        if let Some(cpu) = cpu {
            println!("  CPU time of this process per invocation (user + system): {cpu:.1} µs");
        }
        println!(
            "  process's share (mean):  {process:.1} µs (loopback transfer, awslambdaric, handler)"
        );
    });
    rt.block_on(task).expect("the benchmark ran");
}

/// This process's CPU time (user + system, all threads) from /proc, in seconds.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
