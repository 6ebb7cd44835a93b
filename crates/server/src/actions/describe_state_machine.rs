//! DescribeStateMachine.
//!
//! Request: `{"stateMachineArn"}` — a state machine or a version ARN
//! (`…:stateMachine:<name>:<n>`).
//! Response: `{"stateMachineArn", "name", "status": "ACTIVE", "definition",
//! "roleArn", "type", "creationDate", "loggingConfiguration",
//! "tracingConfiguration", "description"?, "revisionId"?}`; `revisionId` appears
//! once the machine has been updated.
//! Errors: InvalidArn, StateMachineDoesNotExist.

use serde_json::Value;

use super::common;
use crate::App;
use crate::arn::{self, Resource};
use crate::error::{ApiError, ApiResult};
use crate::request::Req;
use crate::shapes;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineArn")?;
    let parsed = arn::qualified_state_machine(text)?;
    let machine_arn = parsed.machine_arn().unwrap_or_default();
    match parsed.resource {
        Resource::Version { number, .. } => {
            let m =
                common::machine(app, &machine_arn).map_err(|_| ApiError::no_state_machine(text))?;
            let v = match app.store.describe_version(&machine_arn, number) {
                Err(store::Error::NotFound { .. }) => return Err(ApiError::no_state_machine(text)),
                other => other?,
            };
            Ok(shapes::describe_version(&m, &v))
        }
        Resource::Alias { .. } => Err(arn::wrong_kind(&parsed)),
        _ => Ok(shapes::describe_machine(&common::machine(app, text)?)),
    }
}
