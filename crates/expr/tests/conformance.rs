//! Runs the AWS-recorded single-Pass-state cases (intrinsic_functions, base) through
//! `template::Compiled` directly and compares with the recorded output or error.
//!
//! Only JSONPath cases whose definition is one Pass state with Parameters are
//! ours; the engine harness covers the rest. Every selected case runs and
//! failures are listed by case name.
use std::path::{Path as FsPath, PathBuf};

use expr::jsonpath::Path;
use expr::reference::{self, ReferencePath};
use expr::template::Compiled;
use expr::{Entropy, NoVariables, Scope};
use serde_json::{Value, json};

/// `$STEPWISE_CONFORMANCE_DIR/sfn`, or the shared folder beside the checkout.
fn root() -> std::path::PathBuf {
    match std::env::var("STEPWISE_CONFORMANCE_DIR") {
        Ok(dir) => std::path::PathBuf::from(dir).join("sfn"),
        Err(_) => FsPath::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/sfn"),
    }
}

/// Deterministic entropy: the recorded random values are masked anyway.
struct Lcg(u64);
impl Entropy for Lcg {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
}

fn case_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["intrinsic_functions", "base"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json")),
        );
    }
    files.sort();
    files
}

/// The context object with the same stand-ins the recording used, so that
/// outputs compare without normalising ours.
fn context(case: &Value, state: &str) -> Value {
    let ph = &case["placeholders"];
    let sm = ph["state_machine_name"].as_str().unwrap_or("sm");
    let ex = ph["execution_name"].as_str().unwrap_or("ex");
    let sm_arn = format!("arn:<partition>:states:<region>:111111111111:stateMachine:{sm}");
    json!({
        "Execution": {
            "Id": format!("arn:<partition>:states:<region>:111111111111:execution:{sm}:{ex}"),
            "Input": case["input"],
            "StartTime": "date",
            "Name": ex,
            "RoleArn": ph["role_arn"],
            "RedriveCount": 0
        },
        "StateMachine": {"Id": sm_arn, "Name": sm},
        "State": {"Name": state, "EnteredTime": "date", "RetryCount": 0},
    })
}

/// Numbers by value; a mask in the expected data matches anything.
fn matches(expected: &Value, actual: &Value, masks: &[Value]) -> bool {
    if masks.contains(expected) {
        return true;
    }
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| matches(x, y, masks))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| matches(x, y, masks)))
        }
        _ => expected == actual,
    }
}

/// InputPath → Parameters → ResultPath → OutputPath, as a Pass state applies them.
fn run_pass(
    state: &Value,
    params: &Compiled,
    input: &Value,
    scope: &Scope,
) -> Result<Value, expr::Error> {
    let read = |field: &str, doc: &Value| -> Result<Value, expr::Error> {
        match state.get(field) {
            None => Ok(doc.clone()),
            Some(Value::Null) => Ok(json!({})),
            Some(p) => {
                let text = p.as_str().unwrap_or("");
                let path = Path::parse(text).map_err(|e| expr::Error::runtime(e.message))?;
                path.evaluate(doc, scope).map_err(|e| {
                    expr::Error::runtime(format!("Invalid path '{text}' : {}", e.message))
                })
            }
        }
    };
    let effective = read("InputPath", input)?;
    let result = params.evaluate(&effective, scope, &mut Lcg(42))?;
    let combined = match state.get("ResultPath") {
        None => result,
        Some(Value::Null) => input.clone(),
        Some(p) => {
            let path = ReferencePath::parse(p.as_str().unwrap_or(""))
                .map_err(|e| expr::Error::runtime(e.message))?;
            reference::set(input.clone(), &path, result)?
        }
    };
    read("OutputPath", &combined)
}

enum Outcome {
    Skipped,
    Passed,
    Failed(String),
}

fn run_case(case: &Value) -> Outcome {
    if case["query_language"] != "JSONPath" {
        return Outcome::Skipped;
    }
    let Some(states) = case["definition"]["States"].as_object() else {
        return Outcome::Skipped;
    };
    let [(name, state)] = states.iter().collect::<Vec<_>>()[..] else {
        return Outcome::Skipped;
    };
    if state["Type"] != "Pass" || state.get("Parameters").is_none() {
        return Outcome::Skipped;
    }
    let expected = &case["expected"];
    let status = expected["status"].as_str().unwrap_or("");
    let wants_error = matches!(
        expected["error"].as_str(),
        Some("States.IntrinsicFailure" | "States.Runtime")
    );
    if status != "SUCCEEDED" && !wants_error {
        return Outcome::Skipped;
    }
    let masks = case["masks"].as_array().cloned().unwrap_or_default();
    let compiled = match Compiled::new(&state["Parameters"]) {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("template did not compile: {e}")),
    };
    let context = context(case, name);
    let scope = Scope::new(&context, &NoVariables);
    let result = run_pass(state, &compiled, &case["input"], &scope);
    match (status, result) {
        ("SUCCEEDED", Ok(out)) if matches(&expected["output"], &out, &masks) => Outcome::Passed,
        ("SUCCEEDED", Ok(out)) => {
            Outcome::Failed(format!("output {out} != expected {}", expected["output"]))
        }
        ("SUCCEEDED", Err(e)) => Outcome::Failed(format!("unexpected error {e}")),
        (_, Ok(out)) => Outcome::Failed(format!("expected an error, got {out}")),
        (_, Err(e)) => {
            let cause = expected["cause"].as_str().unwrap_or("");
            if expected["error"] == e.error.as_str() && cause.ends_with(&e.cause) {
                Outcome::Passed
            } else {
                Outcome::Failed(format!(
                    "error {e} != expected {} {cause}",
                    expected["error"]
                ))
            }
        }
    }
}

#[test]
fn recorded_single_pass_cases() {
    let files = case_files();
    assert!(
        !files.is_empty(),
        "conformance data not found under {}",
        root().display()
    );
    let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
    for file in &files {
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_owned();
        let case: Value = match std::fs::read_to_string(file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            Some(v) => v,
            None => {
                failures.push(format!("{name}: unreadable case file"));
                continue;
            }
        };
        match run_case(&case) {
            Outcome::Skipped => skipped += 1,
            Outcome::Passed => passed += 1,
            Outcome::Failed(why) => failures.push(format!("{name}: {why}")),
        }
    }
    eprintln!(
        "conformance: {passed} passed, {} failed, {skipped} not single-Pass JSONPath cases",
        failures.len()
    );
    assert!(passed > 0, "no case ran");
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
}
