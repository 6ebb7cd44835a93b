//! Criterion benchmarks of whole executions over the shared benchmark workloads
//! (W1–W6), reported as state transitions per second.
//!
//! Every execution of a workload is run once and its output checked before the
//! workload is measured, so a wrong engine cannot report a speed; workloads left
//! out by a filter (`cargo bench -p engine --bench workloads -- W1`) are neither
//! checked nor measured. The workloads are read from `STEPWISE_BENCH_WORKLOADS`, or
//! `shared/bench/workloads` beside the repository.

mod common;

use common::{IDS, Workload};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

/// The allocator the `stepwise` binary ships with, so the figures are what users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("workloads");
    // One iteration is a whole run of a workload (up to 20,000 transitions):
    // ten samples keep the measurement within its time budget.
    group.sample_size(10);
    for id in IDS {
        let workload = Workload::load(id);
        let mut verified = false;
        group.throughput(Throughput::Elements(workload.total_transitions()));
        group.bench_function(id, |b| {
            if !verified {
                if let Err(e) = workload.verify() {
                    panic!("{} is not measured: {e}", workload.name);
                }
                verified = true;
            }
            b.iter(|| black_box(workload.run()));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
