//! Every definition AWS accepted (all executable conformance cases) parses with
//! no diagnostics: the validator must never refuse what AWS runs.

mod common;

use asl::{ParseOptions, StateMachineType};

#[test]
fn every_executable_definition_parses_cleanly() {
    let cases = common::all_cases();
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        if case.kind() == "invalid_definition" {
            continue;
        }
        let options = ParseOptions {
            state_machine_type: if case.is_express() {
                StateMachineType::Express
            } else {
                StateMachineType::Standard
            },
        };
        let (def, diags) = asl::parse_with(&case.definition_text(), &options);
        checked += 1;
        if !diags.is_empty() || def.is_none() {
            failures.push(format!(
                "{}: {}",
                case.id(),
                asl::create_error_message(&diags)
            ));
        }
    }
    assert!(checked > 800, "only {checked} cases found");
    assert!(
        failures.is_empty(),
        "{} of {checked} accepted definitions were refused:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
