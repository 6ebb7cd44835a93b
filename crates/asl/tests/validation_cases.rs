//! The AWS-recorded invalid definitions (`validation/`, kind
//! `invalid_definition`): each must produce a diagnostic, and where the recorded
//! message is AWS's own (`message_verified`), our CreateStateMachine message must
//! equal it after the recordings' normalisation. Cases listed in
//! `validation_known_failures.txt` are expected to fail, and the test fails when
//! one of them starts passing, so the list stays true.

mod common;

use std::collections::BTreeMap;

use asl::{ParseOptions, StateMachineType};

/// The recordings' stand-ins, applied to our text as to AWS's.
fn normalize(s: &str) -> String {
    s.replace("arn:aws:", "arn:<partition>:")
        .replace("123456789012", "111111111111")
        .replace("us-east-1", "<region>")
}

/// `Err(reason)` when the case fails.
fn run(case: &common::Case) -> Result<(), String> {
    let options = ParseOptions {
        state_machine_type: if case.is_express() {
            StateMachineType::Express
        } else {
            StateMachineType::Standard
        },
    };
    let (def, diags) = asl::parse_with(&case.definition_text(), &options);
    if diags.is_empty() || def.is_some() {
        return Err("no diagnostic".into());
    }
    let expected = &case.json["expected"]["create_error"];
    if expected["message_verified"] == true {
        let want = expected["message"].as_str().unwrap_or_default();
        let got = normalize(&asl::create_error_message(&diags));
        if got != want {
            return Err(format!("message differs\n  want: {want}\n  got:  {got}"));
        }
    }
    Ok(())
}

fn known_failures() -> BTreeMap<String, String> {
    include_str!("validation_known_failures.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (id.to_owned(), reason.trim().to_owned())
        })
        .collect()
}

#[test]
fn recorded_invalid_definitions() {
    let known = known_failures();
    let mut total = 0;
    let mut passed = 0;
    let mut problems = Vec::new();
    for case in common::all_cases() {
        if case.kind() != "invalid_definition" {
            continue;
        }
        total += 1;
        let id = case.id().to_owned();
        match (run(&case), known.contains_key(&id)) {
            (Ok(()), false) => passed += 1,
            (Ok(()), true) => problems.push(format!(
                "{id}: listed as a known failure but passes; remove it from the list"
            )),
            (Err(_), true) => {}
            (Err(why), false) => problems.push(format!("{id}: {why}")),
        }
    }
    eprintln!(
        "validation cases: {passed} of {total} pass, {} known failures",
        known.len()
    );
    assert_eq!(total, 79, "the recorded case count changed");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
