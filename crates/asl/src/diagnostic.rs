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
