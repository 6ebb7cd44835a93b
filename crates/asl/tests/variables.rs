//! Workflow variable rules the validator enforces: names in every `Assign`, and inner scopes
//! (Parallel branches, Map iterations) not assigning what an outer scope assigned before them.

use serde_json::{Value, json};

fn diags(def: Value) -> Vec<(String, String, String)> {
    let (_, diags) = asl::parse(&def.to_string());
    diags
        .into_iter()
        .map(|d| (d.code.to_owned(), d.location, d.message))
        .collect()
}

fn pass_assigning(assign: Value) -> Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": assign, "End": true}}})
}

#[test]
fn valid_names_pass() {
    for name in [
        "x",
        "_x",
        "camelCase9",
        "über",
        "名前",
        "a_b_c",
        &"v".repeat(80),
    ] {
        assert_eq!(diags(pass_assigning(json!({name: 1}))), vec![], "{name}");
    }
    // In a JSONPath state, `name.$` assigns `name`.
    assert_eq!(diags(pass_assigning(json!({"x.$": "$.a"}))), vec![]);
}

#[test]
fn invalid_names_are_refused_where_they_are() {
    for name in [
        "",
        "$x",
        "1x",
        "a-b",
        "a b",
        "a.b",
        "x[0]",
        "states",
        &"v".repeat(81),
    ] {
        let d = diags(pass_assigning(json!({name: 1})));
        assert_eq!(d.len(), 1, "{name}: {d:?}");
        assert_eq!(d[0].0, "SCHEMA_VALIDATION_FAILED");
        assert_eq!(d[0].1, format!("/States/P/Assign/{name}"));
    }
    let d = diags(pass_assigning(json!({"states": 1})));
    assert!(d[0].2.contains("reserved"), "{d:?}");
    let d = diags(pass_assigning(json!({"v".repeat(81): 1})));
    assert!(d[0].2.contains("longer than 80"), "{d:?}");

    // Choice rules and Catch assign too.
    let def = json!({"StartAt": "C", "QueryLanguage": "JSONata", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Condition": "{% true %}", "Assign": {"bad-name": 1}, "Next": "T"}]},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "f"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"9lives": 1}, "Next": "E"}],
              "End": true},
        "E": {"Type": "Succeed"}}});
    let at: Vec<String> = diags(def).into_iter().map(|d| d.1).collect();
    assert_eq!(
        at,
        vec![
            "/States/C/Choices[0]/Assign/bad-name",
            "/States/T/Catch[0]/Assign/9lives"
        ]
    );
}

fn map_after(first: Value, inner_assign: Value, catch_assign: Value) -> Value {
    json!({"StartAt": "First", "QueryLanguage": "JSONata", "States": {
        "First": {"Type": "Pass", "Assign": first, "Next": "M"},
        "M": {"Type": "Map", "Items": [1, 2],
              "ItemProcessor": {"StartAt": "In", "States": {
                  "In": {"Type": "Pass", "Assign": inner_assign, "End": true}}},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": catch_assign, "Next": "Done"}],
              "Next": "Done"},
        "Done": {"Type": "Succeed"}}})
}

#[test]
fn an_inner_scope_cannot_assign_an_outer_variable() {
    let d = diags(map_after(json!({"x": 1}), json!({"x": 2}), json!({"e": 1})));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].1, "/States/M/ItemProcessor/States/In/Assign/x");
    assert!(d[0].2.contains("/States/First/Assign/x"), "{d:?}");

    // Other names are fine, and so is a name only the Map's own Catch assigns afterwards
    // (AWS accepts this; see the recorded PARALLEL_CATCH_ERROR_VARIABLE_SAMPLING case).
    assert_eq!(
        diags(map_after(json!({"x": 1}), json!({"y": 2}), json!({"y": 3}))),
        vec![]
    );

    // Parallel branches: siblings may reuse a name; nested scopes see every outer one.
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"top": 1}, "Next": "P"},
        "P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Assign": {"same": 1}, "End": true}}},
            {"StartAt": "B2", "States": {
                "B2": {"Type": "Pass", "Assign": {"same": 2}, "Next": "Inner"},
                "Inner": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "D", "States": {"D": {"Type": "Pass",
                        "Assign": {"same": 3, "top.$": "$.x", "fresh": 0}, "End": true}}}]}}}]}}});
    let at: Vec<String> = diags(def).into_iter().map(|d| d.1).collect();
    assert_eq!(
        at,
        vec![
            "/States/P/Branches[1]/States/Inner/Branches[0]/States/D/Assign/same",
            "/States/P/Branches[1]/States/Inner/Branches[0]/States/D/Assign/top.$",
        ]
    );
}

#[test]
fn a_loop_makes_a_later_assignment_an_earlier_one() {
    let def = json!({"StartAt": "M", "QueryLanguage": "JSONata", "States": {
        "M": {"Type": "Map", "Items": [1],
              "ItemProcessor": {"StartAt": "In", "States": {
                  "In": {"Type": "Pass", "Assign": {"n": 1}, "End": true}}},
              "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [
            {"Condition": "{% true %}", "Assign": {"n": 0}, "Next": "M"}], "Default": "End"},
        "End": {"Type": "Succeed"}}});
    let d = diags(def);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].1, "/States/M/ItemProcessor/States/In/Assign/n");
}
