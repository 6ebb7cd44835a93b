//! The ASL data languages: JSONPath, payload templates, intrinsic functions, Choice rules.
//!
//! Architecture Invariant: nothing in this crate does IO, reads a clock or draws
//! random numbers of its own. Whatever varies between runs (the context object,
//! workflow variables, entropy for `States.UUID` and `States.MathRandom`) is
//! passed in by the caller, so that replaying a history evaluates identically.
pub mod choice;
pub mod intrinsics;
mod java;
pub mod jsonata;
pub mod jsonpath;
pub mod reference;
pub mod template;

use std::collections::HashMap;

use serde_json::Value;

/// Workflow variables visible to a state (`$name` roots).
pub trait Variables {
    fn get(&self, name: &str) -> Option<&Value>;
}

/// For states that run before any variable is assigned, and for tests.
pub struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Variables for HashMap<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        HashMap::get(self, name)
    }
}

impl Variables for serde_json::Map<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        serde_json::Map::get(self, name)
    }
}

/// The source of randomness for `States.UUID` and unseeded `States.MathRandom`.
///
/// The engine records what it draws in the history, so a replay feeds the same
/// numbers back in and takes the same decisions.
pub trait Entropy {
    fn next_u64(&mut self) -> u64;
}

/// What a path, template or intrinsic may read besides the state's input.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// The context object, read by `$$` paths.
    pub context: &'a Value,
    pub variables: &'a dyn Variables,
}

/// The context object used when none is meaningful (unit tests, `stepwise eval`).
pub static EMPTY_CONTEXT: Value = Value::Null;

impl<'a> Scope<'a> {
    pub fn new(context: &'a Value, variables: &'a dyn Variables) -> Self {
        Scope { context, variables }
    }
}

impl Scope<'static> {
    /// No context object and no variables.
    pub fn empty() -> Self {
        Scope {
            context: &EMPTY_CONTEXT,
            variables: &NoVariables,
        }
    }
}

/// A workflow error raised by an expression: AWS error name and cause.
///
/// The cause has no "An error occurred while executing the state ..." prefix:
/// the engine adds it, because only the engine knows the state and event id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct Error {
    /// e.g. `States.Runtime`, `States.ResultPathMatchFailure`.
    pub error: String,
    pub cause: String,
}

impl Error {
    pub fn runtime(cause: impl Into<String>) -> Self {
        Error {
            error: "States.Runtime".to_owned(),
            cause: cause.into(),
        }
    }
}

/// An expression that can never be evaluated: a definition problem, reported
/// by the validator before any execution starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at offset {offset})")]
pub struct ParseError {
    pub message: String,
    /// Byte offset in the expression text where the problem was noticed.
    pub offset: usize,
}

impl ParseError {
    pub(crate) fn new(message: impl Into<String>, offset: usize) -> Self {
        ParseError {
            message: message.into(),
            offset,
        }
    }
}
