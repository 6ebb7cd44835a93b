//! The parsed model says what the definition says, field by field.

use asl::*;
use serde_json::json;

fn parse_ok(v: serde_json::Value) -> Definition {
    let (def, diags) = parse(&v.to_string());
    assert!(diags.is_empty(), "{}", create_error_message(&diags));
    def.expect("a definition when there are no diagnostics")
}

#[test]
fn top_level_and_task() {
    let def = parse_ok(json!({
        "Comment": "c", "Version": "1.0", "TimeoutSeconds": 30,
        "StartAt": "T",
        "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "InputPath": null, "ResultPath": "$.r", "OutputPath": "$",
            "Parameters": {"a.$": "$.x"}, "ResultSelector": {"p.$": "$.Payload"},
            "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 5,
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0, "JitterStrategy": "FULL"}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": null}],
            "Next": "F"},
            "F": {"Type": "Fail", "ErrorPath": "$.e", "Cause": "why"}}
    }));
    assert_eq!(def.comment.as_deref(), Some("c"));
    assert_eq!(def.timeout_seconds, Some(30));
    let t = def.graph.state("T").unwrap();
    assert_eq!(t.input_path, Some(PathField::Null));
    assert_eq!(t.result_path, Some(PathField::Path("$.r".into())));
    assert_eq!(t.transition, Some(Transition::Next("F".into())));
    let StateKind::Task(task) = &t.kind else {
        panic!()
    };
    assert_eq!(task.timeout_seconds, Some(Dynamic::Path("$.t".into())));
    assert_eq!(task.heartbeat_seconds, Some(Dynamic::Literal(5)));
    let r = &t.retry[0];
    assert_eq!(
        (r.max_attempts, r.interval_seconds, r.backoff_rate),
        (0, 1, 2.0)
    );
    assert_eq!(r.jitter_strategy, JitterStrategy::Full);
    assert_eq!(t.catch[0].result_path, Some(PathField::Null));
    let StateKind::Fail(f) = &def.graph.state("F").unwrap().kind else {
        panic!()
    };
    assert_eq!(f.error, Some(Dynamic::Path("$.e".into())));
    assert_eq!(f.cause, Some(Dynamic::Literal("why".into())));
}

#[test]
fn choice_rules() {
    let def = parse_ok(json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Default": "E", "Choices": [
                {"Not": {"Variable": "$.a", "NumericEqualsPath": "$.b"}, "Next": "E"},
                {"And": [{"Variable": "$.s", "StringMatches": "x*"},
                         {"Variable": "$.n", "IsPresent": true}], "Next": "E"}]},
            "E": {"Type": "Succeed"}}
    }));
    let StateKind::Choice(c) = &def.graph.state("C").unwrap().kind else {
        panic!()
    };
    assert_eq!(c.default.as_deref(), Some("E"));
    assert_eq!(
        c.choices[0].condition,
        Condition::Not(Box::new(Condition::Compare {
            variable: "$.a".into(),
            operator: Comparison::NumericEquals,
            operand: Operand::Path("$.b".into()),
        }))
    );
    let Condition::And(parts) = &c.choices[1].condition else {
        panic!()
    };
    assert_eq!(parts.len(), 2);
}

#[test]
fn jsonata_wait_map_and_choice() {
    let def = parse_ok(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "M",
                  "Output": {"x": 1}}]},
            "M": {"Type": "Map", "Items": "{% [1,2] %}", "MaxConcurrency": 2,
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
                  "End": true}}
    }));
    assert_eq!(def.query_language, QueryLanguage::Jsonata);
    let StateKind::Wait(w) = &def.graph.state("W").unwrap().kind else {
        panic!()
    };
    assert_eq!(
        *w,
        Wait::Seconds(Dynamic::Jsonata("{% $states.input.s %}".into()))
    );
    let StateKind::Map(m) = &def.graph.state("M").unwrap().kind else {
        panic!()
    };
    assert_eq!(m.max_concurrency, Some(Dynamic::Literal(2)));
    assert_eq!(m.items, Some(json!("{% [1,2] %}")));
    assert!(!m.legacy_iterator);
    assert_eq!(m.processor_config.mode, ProcessorMode::Inline);
    assert_eq!(m.processor.start_at, "P");
}

#[test]
fn legacy_map_iterator() {
    let def = parse_ok(json!({
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "Parameters": {"v.$": "$$.Map.Item.Value"},
            "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ToleratedFailurePercentage": 50, "End": true}}
    }));
    let s = def.graph.state("M").unwrap();
    assert!(s.parameters.is_some());
    let StateKind::Map(m) = &s.kind else { panic!() };
    assert!(m.legacy_iterator);
    assert_eq!(m.items_path.as_deref(), Some("$.items"));
    assert_eq!(m.tolerated_failure_percentage, Some(Dynamic::Literal(50.0)));
}
