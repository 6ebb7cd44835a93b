//! Workflow variables through the engine's public interface: evaluation order within a state
//! (Assign and Output see the values from state entry, never each other's), and the size
//! limits.

use engine::{Execution, ExecutionInfo, Limits, Plan, Status};
use serde_json::{Value, json};

fn info() -> ExecutionInfo {
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

/// Runs a definition of Pass states to its end.
fn run(definition: Value, input: Value) -> Status {
    let (def, diags) = asl::parse(&definition.to_string());
    assert!(diags.is_empty(), "{diags:?}");
    let plan = Plan::new(def.expect("valid"));
    let (exec, _) = Execution::start(plan, info(), input, Limits::default(), 1_700_000_000_000);
    exec.status().clone()
}

fn output(status: Status) -> Value {
    match status {
        Status::Succeeded { output } => (*output).clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn jsonata_assign_and_output_see_the_values_at_state_entry() {
    let definition = json!({"StartAt": "Init", "QueryLanguage": "JSONata", "States": {
        "Init": {"Type": "Pass", "Assign": {"x": 1, "y": 2}, "Next": "Swap"},
        "Swap": {"Type": "Pass",
            "Assign": {"x": "{% $y %}", "y": "{% $x %}", "n": "{% $states.input.n %}"},
            "Output": {"x": "{% $x %}", "y": "{% $y %}"},
            "Next": "Read"},
        "Read": {"Type": "Pass",
            "Output": {"before": "{% $states.input %}", "x": "{% $x %}", "y": "{% $y %}", "n": "{% $n %}"},
            "End": true}}});
    assert_eq!(
        output(run(definition, json!({"n": 7}))),
        json!({"before": {"x": 1, "y": 2}, "x": 2, "y": 1, "n": 7})
    );
}

#[test]
fn an_assignment_does_not_see_another_of_the_same_state() {
    let definition = json!({"StartAt": "A", "QueryLanguage": "JSONata", "States": {
        "A": {"Type": "Pass", "Assign": {"a": 1, "b": "{% $a %}"}, "End": true}}});
    match run(definition, json!({})) {
        Status::Failed(e) => {
            assert_eq!(e.error.as_deref(), Some("States.QueryEvaluationError"));
            let cause = e.cause.unwrap_or_default();
            assert!(
                cause.contains("The JSONata expression '$a' specified for the field 'Assign/b' returned nothing (undefined)."),
                "{cause}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn jsonpath_assign_sees_the_result_and_the_old_values() {
    let definition = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"x": "old"}, "Next": "Work"},
        "Work": {"Type": "Pass", "Result": {"v": 42}, "ResultPath": "$.r",
            "Assign": {"fromResult.$": "$.v", "previous.$": "$x", "x": "new",
                       "input.$": "$$.Execution.Input.n"},
            "Next": "Read"},
        "Read": {"Type": "Pass", "Parameters": {
            "fromResult.$": "$fromResult", "previous.$": "$previous", "x.$": "$x",
            "input.$": "$input", "r.$": "$.r"}, "End": true}}});
    assert_eq!(
        output(run(definition, json!({"n": 3}))),
        json!({"fromResult": 42, "previous": "old", "x": "new", "input": 3, "r": {"v": 42}})
    );
}

#[test]
fn one_assign_over_256_kib_is_data_limit_exceeded() {
    // Each value is under the limit of one variable; together they are over the limit of
    // one Assign. (A single JSONata value over 256 KiB already stops the expression: its
    // result limit is the payload limit.)
    let definition = json!({"StartAt": "Big", "QueryLanguage": "JSONata", "States": {
        "Big": {"Type": "Pass", "Assign": {
            "a": "{% $pad('', 150000, 'x') %}", "b": "{% $pad('', 150000, 'y') %}"}, "End": true}}});
    match run(definition, json!({})) {
        Status::Failed(e) => {
            assert_eq!(e.error.as_deref(), Some("States.DataLimitExceeded"));
            let cause = e.cause.unwrap_or_default();
            assert!(
                cause.contains("'Big'") && cause.contains("one Assign"),
                "{cause}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Under the limit, the values are stored and read back.
    let definition = json!({"StartAt": "Big", "QueryLanguage": "JSONata", "States": {
        "Big": {"Type": "Pass", "Assign": {
            "a": "{% $pad('', 100000, 'x') %}", "b": "{% $pad('', 100000, 'y') %}"}, "Next": "Read"},
        "Read": {"Type": "Pass", "Output": "{% $length($a) + $length($b) %}", "End": true}}});
    assert_eq!(output(run(definition, json!({}))), json!(200000));
}
