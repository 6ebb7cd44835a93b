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

/// String equality tuned for the short keys of JSON objects: one or two word
/// compares instead of a call to `memcmp` (lookups and shape checks compare keys
/// at every state).
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[inline(always)]
fn word(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_ne_bytes(w)
}

#[inline(always)]
fn half(s: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u32::from_ne_bytes(w)
}

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

#[cfg(test)]
mod text_tests {
    #[test]
    fn same_text_is_string_equality() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "customer",
            "customes",
            "xustomer",
            "tags",
            "tagz",
            "étoile",
            "étoilé",
        ];
        for a in words {
            for b in words {
                assert_eq!(super::same_text(a, b), a == b, "{a:?} {b:?}");
            }
            let mut changed = a.to_owned().into_bytes();
            for i in 0..changed.len() {
                changed[i] ^= 1;
                let other = String::from_utf8_lossy(&changed).into_owned();
                assert_eq!(super::same_text(a, &other), a == other, "{a:?} {other:?}");
                changed[i] ^= 1;
            }
        }
    }
}
