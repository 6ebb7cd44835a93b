//! DescribeStateMachineForExecution.
//!
//! Request: `{"executionArn"}`. Response: `{"stateMachineArn", "name",
//! "definition", "roleArn", "updateDate", "loggingConfiguration",
//! "tracingConfiguration", "encryptionConfiguration", "revisionId"?}` — the
//! version the execution ran when it was started through a version or alias,
//! else the state machine as it is now.
//! Errors: InvalidArn, ExecutionDoesNotExist.

use serde_json::{Value, json};

use super::common;
use super::describe_execution::load;
use crate::App;
use crate::arn::{self, Resource};
use crate::error::ApiResult;
use crate::ids::epoch_seconds;
use crate::request::Req;
use crate::shapes;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("executionArn")?;
    let e = load(app, text)?;
    let m = common::machine(app, &e.state_machine_arn)?;
    let mut out = json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "definition": m.definition,
        "roleArn": m.role_arn,
        "updateDate": epoch_seconds(m.created_at),
        "loggingConfiguration": shapes::logging(m.logging_configuration.as_deref()),
        "tracingConfiguration": shapes::tracing(m.tracing_configuration.as_deref()),
        "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
    });
    if !m.revision_id.is_empty() {
        out["revisionId"] = m.revision_id.clone().into();
    }
    if let Some(v) = &e.state_machine_version_arn
        && let Ok(parsed) = arn::parse(v)
        && let Resource::Version { number, .. } = parsed.resource
        && let Ok(version) = app.store.describe_version(&m.arn, number)
    {
        out["definition"] = version.definition.into();
        out["roleArn"] = version.role_arn.into();
        out["updateDate"] = epoch_seconds(version.created_at);
        out["revisionId"] = version.revision_id.into();
    }
    let definition = out["definition"].as_str().unwrap_or_default().to_string();
    shapes::add_variable_references(&mut out, &definition);
    Ok(out)
}
