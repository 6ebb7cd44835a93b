//! CreateStateMachine.
//!
//! Request: `{"name", "definition" (ASL JSON text), "roleArn", "type"?
//! (STANDARD|EXPRESS), "loggingConfiguration"?, "tracingConfiguration"?,
//! "tags"? [{key, value}], "publish"? bool, "versionDescription"?}`.
//! Response: `{"stateMachineArn", "creationDate", "stateMachineVersionArn"?}`.
//!
//! Idempotent as AWS is: the same name with exactly the same definition text,
//! role, type and configurations returns the existing machine; anything else
//! under that name is `StateMachineAlreadyExists`. Errors: InvalidName,
//! InvalidArn (role), InvalidDefinition, InvalidLoggingConfiguration,
//! ValidationException (versionDescription without publish).

use serde_json::{Value, json};
use store::StateMachine;

use super::common;
use crate::App;
use crate::arn::check_name;
use crate::error::{ApiError, ApiResult};
use crate::ids::{epoch_seconds, now_ms};
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let name = req.required_str("name")?;
    let definition = req.required_str("definition")?;
    let role_arn = req.required_str("roleArn")?;
    let kind = common::machine_type(req)?;
    let (publish, version_description) = common::version_description(req)?;
    check_name(name)?;
    common::check_role(role_arn)?;
    let logging = common::logging(req)?;
    let tracing = common::tracing(req)?;
    let tags = common::tags(req)?;
    common::check_definition(definition, kind)?;

    let arn = app.arn("stateMachine", name);
    let machine = StateMachine {
        arn: arn.clone(),
        name: name.to_string(),
        machine_type: kind,
        definition: definition.to_string(),
        role_arn: role_arn.to_string(),
        description: None,
        created_at: now_ms(),
        revision_id: String::new(),
        logging_configuration: logging,
        tracing_configuration: tracing,
    };
    let created = match app.store.create_state_machine(machine.clone()) {
        Ok(()) => machine,
        Err(store::Error::AlreadyExists { .. }) => {
            let existing = app.store.describe_state_machine(&arn)?;
            let same = existing.definition == machine.definition
                && existing.role_arn == machine.role_arn
                && existing.machine_type == machine.machine_type
                && existing.logging_configuration == machine.logging_configuration
                && existing.tracing_configuration == machine.tracing_configuration;
            if !same {
                return Err(ApiError::new(
                    "StateMachineAlreadyExists",
                    format!("State Machine Already Exists: '{arn}'"),
                ));
            }
            existing
        }
        Err(e) => return Err(e.into()),
    };
    if !tags.is_empty() {
        app.store.tag_resource(&arn, &tags)?;
    }
    let mut out = json!({
        "stateMachineArn": arn,
        "creationDate": epoch_seconds(created.created_at),
    });
    if publish {
        let v = app
            .store
            .publish_version(&arn, version_description, now_ms())?;
        out["stateMachineVersionArn"] = v.arn.into();
    }
    Ok(out)
}
