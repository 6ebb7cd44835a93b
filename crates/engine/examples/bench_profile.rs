//! Runs one benchmark workload a given number of times with nothing else around it
//! (no output check, no counting allocator): the program to hand to a profiler.
//!
//! `valgrind --tool=callgrind target/release/examples/bench_profile W1 3`

// Shared with the benchmark, which uses more of it.
#[allow(dead_code)]
#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;

use common::Workload;

/// The allocator of the `stepwise` binary and the benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let id = args.next().unwrap_or_else(|| "W1".to_string());
    let runs: usize = args
        .next()
        .map(|n| n.parse().expect("runs: a number"))
        .unwrap_or(1);
    let workload = Workload::load(&id);
    let events: u64 = (0..runs).map(|_| black_box(workload.run())).sum();
    println!("{id}: {runs} runs, {events} events");
}
