//! Read costs of long histories: four executions commit 8,000 transitions each,
//! interleaved, then one of them is read whole (`all_events`, `journal`), page
//! by page forward, and its newest page in reverse.
//!
//! Run: `cargo run --release -p store --example long_history`.

use std::time::Instant;
use store::*;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path().join("db")).unwrap();
    s.create_state_machine(StateMachine {
        arn: "arn:aws:states:us-east-1:1:stateMachine:m".into(),
        name: "m".into(),
        machine_type: MachineType::Standard,
        definition: "{}".into(),
        role_arn: "r".into(),
        description: None,
        created_at: 0,
        revision_id: "r".into(),
        logging_configuration: None,
        tracing_configuration: None,
    })
    .unwrap();
    let ev = |id: i64| EventRow {
        id,
        previous_id: id - 1,
        event_type: "PassStateEntered".into(),
        timestamp: 1,
        details: format!(
            r#"{{"stateEnteredEventDetails":{{"name":"S","input":"{{\"i\":{id}}}"}}}}"#
        ),
    };
    let arns: Vec<String> = (0..4)
        .map(|i| {
            let arn = format!("arn:aws:states:us-east-1:1:execution:m:e{i}");
            let mut t = Transition::new(&arn, 0);
            t.events = vec![ev(1)];
            s.start_execution(
                NewExecution {
                    arn: arn.clone(),
                    state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:m".into(),
                    state_machine_version_arn: None,
                    state_machine_alias_arn: None,
                    name: format!("e{i}"),
                    input: "{}".into(),
                    started_at: 1,
                },
                t,
            )
            .unwrap();
            arn
        })
        .collect();
    let n = 8000i64;
    let t0 = Instant::now();
    for v in 1..=n {
        let batch = arns
            .iter()
            .map(|arn| {
                let mut t = Transition::new(arn, v);
                t.events = vec![ev(2 * v), ev(2 * v + 1)];
                t.journal = Some(format!("entry {v}"));
                t
            })
            .collect();
        s.commit(batch).unwrap();
    }
    println!("{} transitions written in {:?}", n * 4, t0.elapsed());
    let t0 = Instant::now();
    let all = s.all_events(&arns[0]).unwrap();
    println!("all_events: {} events in {:?}", all.len(), t0.elapsed());
    let t0 = Instant::now();
    let j = s.journal(&arns[0], 0, usize::MAX).unwrap();
    println!("journal: {} entries in {:?}", j.len(), t0.elapsed());
    let t0 = Instant::now();
    let mut q = HistoryQuery {
        reverse_order: false,
        page: PageRequest::first(1000),
    };
    let mut pages = 0;
    loop {
        let p = s.history(&arns[0], &q).unwrap();
        pages += 1;
        match p.next_token {
            Some(t) => q.page.next_token = Some(t),
            None => break,
        }
    }
    println!("forward paging: {pages} pages in {:?}", t0.elapsed());
    let t0 = Instant::now();
    let p = s
        .history(
            &arns[0],
            &HistoryQuery {
                reverse_order: true,
                page: PageRequest::first(100),
            },
        )
        .unwrap();
    println!(
        "newest 100 (reverse): {} in {:?}",
        p.items.len(),
        t0.elapsed()
    );
}
