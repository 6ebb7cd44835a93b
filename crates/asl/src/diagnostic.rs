//! Problems found in a definition, as data: every one at once, each with AWS's
//! code and a JSON-pointer location.

use std::fmt;

/// One problem in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// AWS's diagnostic code, e.g. `SCHEMA_VALIDATION_FAILED`,
    /// `MISSING_TRANSITION_TARGET`, `UNREACHABLE_STATE`.
    pub code: &'static str,
    /// A JSON pointer into the definition, e.g. `/States/Charge/Retry/0/BackoffRate`.
    pub location: String,
    /// What is wrong, in AWS's words where AWS has words for it.
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        code: &'static str,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            location: location.into(),
            message: message.into(),
        }
    }

    /// The text CreateStateMachine puts inside its `InvalidDefinition` message:
    /// `SCHEMA_VALIDATION_FAILED: <what> at <pointer>`.
    pub fn aws_text(&self) -> String {
        let at = if self.location.is_empty() {
            "/"
        } else {
            &self.location
        };
        format!("{}: {} at {}", self.code, self.message, at)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.location.is_empty() {
            "/"
        } else {
            &self.location
        };
        write!(f, "{} {}: {}", self.code, at, self.message)
    }
}

/// The diagnostic codes this validator reports, each with the smallest
/// definition that triggers it (AWS's codes; see `tests/diagnostics.rs`).
pub mod codes {
    /// The text is not JSON: `{`.
    pub const INVALID_JSON_DESCRIPTION: &str = "INVALID_JSON_DESCRIPTION";
    /// The text is empty or only whitespace.
    pub const MISSING_DESCRIPTION: &str = "MISSING_DESCRIPTION";
    /// The document does not have ASL's shape: `{"StartAt": "A"}` →
    /// `These fields are required: [States] at /`. Also wrong types, unknown
    /// fields, bad paths, bad timestamps, unknown resources, field values out
    /// of range and fields of the other query language.
    pub const SCHEMA_VALIDATION_FAILED: &str = "SCHEMA_VALIDATION_FAILED";
    /// A transition to a state that does not exist,
    /// `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}` →
    /// `Missing 'Next' target: B at /States/A/Next`; AWS reports an unreachable
    /// state under this code too (`State "B" is not reachable. at /States/B`).
    pub const MISSING_TRANSITION_TARGET: &str = "MISSING_TRANSITION_TARGET";
    /// No state ends the workflow:
    /// `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}`. It has no
    /// location, and AWS then skips the reachability check.
    pub const MISSING_END_STATE: &str = "MISSING_END_STATE";
    /// One state name used twice in the machine, e.g. in the top level and in a
    /// Parallel branch.
    pub const DUPLICATE_STATE_NAME: &str = "DUPLICATE_STATE_NAME";
    /// A Map `Label` that is empty, longer than 40 characters, or holds
    /// whitespace, a control character or one of `<>{}[]?*"#%\^|~`$&,;:/`.
    pub const INVALID_LABEL_NAME: &str = "INVALID_LABEL_NAME";
    /// Two Map states with the same `Label`.
    pub const DUPLICATE_LABEL_NAME: &str = "DUPLICATE_LABEL_NAME";
}
