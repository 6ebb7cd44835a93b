//! Runs each benchmark workload N times and prints transitions per second, peak heap
//! and peak RSS, then shows that with history streamed and dropped an execution's
//! memory follows its live data, not its history length.
//!
//! `cargo run --release -p engine --example bench_report [-- N [W1 W3a ...]]`
//!
//! Peak heap comes from a counting global allocator around the system allocator
//! (current and peak bytes, peak reset before each workload), reported above the
//! bytes live when the workload started. Peak RSS is `VmHWM` from
//! `/proc/self/status`, reset per workload through `/proc/self/clear_refs` where
//! the kernel allows it. The counting allocator costs a little time; the criterion
//! bench (`cargo bench -p engine --bench workloads`) is the reference for speed.

#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{IDS, Workload, parse_definition, workloads_dir};
use engine::Status;
use peak_alloc::PeakAlloc;
use serde_json::{Value, json};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// Peak resident set size in KiB (`VmHWM`), when the kernel reports it.
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets `VmHWM` to the current RSS; false where the kernel does not allow it.
fn reset_vm_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Starts a peak-heap measurement: returns the bytes live now.
fn heap_mark() -> usize {
    HEAP.reset_peak_usage();
    HEAP.current_usage()
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Time after which no further run of a workload is begun.
const BUDGET: Duration = Duration::from_secs(10);

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn report(workload: &Workload, runs: usize, hwm_resets: bool) {
    if let Err(e) = workload.verify() {
        panic!("{e}");
    }
    if hwm_resets {
        reset_vm_hwm();
    }
    let base = heap_mark();
    let mut times = Vec::with_capacity(runs);
    let began = Instant::now();
    // N runs, or fewer for a slow workload: at least one, and none begun after BUDGET.
    while times.len() < runs && (times.is_empty() || began.elapsed() < BUDGET) {
        let start = Instant::now();
        black_box(workload.run());
        times.push(start.elapsed());
    }
    let done = times.len();
    let peak = HEAP.peak_usage().saturating_sub(base);
    let run = median(times);
    let seconds = run.as_secs_f64();
    let transitions = workload.total_transitions() as f64 / seconds;
    let per_execution_ms = seconds * 1e3 / workload.executions as f64;
    println!(
        "{:<4} {:<28} {:>6} {:>5} {:>14.0} {:>12.4} {:>12.0} {:>13} {:>12}",
        workload.id,
        workload.name,
        workload.executions,
        done,
        transitions,
        per_execution_ms,
        workload.executions as f64 / seconds,
        kib(peak),
        vm_hwm_kib().map_or("n/a".to_string(), |k| format!("{k} KiB")),
    );
}

/// W2's loop with its bound changed to `iterations`.
fn choice_loop(iterations: u64) -> Workload {
    let path = workloads_dir().join("W2_choice_loop.asl.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut asl: Value = serde_json::from_str(&text).expect("W2 is JSON");
    let bound = &mut asl["States"]["Check"]["Choices"][0]["NumericGreaterThanEquals"];
    assert!(bound.is_number(), "W2's Check state compares with a number");
    *bound = json!(iterations);
    Workload::new(
        "W2",
        &format!("choice-loop x{iterations}"),
        parse_definition(&asl.to_string(), "W2 variant"),
        json!({}),
        json!({ "counter": iterations }),
        1,
        2 * iterations + 3,
    )
}

/// The same loop with the increment done by a `bench-inc` Task: the interpreter
/// hands back a decision at every task, so the history leaves it in small pieces.
fn task_loop(iterations: u64) -> Workload {
    let asl = json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": {"n": 0}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": iterations, "Next": "Done"}],
                "Default": "Inc"
            },
            "Inc": {"Type": "Task", "Resource": common::BENCH_INC, "Next": "Check"},
            "Done": {"Type": "Succeed"}
        }
    });
    Workload::new(
        "task-loop",
        &format!("task-loop x{iterations}"),
        parse_definition(&asl.to_string(), "task loop"),
        json!({}),
        json!({ "n": iterations }),
        1,
        2 * iterations + 3,
    )
}

/// Peak heap of one execution with history dropped and kept, at two loop lengths.
fn history_demo() {
    println!();
    println!("Memory vs. history length (one execution; peak heap above what was live before it):");
    println!(
        "{:<22} {:>12} {:>8} {:>18} {:>18}",
        "loop", "transitions", "events", "history dropped", "history kept"
    );
    type Make = fn(u64) -> Workload;
    let loops: [(&str, Make); 2] = [("W2 Choice+Pass", choice_loop), ("Choice+Task", task_loop)];
    for (what, make) in loops {
        for iterations in [1_000, 10_000] {
            let workload = make(iterations);
            if let Err(e) = workload.verify() {
                panic!("{e}");
            }
            let mut peaks = [0usize; 2];
            let mut events = 0;
            for (keep, peak) in [false, true].into_iter().zip(peaks.iter_mut()) {
                let base = heap_mark();
                let outcome = workload.execute(0, keep);
                *peak = HEAP.peak_usage().saturating_sub(base);
                assert!(matches!(outcome.status, Status::Succeeded { .. }));
                assert_eq!(
                    outcome.history.len() as u64,
                    if keep { outcome.event_count } else { 0 }
                );
                events = outcome.event_count;
            }
            println!(
                "{:<22} {:>12} {:>8} {:>18} {:>18}",
                format!("{what} x{iterations}"),
                workload.transitions,
                events,
                kib(peaks[0]),
                kib(peaks[1])
            );
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .map(|n| n.parse().expect("N: a number of runs per workload"))
        .unwrap_or(10)
        .max(1);
    let only: Vec<String> = args.collect();
    let hwm_resets = reset_vm_hwm();
    println!(
        "Whole executions, history streamed and dropped, outputs checked first; median of {runs} runs (fewer past {}s).",
        BUDGET.as_secs()
    );
    if !hwm_resets {
        println!("(VmHWM cannot be reset here: it is the process's peak so far.)");
    }
    println!(
        "{:<4} {:<28} {:>6} {:>5} {:>14} {:>12} {:>12} {:>13} {:>12}",
        "id",
        "workload",
        "execs",
        "runs",
        "transitions/s",
        "ms/exec",
        "execs/s",
        "peak heap",
        "VmHWM"
    );
    for id in IDS {
        if only.is_empty() || only.iter().any(|o| o == id) {
            report(&Workload::load(id), runs, hwm_resets);
        }
    }
    if only.is_empty() || only.iter().any(|o| o == "W2") {
        history_demo();
    }
}
