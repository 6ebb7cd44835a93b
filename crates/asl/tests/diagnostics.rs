//! Each diagnostic kind, triggered by the smallest definition that shows it.
//! The expected texts are what `create_error_message` puts between the quotes.

use asl::{ParseOptions, StateMachineType};

/// The diagnostics of `definition` as AWS writes them, joined by `, `.
fn texts(definition: &str) -> String {
    texts_with(definition, StateMachineType::Standard)
}

fn texts_with(definition: &str, ty: StateMachineType) -> String {
    let options = ParseOptions {
        state_machine_type: ty,
    };
    let (def, diags) = asl::parse_with(definition, &options);
    assert_eq!(def.is_some(), diags.is_empty());
    let message = asl::create_error_message(&diags);
    message
        .strip_prefix("Invalid State Machine Definition: '")
        .and_then(|m| m.strip_suffix('\''))
        .unwrap_or(&message)
        .to_owned()
}

/// A one-state machine whose only state is `state`.
fn one(state: &str) -> String {
    format!(r#"{{"StartAt":"S","States":{{"S":{state}}}}}"#)
}

#[test]
fn json_syntax() {
    let t = texts("{");
    assert!(t.starts_with("INVALID_JSON_DESCRIPTION: "), "{t}");
    assert!(!t.contains(" at /"), "{t}");
    assert_eq!(
        texts("  "),
        "MISSING_DESCRIPTION: Received a null or empty workflow input"
    );
}

#[test]
fn schema_shape() {
    assert_eq!(
        texts(r#"{"StartAt":"A"}"#),
        "SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /"
    );
    assert_eq!(
        texts(r#"{"States":{}}"#),
        "SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /, \
         SCHEMA_VALIDATION_FAILED: The field 'States' must not be empty at /States"
    );
    assert_eq!(
        texts(&one(r#"{"Type":"Pass","End":true,"Foo":1}"#)),
        "SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported at /States/S"
    );
    assert_eq!(
        texts(&one(r#"{"Type":"Pass","End":true,"Comment":1}"#)),
        "SCHEMA_VALIDATION_FAILED: Expected value of type String at /States/S/Comment"
    );
    assert_eq!(
        texts(&one(r#"{"Type":"Nope","End":true}"#)),
        "SCHEMA_VALIDATION_FAILED: Instance value not found in enum \
         [Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map] at /States/S/Type"
    );
    assert_eq!(
        texts(&one(r#"{"Type":"Pass","Next":"S","End":true}"#)),
        "SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: \
         [Next, End] at /States/S"
    );
    assert_eq!(
        texts(&one(r#"{"Type":"Task","End":true}"#)),
        "SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at /States/S"
    );
}

#[test]
fn graph() {
    assert_eq!(
        texts(
            r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"},"B":{"Type":"Succeed"}}}"#
        ),
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next, \
         MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B"
    );
    assert_eq!(
        texts(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}"#),
        "MISSING_END_STATE: Workflow has no terminal state"
    );
    assert_eq!(
        texts(r#"{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}"#),
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /StartAt, \
         MISSING_TRANSITION_TARGET: State \"A\" is not reachable. at /States/A"
    );
    let choice = r#"{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"Nope"}]}"#;
    assert_eq!(
        texts(&one(choice)),
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/S/Choices[0]/Next, \
         MISSING_END_STATE: Workflow has no terminal state"
    );
    let parallel = r#"{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"S","States":{"S":{"Type":"Succeed"}}}]}"#;
    assert_eq!(
        texts(&one(parallel)),
        "DUPLICATE_STATE_NAME: Duplicate State name: S at /States/S/Branches[0]/States/S"
    );
}

#[test]
fn paths_and_templates() {
    assert_eq!(
        texts(&one(r#"{"Type":"Pass","End":true,"InputPath":"a"}"#)),
        "SCHEMA_VALIDATION_FAILED: The value for the field 'InputPath' must be a valid JSONPath \
         at /States/S/InputPath"
    );
    assert_eq!(
        texts(&one(r#"{"Type":"Pass","End":true,"ResultPath":"$.a[*]"}"#)),
        "SCHEMA_VALIDATION_FAILED: The value for the field 'ResultPath' must be a valid \
         ReferencePath at /States/S/ResultPath"
    );
    assert_eq!(
        texts(&one(
            r#"{"Type":"Pass","End":true,"Parameters":{"x":{"a.$":"States.Nope()"}}}"#
        )),
        "SCHEMA_VALIDATION_FAILED: The value for the field 'a.$' must be a valid JSONPath or a \
         valid intrinsic function call at /States/S/Parameters/x"
    );
}

#[test]
fn retry_and_catch() {
    let task = |rules: &str| {
        one(&format!(
            r#"{{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,{rules}}}"#
        ))
    };
    assert_eq!(
        texts(&task(
            r#""Retry":[{"ErrorEquals":["States.ALL"],"BackoffRate":0.5,"MaxAttempts":-1}]"#
        )),
        "SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/S/Retry[0]/MaxAttempts, \
         SCHEMA_VALIDATION_FAILED: Minimum value is 1.0 at /States/S/Retry[0]/BackoffRate"
    );
    assert_eq!(
        texts(&task(
            r#""Retry":[{"ErrorEquals":["States.ALL","X"]},{"ErrorEquals":["States.Nope"]}]"#
        )),
        "SCHEMA_VALIDATION_FAILED: 'States.ALL' must be the only error name in ErrorEquals \
         at /States/S/Retry[0]/ErrorEquals, \
         SCHEMA_VALIDATION_FAILED: A rule with 'States.ALL' must be the last one in 'Retry' \
         at /States/S/Retry[0], \
         SCHEMA_VALIDATION_FAILED: 'States.Nope' is not a predefined error name \
         at /States/S/Retry[1]/ErrorEquals"
    );
    assert_eq!(
        texts(&task(r#""TimeoutSeconds":5,"HeartbeatSeconds":5"#)),
        "SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be smaller than TimeoutSeconds \
         at /States/S/HeartbeatSeconds"
    );
}

#[test]
fn query_language_fields() {
    assert_eq!(
        texts(&one(
            r#"{"Type":"Pass","End":true,"QueryLanguage":"JSONata","InputPath":"$"}"#
        )),
        "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'InputPath' \
         is only supported for the 'JSONPath' QueryLanguage at /States/S"
    );
    assert_eq!(
        texts(&one(r#"{"Type":"Pass","End":true,"Output":{}}"#)),
        "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' \
         is only supported for the 'JSONata' QueryLanguage at /States/S"
    );
    assert_eq!(
        texts(
            r#"{"QueryLanguage":"JSONata","StartAt":"S","States":{"S":{"Type":"Succeed","QueryLanguage":"JSONPath"}}}"#
        ),
        "SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' \
         for whole state machine at /States/S"
    );
}

#[test]
fn wait_and_resources() {
    assert_eq!(
        texts(&one(
            r#"{"Type":"Wait","End":true,"Timestamp":"2016-03-14t01:59:00z"}"#
        )),
        "SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at /States/S/Timestamp"
    );
    assert_eq!(
        texts(&one(
            r#"{"Type":"Task","End":true,"Resource":"arn:aws:states:::dynamodb:query"}"#
        )),
        "SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::dynamodb:query is not \
         recognized. The value is not a valid resource ARN, or the resource is not available in \
         this region. at /States/S/Resource"
    );
    assert_eq!(
        texts_with(
            &one(
                r#"{"Type":"Task","End":true,"Resource":"arn:aws:states:::sns:publish.waitForTaskToken"}"#
            ),
            StateMachineType::Express
        ),
        "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' \
         service integration  at /States/S/Resource"
    );
}

#[test]
fn map_label() {
    let map = |label: &str| {
        one(&format!(
            r#"{{"Type":"Map","End":true,"Label":{label},"ItemProcessor":{{"ProcessorConfig":
            {{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"}},"StartAt":"I","States":{{"I":{{"Type":"Succeed"}}}}}}}}"#
        ))
    };
    assert_eq!(texts(&map(r#""ok_label""#)), "");
    assert_eq!(
        texts(&map(r#""""#)),
        "INVALID_LABEL_NAME: The Label must not be empty at /States/S/Label"
    );
    assert_eq!(
        texts(&map(r#""a b""#)),
        "INVALID_LABEL_NAME: The Label contains an invalid character: U+0020 at /States/S/Label"
    );
    assert_eq!(
        texts(&map(&format!("\"{}\"", "x".repeat(41)))),
        "INVALID_LABEL_NAME: The Label must be at most 40 characters long at /States/S/Label"
    );
}
