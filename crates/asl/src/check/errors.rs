//! Error names in `ErrorEquals`: the reserved `States.` names and the rule that
//! `States.ALL` stands alone in the last rule.

use crate::diagnostic::Diagnostic;
use crate::parse::SCHEMA;

/// The error names Step Functions itself raises; any other `States.` name is
/// reserved and refused.
pub const PREDEFINED_ERRORS: &[&str] = &[
    "States.ALL",
    "States.BranchFailed",
    "States.DataLimitExceeded",
    "States.ExceedToleratedFailureThreshold",
    "States.HeartbeatTimeout",
    "States.HttpFailure",
    "States.IntrinsicFailure",
    "States.ItemReaderFailed",
    "States.NoChoiceMatched",
    "States.ParameterPathFailure",
    "States.Permissions",
    "States.QueryEvaluationError",
    "States.ResultPathMatchFailure",
    "States.ResultWriterFailed",
    "States.Runtime",
    "States.TaskFailed",
    "States.Timeout",
];

/// The HTTP task's errors: `States.Http.StatusCode.<code>` and `States.Http.Socket`.
fn is_http_error(name: &str) -> bool {
    name == "States.Http.Socket"
        || name
            .strip_prefix("States.Http.StatusCode.")
            .is_some_and(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()))
}

/// `{"ErrorEquals": ["States.Foo"]}` → `'States.Foo' is not a predefined error name`;
/// `{"ErrorEquals": ["States.ALL", "X"]}` → `States.ALL` must stand alone.
pub(crate) fn check_error_equals(diags: &mut Vec<Diagnostic>, at: &str, names: &[String]) {
    for name in names {
        if name.starts_with("States.")
            && !PREDEFINED_ERRORS.contains(&name.as_str())
            && !is_http_error(name)
        {
            diags.push(Diagnostic::new(
                SCHEMA,
                at,
                format!("'{name}' is not a predefined error name"),
            ));
        }
    }
    if names.len() > 1 && names.iter().any(|n| n == "States.ALL") {
        diags.push(Diagnostic::new(
            SCHEMA,
            at,
            "'States.ALL' must be the only error name in ErrorEquals",
        ));
    }
}

/// A rule with `States.ALL` that is not the last of its `Retry` / `Catch` list.
pub(crate) fn check_all_is_last(
    diags: &mut Vec<Diagnostic>,
    at: &str,
    names: &[String],
    is_last: bool,
    field: &str,
) {
    if !is_last && names.iter().any(|n| n == "States.ALL") {
        diags.push(Diagnostic::new(
            SCHEMA,
            at,
            format!("A rule with 'States.ALL' must be the last one in '{field}'"),
        ));
    }
}
