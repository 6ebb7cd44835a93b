//! UpdateStateMachine.
//!
//! Request: `{"stateMachineArn", "definition"?, "roleArn"?,
//! "loggingConfiguration"?, "tracingConfiguration"?, "publish"?,
//! "versionDescription"?}` — at least one of the first four.
//! Response: `{"updateDate", "revisionId"}`, or with `publish`
//! `{"updateDate", "stateMachineVersionArn"}`.
//!
//! An update that changes nothing keeps the current revision (so publishing it
//! again returns the same version), except the first update of a machine,
//! which always starts a revision, as AWS does.
//! Errors: MissingRequiredParameter, InvalidArn, StateMachineDoesNotExist,
//! InvalidDefinition, InvalidLoggingConfiguration, ValidationException.

use serde_json::{Value, json};
use store::StateMachineUpdate;

use super::common;
use crate::App;
use crate::arn;
use crate::error::{ApiError, ApiResult};
use crate::ids::{epoch_seconds, now_ms, uuid_v4};
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineArn")?;
    arn::state_machine(text)?;
    let definition = req.str("definition")?;
    let role_arn = req.str("roleArn")?;
    let logging = common::logging(req)?;
    let tracing = common::tracing(req)?;
    let (publish, version_description) = common::version_description(req)?;
    if definition.is_none() && role_arn.is_none() && logging.is_none() && tracing.is_none() {
        return Err(ApiError::new(
            "MissingRequiredParameter",
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
        ));
    }
    if let Some(r) = role_arn {
        common::check_role(r)?;
    }
    let current = common::machine(app, text)?;
    if let Some(d) = definition {
        common::check_definition(d, current.machine_type)?;
    }
    let unchanged = definition.is_none_or(|d| d == current.definition)
        && role_arn.is_none_or(|r| r == current.role_arn)
        && (logging.is_none() || logging == current.logging_configuration)
        && (tracing.is_none() || tracing == current.tracing_configuration);
    let revision_id = if unchanged && !current.revision_id.is_empty() {
        current.revision_id.clone()
    } else {
        uuid_v4()
    };
    let now = now_ms();
    let updated = match app.store.update_state_machine(StateMachineUpdate {
        arn: text.to_string(),
        definition: definition.map(str::to_string),
        role_arn: role_arn.map(str::to_string),
        description: None,
        logging_configuration: logging,
        tracing_configuration: tracing,
        revision_id,
    }) {
        Err(store::Error::NotFound { .. }) => return Err(ApiError::no_state_machine(text)),
        other => other?,
    };
    app.runtime.forget_machine(text);
    if publish {
        let v = app.store.publish_version(text, version_description, now)?;
        return Ok(json!({"updateDate": epoch_seconds(now), "stateMachineVersionArn": v.arn}));
    }
    Ok(json!({"updateDate": epoch_seconds(now), "revisionId": updated.revision_id}))
}
