//! Workflow errors as the interpreter carries them, and AWS's rules for matching
//! them against `ErrorEquals`.

use serde_json::{Map, Value};

/// An error raised inside an execution: by a task, a Fail state, or the data flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
    pub origin: Origin,
    /// Set for JSONata evaluation errors, which AWS records as an `EvaluationFailed`
    /// event (with the field's location, when it has one) before the failure itself.
    pub evaluation: Option<Option<String>>,
}

/// Where an error came from; it decides which wildcards match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Returned by a task's integration (`States.TaskFailed` matches these).
    Task,
    /// A Fail state, a failed branch or iteration.
    State,
    /// A data-flow or definition error (`States.Runtime`): neither retried nor caught.
    Runtime,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>, origin: Origin) -> Self {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
            origin,
            evaluation: None,
        }
    }

    /// A `States.Runtime` error with the cause prefix AWS puts on data-flow errors.
    pub fn runtime(state: &str, entered_event_id: u64, cause: &str) -> Self {
        Failure::new(
            "States.Runtime",
            prefixed(state, entered_event_id, cause),
            Origin::Runtime,
        )
    }

    /// The name used when matching; an unnamed error matches only wildcards.
    pub fn name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// Whether a Retry or Catch rule listing `error_equals` handles this error.
    pub fn matches(&self, error_equals: &[String]) -> bool {
        if self.origin == Origin::Runtime {
            return false;
        }
        let name = self.name();
        error_equals.iter().any(|e| match e.as_str() {
            "States.ALL" => true,
            "States.TaskFailed" => self.origin == Origin::Task && name != "States.Timeout",
            other => other == name,
        })
    }

    /// The error output a Catch passes on: `{"Error": …, "Cause": …}`, with `null`
    /// for a part that is missing or empty.
    pub fn error_output(&self) -> Value {
        let part = |p: &Option<String>| match p {
            Some(s) if !s.is_empty() => Value::String(s.clone()),
            _ => Value::Null,
        };
        let mut m = Map::new();
        m.insert("Error".into(), part(&self.error));
        m.insert("Cause".into(), part(&self.cause));
        Value::Object(m)
    }
}

/// `An error occurred while executing the state 'S' (entered at the event id #N). …`
pub fn prefixed(state: &str, entered_event_id: u64, cause: &str) -> String {
    format!(
        "An error occurred while executing the state '{state}' (entered at the event id #{entered_event_id}). {cause}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn states_all_matches_everything_but_runtime() {
        let task = Failure::new("Boom", "x", Origin::Task);
        assert!(task.matches(&rules(&["States.ALL"])));
        let runtime = Failure::new("States.Runtime", "x", Origin::Runtime);
        assert!(!runtime.matches(&rules(&["States.ALL"])));
        assert!(!runtime.matches(&rules(&["States.Runtime"])));
    }

    #[test]
    fn task_failed_matches_task_errors_except_timeout() {
        assert!(
            Failure::new("Exception", "x", Origin::Task).matches(&rules(&["States.TaskFailed"]))
        );
        assert!(
            !Failure::new("States.Timeout", "x", Origin::Task)
                .matches(&rules(&["States.TaskFailed"]))
        );
        assert!(
            !Failure::new("Custom", "x", Origin::State).matches(&rules(&["States.TaskFailed"]))
        );
    }
}
