//! The Amazon States Language definition model and validator.
//!
//! [`parse`] never fails outright: it returns the model it could build together
//! with every problem found, so that a user sees all diagnostics at once.
//!
//! Reading and checking happen in one pass (`parse/`): each field is checked
//! where it is read, with its JSON pointer at hand. Whole-graph checks
//! (`check/graph.rs`) run afterwards, and only when the document has the right
//! shape, as AWS reports schema problems alone when there are any.

mod check;
mod diagnostic;
mod model;
mod parse;
mod references;

pub use check::errors::PREDEFINED_ERRORS;
pub use check::paths::INTRINSICS;
pub use check::resource::{
    OPTIMIZED as OPTIMIZED_INTEGRATIONS, Pattern, classify as classify_resource,
};
pub use diagnostic::{Diagnostic, codes};
pub use model::*;
pub use references::variable_references;

/// Standard or Express: Express machines refuse `.sync` and
/// `.waitForTaskToken` integrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateMachineType {
    #[default]
    Standard,
    Express,
}

/// What the validator needs to know besides the text.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    pub state_machine_type: StateMachineType,
}

/// Parses and validates a definition's JSON text, for a Standard machine.
///
/// The definition is `Some` only when no diagnostic was found: the interpreter
/// never runs a definition that AWS would refuse.
pub fn parse(text: &str) -> (Option<Definition>, Vec<Diagnostic>) {
    parse_with(text, &ParseOptions::default())
}

/// [`parse`] with options (the machine type).
pub fn parse_with(text: &str, options: &ParseOptions) -> (Option<Definition>, Vec<Diagnostic>) {
    if text.trim().is_empty() {
        return (
            None,
            vec![Diagnostic::new(
                diagnostic::codes::MISSING_DESCRIPTION,
                "",
                "Received a null or empty workflow input",
            )],
        );
    }
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                None,
                vec![Diagnostic::new(
                    diagnostic::codes::INVALID_JSON_DESCRIPTION,
                    "",
                    e.to_string(),
                )],
            );
        }
    };
    let (definition, diags) = parse::definition(&value, options);
    if diags.is_empty() {
        (Some(definition), diags)
    } else {
        (None, diags)
    }
}

/// The message of CreateStateMachine's `InvalidDefinition` error:
/// `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: <what> at <pointer>'`,
/// several diagnostics joined by `, ` inside the quotes. A diagnostic without a
/// location (`MISSING_END_STATE`) has no ` at …` part.
pub fn create_error_message(diags: &[Diagnostic]) -> String {
    let parts: Vec<String> = diags
        .iter()
        .map(|d| {
            if d.location.is_empty() {
                format!("{}: {}", d.code, d.message)
            } else {
                d.aws_text()
            }
        })
        .collect();
    format!("Invalid State Machine Definition: '{}'", parts.join(", "))
}
