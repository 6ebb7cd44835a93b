//! PublishStateMachineVersion.
//!
//! Request: `{"stateMachineArn", "revisionId"?, "description"?}`.
//! Response: `{"stateMachineVersionArn", "creationDate"}`. Publishing the
//! revision the latest version was published from returns that version.
//! Errors: InvalidArn, StateMachineDoesNotExist, ConflictException (the
//! `revisionId` given is not the current one).

use serde_json::{Value, json};

use super::common;
use crate::App;
use crate::arn;
use crate::error::{ApiError, ApiResult};
use crate::ids::{epoch_seconds, now_ms};
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineArn")?;
    arn::state_machine(text)?;
    let description = req.str_max("description", 256)?.map(str::to_string);
    let machine = common::machine(app, text)?;
    if let Some(r) = req.str("revisionId")?
        && r != machine.revision_id
    {
        let current = if machine.revision_id.is_empty() {
            "INITIAL"
        } else {
            &machine.revision_id
        };
        return Err(ApiError::new(
            "ConflictException",
            format!(
                "Failed to publish the State Machine version for revision {r}. The current State Machine revision is {current}."
            ),
        ));
    }
    let v = match app.store.publish_version(text, description, now_ms()) {
        Err(store::Error::NotFound { .. }) => return Err(ApiError::no_state_machine(text)),
        other => other?,
    };
    Ok(json!({"stateMachineVersionArn": v.arn, "creationDate": epoch_seconds(v.created_at)}))
}
