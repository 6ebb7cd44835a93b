//! Helpers shared by the runtime tests: a store on a temp file, machines, runtimes.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use runtime::{Runtime, RuntimeConfig, StartExecution};
use store::{EventRow, HistoryQuery, MachineType, PageRequest, SqliteStore, StateMachine, Store};

pub const ACCOUNT: &str = "us-east-1:123456789012";

pub fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:{ACCOUNT}:stateMachine:{name}")
}

pub fn open(path: &Path) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(path).expect("open store"))
}

/// A temp dir with a fresh store, and a runtime over it (started).
pub async fn setup() -> (tempfile::TempDir, Arc<dyn Store>, Arc<Runtime>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("stepwise.db"));
    let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
    rt.start().await.expect("runtime start");
    (dir, store, rt)
}

pub fn create(store: &dyn Store, name: &str, kind: MachineType, definition: &str) -> String {
    let arn = machine_arn(name);
    store
        .create_state_machine(StateMachine {
            arn: arn.clone(),
            name: name.to_string(),
            machine_type: kind,
            definition: definition.to_string(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            description: None,
            created_at: 1,
            revision_id: format!("rev-{name}"),
            logging_configuration: None,
            tracing_configuration: None,
        })
        .expect("create machine");
    arn
}

pub fn start_req(target: &str, name: Option<&str>, input: &str) -> StartExecution {
    StartExecution {
        target_arn: target.to_string(),
        name: name.map(str::to_string),
        input: Some(input.to_string()),
        trace_header: None,
    }
}

pub fn history(store: &dyn Store, arn: &str) -> Vec<EventRow> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let q = HistoryQuery {
            reverse_order: false,
            page: PageRequest {
                max_results: 1000,
                next_token: token,
            },
        };
        let page = store.history(arn, &q).expect("history");
        all.extend(page.items);
        token = page.next_token;
        if token.is_none() {
            return all;
        }
    }
}

pub fn types(events: &[EventRow]) -> Vec<String> {
    events.iter().map(|e| e.event_type.clone()).collect()
}
