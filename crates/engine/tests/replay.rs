//! The engine is a deterministic function of its inputs: running an execution
//! twice with the same seed, input and task results gives the same history, event
//! for event. Checked over every runnable case of the AWS-recorded corpus, which
//! exercises every state type, Retry/Catch, Map, Parallel, variables and JSONata.

use std::collections::HashMap;
use std::path::PathBuf;

use engine::simulate::{Mocks, TaskOutcome, VirtualClock};
use engine::{ExecutionInfo, Limits, Plan};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    match std::env::var("STEPWISE_CONFORMANCE_DIR") {
        Ok(dir) => PathBuf::from(dir).join("sfn"),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/sfn"),
    }
}

fn run(definition: &asl::Definition, case: &Value, seed: u64) -> Vec<Value> {
    let mut responses: HashMap<String, Vec<TaskOutcome>> = HashMap::new();
    for (state, list) in case["mocks"].as_object().into_iter().flatten() {
        let outcomes = list
            .as_array()
            .map(|a| a.iter().filter_map(|r| Mocks::response(r).ok()).collect())
            .unwrap_or_default();
        responses.insert(state.clone(), outcomes);
    }
    let info = ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
        name: "e".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        state_machine_name: "m".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        region: "us-east-1".into(),
        account: "123456789012".into(),
        redrive_count: 0,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        input_text: None,
        seed,
        time_ordered_tokens: false,
        missing_activities: Vec::new(),
    };
    let outcome = engine::simulate::run(
        Plan::new(definition.clone()),
        info,
        case["input"].clone(),
        Limits::default(),
        &mut VirtualClock(1_700_000_000_000),
        &mut Mocks::new(responses),
        true,
    );
    outcome.history.iter().map(|e| e.to_json()).collect()
}

#[test]
fn same_inputs_same_history() {
    let dir = corpus_dir();
    let mut checked = 0;
    for category in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let category = category.expect("corpus entry").path();
        if !category.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&category).expect("category folder") {
            let path = file.expect("case file").path();
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("readable"))
                    .expect("case is JSON");
            if case["kind"] == "invalid_definition" {
                continue;
            }
            let text = case["definition"].to_string();
            let (Some(definition), _) = asl::parse(&text) else {
                continue;
            };
            let first = run(&definition, &case, 7);
            let second = run(&definition, &case, 7);
            assert_eq!(first, second, "{} replayed differently", path.display());
            assert!(!first.is_empty(), "{}: no history", path.display());
            checked += 1;
        }
    }
    assert!(checked > 700, "only {checked} cases replayed");
}
