//! End-to-end tests of `stepwise eval`: each form, with real values.

mod common;

use common::{stepwise, temp_dir, write};
use serde_json::json;

#[test]
fn eval_jsonpath() {
    let out = stepwise(&[
        "eval",
        "--jsonpath",
        "$.a.b",
        "--input",
        r#"{"a": {"b": [1, 2]}}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json(), json!([1, 2]));

    let out = stepwise(&[
        "eval",
        "--jsonpath",
        "$.items[?(@.p > 1)].p",
        "--input",
        r#"{"items": [{"p": 1}, {"p": 2}, {"p": 3}]}"#,
    ]);
    assert_eq!(out.json(), json!([2, 3]));

    let out = stepwise(&["eval", "--jsonpath", "$.missing", "--input", "{}"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: States.Runtime"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Invalid path '$.missing'"),
        "{}",
        out.stderr
    );
}

#[test]
fn eval_template_with_intrinsics() {
    let out = stepwise(&[
        "eval",
        "--template",
        r#"{"x.$": "States.Format('{} is {}', $.a, $.b)", "k": 1, "list.$": "States.Array($.b, 3)"}"#,
        "--input",
        r#"{"a": "answer", "b": 42}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json(),
        json!({"x": "answer is 42", "k": 1, "list": [42, 3]})
    );
}

#[test]
fn eval_jsonata_binds_the_input_twice() {
    let dir = temp_dir();
    let order = write(
        &dir,
        "order.json",
        &json!({"items": [{"price": 2}, {"price": 3.5}]}),
    );
    let input = format!("@{order}");
    let out = stepwise(&["eval", "--jsonata", "$sum(items.price)", "--input", &input]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json(), json!(5.5));

    let out = stepwise(&[
        "eval",
        "--jsonata",
        "{% $states.input.items[1].price %}",
        "--input",
        &input,
    ]);
    assert_eq!(out.json(), json!(3.5));

    let out = stepwise(&["eval", "--jsonata", "$sum(", "--input", &input]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.starts_with("S0"), "{}", out.stderr);
}

#[test]
fn eval_jsonata_as_the_test_suite_runs_a_case() {
    // No input: `$` is undefined, so a path gives nothing (printed as nothing).
    let out = stepwise(&["eval", "--jsonata", "1 + 2"]);
    assert_eq!((out.code, out.json()), (0, json!(3)), "{}", out.stderr);
    let out = stepwise(&["eval", "--jsonata", "foo.bar"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let out = stepwise(&["eval", "--jsonata", "$"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));

    // Bindings are variables by name, without the `$`.
    let out = stepwise(&[
        "eval",
        "--jsonata",
        "$x * n",
        "--input",
        r#"{"n": 2}"#,
        "--bindings",
        r#"{"x": 21}"#,
    ]);
    assert_eq!((out.code, out.json()), (0, json!(42)), "{}", out.stderr);
    let out = stepwise(&[
        "eval",
        "--jsonata",
        "$f",
        "--bindings",
        r#"{"f": {"a": [1, null]}}"#,
    ]);
    assert_eq!(out.json(), json!({"a": [1, null]}));

    // An error: JSONata's code and message on stderr, exit status 1.
    let out = stepwise(&["eval", "--jsonata", "'a' + 1"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.starts_with("T2001: ") && out.stderr.contains("operator"),
        "{}",
        out.stderr
    );
    let out = stepwise(&["eval", "--jsonata", "$undefinedFn()"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("T1006: "), "{}", out.stderr);

    // Bindings must be an object.
    let out = stepwise(&["eval", "--jsonata", "1", "--bindings", "[1]"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("--bindings must be a JSON object"),
        "{}",
        out.stderr
    );
}

#[test]
fn eval_state_shows_a_task_data_flow() {
    let state = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.order",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "ResultSelector": {"body.$": "$.Payload"},
        "ResultPath": "$.res",
        "OutputPath": "$.res",
        "Next": "Elsewhere"
    });
    let out = stepwise(&[
        "eval",
        "--state",
        &state.to_string(),
        "--input",
        r#"{"order": {"id": 1}}"#,
        "--result",
        r#"{"Payload": {"ok": 1}, "StatusCode": 200}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["input"], json!({"order": {"id": 1}}));
    assert_eq!(doc["effectiveInput"], json!({"id": 1}));
    assert_eq!(
        doc["parameters"],
        json!({"FunctionName": "f", "Payload": {"id": 1}})
    );
    assert_eq!(doc["result"], json!({"body": {"ok": 1}}));
    assert_eq!(doc["output"], json!({"body": {"ok": 1}}));
}

#[test]
fn eval_state_shows_a_pass_data_flow() {
    let state = json!({"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.r", "End": true});
    let out = stepwise(&[
        "eval",
        "--state",
        &state.to_string(),
        "--input",
        r#"{"z": 0}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["result"], json!({"a": 1}));
    assert_eq!(doc["output"], json!({"z": 0, "r": {"a": 1}}));

    let state = json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": {"next": "{% $states.input.z + 1 %}"}, "End": true});
    let out = stepwise(&[
        "eval",
        "--state",
        &state.to_string(),
        "--input",
        r#"{"z": 1}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["output"], json!({"next": 2}));
}

#[test]
fn eval_state_errors_name_the_problem() {
    let state = json!({"Type": "Pass", "InputPath": "$.nope", "End": true});
    let out = stepwise(&["eval", "--state", &state.to_string(), "--input", "{}"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: States.Runtime"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Invalid path '$.nope'"),
        "{}",
        out.stderr
    );

    let state = json!({"Type": "Pass", "InputPath": "nope", "End": true});
    let out = stepwise(&["eval", "--state", &state.to_string()]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("/States/State/InputPath"),
        "{}",
        out.stderr
    );
}

#[test]
fn eval_state_shows_a_jsonata_task_data_flow() {
    let state = json!({
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.order %}"},
        "Assign": {"status": "{% $states.result.StatusCode %}"},
        "Output": "{% $states.result.Payload %}",
        "End": true
    });
    let out = stepwise(&[
        "eval",
        "--state",
        &state.to_string(),
        "--input",
        r#"{"order": {"id": 7}}"#,
        "--result",
        r#"{"Payload": {"ok": true}, "StatusCode": 200}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(
        doc["arguments"],
        json!({"FunctionName": "f", "Payload": {"id": 7}})
    );
    assert_eq!(doc["variables"], json!({"status": 200}));
    assert_eq!(doc["output"], json!({"ok": true}));
}

#[test]
fn eval_reads_variables_and_the_context_object() {
    let out = stepwise(&[
        "eval",
        "--template",
        r#"{"v.$": "$limit", "id.$": "$$.Execution.Id", "x.$": "$.x"}"#,
        "--input",
        r#"{"x": 1}"#,
        "--variables",
        r#"{"limit": 10}"#,
        "--context",
        r#"{"Execution": {"Id": "exec-arn"}}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json(), json!({"v": 10, "id": "exec-arn", "x": 1}));

    let out = stepwise(&[
        "eval",
        "--jsonata",
        "$limit * 2",
        "--variables",
        r#"{"limit": 10}"#,
    ]);
    assert_eq!(out.json(), json!(20));

    let out = stepwise(&["eval", "--jsonpath", "$$.StateMachine.Name"]);
    assert_eq!(out.json(), json!("StateMachine"));
}
