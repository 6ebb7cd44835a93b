//! DeleteStateMachineAlias.
//!
//! Request: `{"stateMachineAliasArn"}`. Response: `{}` (also when it does not
//! exist). Errors: InvalidArn.

use serde_json::{Value, json};

use crate::App;
use crate::arn::{self, Resource};
use crate::error::ApiResult;
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineAliasArn")?;
    let parsed = arn::parse(text)?;
    if !matches!(parsed.resource, Resource::Alias { .. }) {
        return Err(arn::wrong_kind(&parsed));
    }
    app.store.delete_alias(text)?;
    Ok(json!({}))
}
