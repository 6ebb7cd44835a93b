//! Helpers shared by the engine's step-by-step tests: an execution's fixed facts,
//! starting a definition, and the history as numbered lines.
#![allow(dead_code)]

use engine::{Decision, Execution, ExecutionInfo, Limits, Plan};
use serde_json::{Value, json};

/// The virtual start time of every test execution.
pub const T0: i64 = 1_700_000_000_000;

pub fn info() -> ExecutionInfo {
    ExecutionInfo {
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
        seed: 1,
        time_ordered_tokens: false,
        missing_activities: Vec::new(),
    }
}

/// Starts a definition (which must be valid) with the input `{"n": 1}` at `T0`.
pub fn start(definition: &Value) -> (Execution, Decision) {
    let (def, diags) = asl::parse(&definition.to_string());
    assert!(diags.is_empty(), "{diags:?}");
    Execution::start(
        Plan::new(def.expect("valid")),
        info(),
        json!({"n": 1}),
        Limits::default(),
        T0,
    )
}

/// `id previousEventId Type [state name]`, one line per event.
pub fn render(d: &Decision) -> String {
    d.events
        .iter()
        .map(|e| {
            let j = e.to_json();
            let name = j
                .as_object()
                .into_iter()
                .flatten()
                .find_map(|(_, v)| v.get("name").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default();
            format!(
                "{} {} {} {}",
                e.id,
                e.previous_event_id,
                e.type_name(),
                name
            )
            .trim_end()
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
