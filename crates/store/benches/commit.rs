//! Commit throughput of the SQLite store: transitions (and their events) per second
//! for 1, 16 and 64 concurrent producers, each committing its own execution's
//! transitions one at a time, so the writer's group commit is what scales it.
//!
//! Run: `cargo bench -p store --bench commit`. Besides criterion's time per commit,
//! each case prints commits/s, events/s and the mean group size it measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use store::*;

/// Events per transition; each details text is ~300 bytes, like a real state entry.
const EVENTS: usize = 4;

fn machine() -> StateMachine {
    StateMachine {
        arn: "arn:aws:states:us-east-1:123456789012:stateMachine:bench".into(),
        name: "bench".into(),
        machine_type: MachineType::Standard,
        definition: "{}".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        description: None,
        created_at: 0,
        revision_id: "r".into(),
        logging_configuration: None,
        tracing_configuration: None,
    }
}

fn events(first: i64, n: usize) -> Vec<EventRow> {
    let padding = "x".repeat(200);
    (0..n as i64)
        .map(|i| EventRow {
            id: first + i,
            previous_id: first + i - 1,
            event_type: "TaskStateEntered".into(),
            timestamp: 1_700_000_000_000,
            details: format!(
                r#"{{"stateEnteredEventDetails":{{"name":"State{i}","input":"{{\"pad\":\"{padding}\"}}","inputDetails":{{"truncated":false}}}}}}"#
            ),
        })
        .collect()
}

/// A producer's execution and the version it has reached.
struct Producer {
    arn: String,
    version: i64,
}

fn new_producer(s: &SqliteStore, id: u64) -> Producer {
    let arn = format!("arn:aws:states:us-east-1:123456789012:execution:bench:e{id}");
    let mut first = Transition::new(&arn, 0);
    first.events = events(1, 1);
    s.start_execution(
        NewExecution {
            arn: arn.clone(),
            state_machine_arn: machine().arn,
            state_machine_version_arn: None,
            state_machine_alias_arn: None,
            name: format!("e{id}"),
            input: "{}".into(),
            started_at: id as i64,
        },
        first,
    )
    .unwrap();
    Producer { arn, version: 1 }
}

fn commit_one(s: &SqliteStore, p: &mut Producer) {
    let mut t = Transition::new(&p.arn, p.version);
    t.events = events(2 + EVENTS as i64 * (p.version - 1), EVENTS);
    t.snapshot = Some(vec![7u8; 512]);
    let out = s.commit(vec![t]).unwrap();
    assert_eq!(
        out,
        vec![CommitOutcome::Committed {
            version: p.version + 1
        }]
    );
    p.version += 1;
}

fn bench_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(1));
    let cases = [
        ("full", Synchronous::Full, 1usize),
        ("full", Synchronous::Full, 16),
        ("full", Synchronous::Full, 64),
        ("normal", Synchronous::Normal, 16),
    ];
    for (label, sync, producers) in cases {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqliteStore::open_with(
                dir.path().join("bench.db"),
                SqliteOptions {
                    synchronous: sync,
                    ..SqliteOptions::default()
                },
            )
            .unwrap(),
        );
        store.create_state_machine(machine()).unwrap();
        let mut next_id = 0u64;
        // (commits, time, writer requests, writer groups) of the timed sections only.
        let mut totals = (0u64, Duration::ZERO, 0u64, 0u64);
        group.bench_function(BenchmarkId::new(label, producers), |b| {
            b.iter_custom(|iters| {
                let mut ps: Vec<Producer> = (0..producers)
                    .map(|_| {
                        next_id += 1;
                        new_producer(&store, next_id)
                    })
                    .collect();
                let per = iters.div_ceil(producers as u64);
                let before = store.writer_stats();
                let began = Instant::now();
                std::thread::scope(|scope| {
                    for p in ps.iter_mut() {
                        let store = &store;
                        scope.spawn(move || {
                            for _ in 0..per {
                                commit_one(store, p);
                            }
                        });
                    }
                });
                let elapsed = began.elapsed();
                let after = store.writer_stats();
                totals.0 += per * producers as u64;
                totals.1 += elapsed;
                totals.2 += after.requests - before.requests;
                totals.3 += after.groups - before.groups;
                // Report time per commit as criterion expects for `iters` commits.
                elapsed.mul_f64(iters as f64 / (per * producers as u64) as f64)
            })
        });
        let secs = totals.1.as_secs_f64();
        eprintln!(
            "commit/{label}/{producers}: {:.0} commits/s, {:.0} events/s, mean group {:.1} requests",
            totals.0 as f64 / secs,
            (totals.0 * EVENTS as u64) as f64 / secs,
            totals.2 as f64 / totals.3.max(1) as f64,
        );
    }
    group.finish();
}

criterion_group!(benches, bench_commit);
criterion_main!(benches);
