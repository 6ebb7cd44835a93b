//! Runs every AWS-recorded execution case under `../shared/conformance/sfn` that
//! needs no live service (or whose task results can be mocked from the recording)
//! through the engine, and compares status, output, error, cause and the history.
//!
//! Known failures live in `sfn_known_failures.txt` (`case-id  # reason`). The test
//! fails when an unlisted case fails and when a listed case passes, so the list
//! only shrinks. `STEPWISE_UPDATE_KNOWN_FAILURES=1` rewrites it from this run.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use engine::simulate::{Mocks, TaskOutcome, VirtualClock};
use engine::{ExecutionInfo, Limits, Status};
use serde_json::Value;
use support::{Normalizer, matches};

const KNOWN: &str = "tests/sfn_known_failures.txt";
/// 2024-01-01T00:00:00Z: every case runs on the same virtual clock.
const START: i64 = 1_704_067_200_000;

fn corpus_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("STEPWISE_CONFORMANCE_DIR") {
        return PathBuf::from(dir).join("sfn");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/sfn")
}

enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
}

fn runnable(case: &Value) -> Result<(), String> {
    let needs: Vec<&str> = case["needs"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if needs.is_empty() {
        return Ok(());
    }
    if let Some(n) = needs.iter().find(|n| **n == "activity" || **n == "s3") {
        return Err(format!("needs {n}"));
    }
    if case["mocks_complete"] != Value::Bool(true) {
        return Err(format!(
            "needs {} (task results not attributable to states)",
            needs.join(",")
        ));
    }
    Ok(())
}

fn run_case(case: &Value) -> Verdict {
    let kind = case["kind"].as_str().unwrap_or("");
    let definition_text = serde_json::to_string(&case["definition"]).unwrap_or_default();
    let machine_type = if case["state_machine_type"].as_str() == Some("EXPRESS") {
        asl::StateMachineType::Express
    } else {
        asl::StateMachineType::Standard
    };
    let (definition, diagnostics) = asl::parse_with(
        &definition_text,
        &asl::ParseOptions {
            state_machine_type: machine_type,
        },
    );
    if kind == "invalid_definition" {
        return if diagnostics.is_empty() {
            Verdict::Fail("definition accepted, AWS rejected it".into())
        } else {
            Verdict::Pass
        };
    }
    if let Err(why) = runnable(case) {
        return Verdict::Skip(why);
    }
    let Some(definition) = definition else {
        let first = diagnostics
            .first()
            .map(|d| d.to_string())
            .unwrap_or_default();
        return Verdict::Fail(format!("definition rejected: {first}"));
    };
    let placeholders = &case["placeholders"];
    // Recordings show the role either as its placeholder or as a normalised ARN:
    // run with a real-shaped ARN and let the placeholder stand for it (see masks).
    let role_arn = "arn:aws:iam::111111111111:role/stepwise-conformance".to_string();
    let info = ExecutionInfo {
        // Express executions have ARNs of their own form, with a run id.
        execution_arn: if machine_type == asl::StateMachineType::Express {
            "arn:aws:states:us-east-1:111111111111:express:sm-under-test:exec-under-test:4c3b3f0e-8c55-4bd1-9ad6-2d2c7f0d9a11".into()
        } else {
            "arn:aws:states:us-east-1:111111111111:execution:sm-under-test:exec-under-test".into()
        },
        name: "exec-under-test".into(),
        state_machine_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:sm-under-test"
            .into(),
        state_machine_name: "sm-under-test".into(),
        role_arn,
        region: "us-east-1".into(),
        account: "111111111111".into(),
        redrive_count: 0,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        input_text: Some(python_json(&case["input"]).into()),
        seed: 42,
        time_ordered_tokens: false,
        missing_activities: Vec::new(),
    };
    let mut responses: HashMap<String, Vec<TaskOutcome>> = HashMap::new();
    if let Some(mocks) = case["mocks"].as_object() {
        for (state, list) in mocks {
            let outcomes = list
                .as_array()
                .map(|a| a.iter().filter_map(|r| Mocks::response(r).ok()).collect())
                .unwrap_or_default();
            responses.insert(state.clone(), outcomes);
        }
    }
    // The service's response to a callback or `.sync` task's call is recorded as
    // TaskSubmitted: like the mocked results, it stands in for the service.
    for (state, submitted) in submitted_responses(case) {
        if let Some(outcomes) = responses.get_mut(&state) {
            for (outcome, response) in outcomes.iter_mut().zip(submitted) {
                let then = Box::new(outcome.clone());
                *outcome = TaskOutcome::Submitted { response, then };
            }
        }
    }
    let mut invoker = Mocks::new(responses);
    let mut clock = VirtualClock(START);
    let input = case["input"].clone();
    let outcome = engine::simulate::run(
        engine::Plan::new(definition),
        info,
        input,
        Limits::default(),
        &mut clock,
        &mut invoker,
        true,
    );
    let norm = Normalizer::new(placeholders, "sm-under-test", "exec-under-test");
    let mut masks: Vec<String> = case["masks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(role) = placeholders["role_arn"].as_str() {
        masks.push(role.to_string());
    }
    let expected = &case["expected"];
    let status = outcome.status.name();
    if expected["status"].as_str() != Some(status) {
        let detail = match &outcome.status {
            Status::Failed(e) | Status::TimedOut(e) | Status::Aborted(e) => format!(
                " ({}: {})",
                e.error.as_deref().unwrap_or("-"),
                e.cause
                    .as_deref()
                    .unwrap_or("-")
                    .chars()
                    .take(160)
                    .collect::<String>()
            ),
            _ => String::new(),
        };
        return Verdict::Fail(format!(
            "status {status}{detail}, expected {}",
            expected["status"].as_str().unwrap_or("?")
        ));
    }
    match &outcome.status {
        Status::Succeeded { output } => {
            if let Some(want) = expected.get("output") {
                let got = norm.value(output);
                if std::env::var("STEPWISE_CASE").is_ok_and(|c| case["id"] == c.as_str()) {
                    println!("got      {got}\nexpected {want}");
                }
                if !matches(want, &got, &masks) {
                    return Verdict::Fail(format!(
                        "output {} expected {}",
                        short(&got),
                        short(want)
                    ));
                }
            }
        }
        Status::Failed(e) | Status::TimedOut(e) | Status::Aborted(e) => {
            let got_error = e.error.clone().map(Value::String).unwrap_or(Value::Null);
            let want_error = expected.get("error").cloned().unwrap_or(Value::Null);
            if !matches(&want_error, &norm.value(&got_error), &masks) {
                return Verdict::Fail(format!("error {got_error} expected {want_error}"));
            }
            let want_cause = expected.get("cause").cloned().unwrap_or(Value::Null);
            let got_cause = norm.text_field(e.cause.as_deref());
            if std::env::var("STEPWISE_CASE").is_ok_and(|c| case["id"] == c.as_str()) {
                println!("got      {got_cause}\nexpected {want_cause}");
            }
            if !matches(&want_cause, &got_cause, &masks) {
                return Verdict::Fail(format!(
                    "cause {} expected {}",
                    short(&got_cause),
                    short(&want_cause)
                ));
            }
        }
        Status::Running => return Verdict::Fail("execution did not finish".into()),
    }
    if let Some(history) = case["history"].as_array() {
        let sorted = case["history_order"].as_str() == Some("parallel_sublists_sorted");
        if let Err(why) = support::compare_history(history, &outcome.history, &norm, &masks, sorted)
        {
            return Verdict::Fail(format!("history: {why}"));
        }
    }
    Verdict::Pass
}

/// The recorded TaskSubmitted outputs per Task state, in order.
fn submitted_responses(case: &Value) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    let mut state = String::new();
    for event in case["history"].as_array().into_iter().flatten() {
        match event["type"].as_str() {
            Some("TaskStateEntered") => {
                state = event["stateEnteredEventDetails"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
            }
            Some("TaskSubmitted") => {
                let output = &event["taskSubmittedEventDetails"]["output"];
                let response = match output {
                    Value::String(text) => serde_json::from_str(text).unwrap_or(output.clone()),
                    other => other.clone(),
                };
                out.entry(state.clone()).or_default().push(response);
            }
            _ => {}
        }
    }
    out
}

/// JSON text as the recording client wrote it (Python's `json.dumps` separators).
fn python_json(v: &Value) -> String {
    match v {
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("{}: {}", Value::String(k.clone()), python_json(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 140 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(140).map(|(i, _)| i).unwrap_or(s.len())]
        )
    } else {
        s
    }
}

fn load_known() -> BTreeMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(KNOWN);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| match l.split_once('#') {
            Some((id, why)) => (id.trim().to_string(), why.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .collect()
}

#[test]
fn sfn_conformance() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("conformance corpus not found at {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .flat_map(|d| {
            std::fs::read_dir(d.path())
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok())
        })
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() > 800,
        "expected the whole corpus, found {} cases",
        files.len()
    );

    let known = load_known();
    let mut per_category: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    let mut skipped: BTreeMap<String, String> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable case");
        let case: Value = serde_json::from_str(&text).expect("case is JSON");
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let category = case["category"].as_str().unwrap_or("?").to_string();
        let verdict = std::panic::catch_unwind(|| run_case(&case))
            .unwrap_or_else(|_| Verdict::Fail("panicked".into()));
        let entry = per_category.entry(category).or_default();
        match verdict {
            Verdict::Pass => entry.0 += 1,
            Verdict::Fail(why) => {
                entry.1 += 1;
                failures.insert(id, why);
            }
            Verdict::Skip(why) => {
                entry.2 += 1;
                skipped.insert(id, why);
            }
        }
    }

    println!("\nASL conformance (AWS-recorded executions): passed / failed / skipped");
    let (mut p, mut f, mut s) = (0, 0, 0);
    for (cat, (pass, fail, skip)) in &per_category {
        println!("  {cat:<22} {pass:>4} / {fail:>4} / {skip:>4}");
        p += pass;
        f += fail;
        s += skip;
    }
    println!("  {:<22} {p:>4} / {f:>4} / {s:>4}", "TOTAL");
    for (id, why) in &skipped {
        println!("  skipped {id}: {why}");
    }

    if std::env::var("STEPWISE_UPDATE_KNOWN_FAILURES").is_ok() {
        let mut out = String::from(
            "// ASL conformance cases that fail today, each with the reason seen.\n// This list may only shrink: the test fails when a listed case passes.\n",
        );
        for (id, why) in &failures {
            out.push_str(&format!("{id}  # {}\n", why.replace('\n', " ")));
        }
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(KNOWN);
        std::fs::write(path, out).expect("write known failures");
        return;
    }

    let unexpected: Vec<_> = failures
        .iter()
        .filter(|(id, _)| !known.contains_key(*id))
        .collect();
    let fixed: Vec<_> = known
        .keys()
        .filter(|id| !failures.contains_key(*id))
        .collect();
    for (id, why) in &failures {
        let mark = if known.contains_key(id) {
            "known"
        } else {
            "NEW"
        };
        println!("  {mark} failure {id}: {why}");
    }
    for id in &fixed {
        println!("  FIXED (remove from {KNOWN}): {id}");
    }
    assert!(
        unexpected.is_empty() && fixed.is_empty(),
        "{} unlisted failures, {} listed cases now pass (see the report above)",
        unexpected.len(),
        fixed.len()
    );
}
