//! Helpers shared by the store tests: a temp database, sample records, transitions.
#![allow(dead_code)]

use store::*;

pub const REGION_ACCOUNT: &str = "us-east-1:123456789012";

/// A fresh database file in its own temp dir (kept alive by the returned guard).
pub fn temp_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data").join("stepwise.db");
    (dir, path)
}

pub fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION_ACCOUNT}:stateMachine:{name}")
}

pub fn machine(name: &str, created_at: i64) -> StateMachine {
    StateMachine {
        arn: machine_arn(name),
        name: name.to_string(),
        machine_type: MachineType::Standard,
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        description: None,
        created_at,
        revision_id: format!("rev-{name}-0"),
        logging_configuration: Some(r#"{"level":"OFF"}"#.into()),
        tracing_configuration: None,
    }
}

/// `n` event rows numbered from `first`, each chained to the one before.
pub fn events(first: i64, n: usize, timestamp: i64) -> Vec<EventRow> {
    (0..n as i64)
        .map(|i| {
            let id = first + i;
            EventRow {
                id,
                previous_id: id - 1,
                event_type: "PassStateEntered".into(),
                timestamp,
                details: format!(
                    r#"{{"stateEnteredEventDetails":{{"name":"S{id}","input":"{{\"i\":{id}}}"}}}}"#
                ),
            }
        })
        .collect()
}

pub fn execution_arn(machine: &str, name: &str) -> String {
    format!("arn:aws:states:{REGION_ACCOUNT}:execution:{machine}:{name}")
}

/// Starts execution `name` of `machine` with one `ExecutionStarted`-like event.
pub fn start(store: &dyn Store, machine: &str, name: &str, started_at: i64) -> String {
    let arn = execution_arn(machine, name);
    let mut first = Transition::new(&arn, 0);
    first.events = events(1, 1, started_at);
    first.snapshot = Some(b"v1".to_vec());
    let outcome = store
        .start_execution(
            NewExecution {
                arn: arn.clone(),
                state_machine_arn: machine_arn(machine),
                state_machine_version_arn: None,
                state_machine_alias_arn: None,
                name: name.to_string(),
                input: r#"{"a":1}"#.into(),
                started_at,
            },
            first,
        )
        .expect("start");
    assert_eq!(outcome, StartOutcome::Started);
    arn
}
