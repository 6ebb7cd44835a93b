//! Criterion benchmarks of whole executions over the shared benchmark workloads
//! (W1–W6), reported as state transitions per second.
//!
//! Every execution of each workload is run once and its output checked before
//! anything is measured, so a wrong engine cannot report a speed. The workloads
//! are read from `STEPWISE_BENCH_WORKLOADS`, or `shared/bench/workloads` beside
//! the repository.

mod common;

use common::{IDS, Workload};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("workloads");
    // One iteration is a whole run of a workload (up to 20,000 transitions):
    // ten samples keep the measurement within its time budget.
    group.sample_size(10);
    for id in IDS {
        let workload = Workload::load(id);
        if let Err(e) = workload.verify() {
            panic!("{} is not measured: {e}", workload.name);
        }
        group.throughput(Throughput::Elements(workload.total_transitions()));
        group.bench_function(id, |b| b.iter(|| black_box(workload.run())));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
