//! DeleteStateMachine.
//!
//! Request: `{"stateMachineArn"}`. Response: `{}`. Deleting a machine that does
//! not exist succeeds, as on AWS; its versions, aliases and tags go with it,
//! its executions' records stay.
//! Errors: InvalidArn.

use serde_json::{Value, json};

use crate::App;
use crate::arn;
use crate::error::ApiResult;
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineArn")?;
    arn::state_machine(text)?;
    app.store.delete_state_machine(text)?;
    app.runtime.forget_machine(text);
    Ok(json!({}))
}
