//! DescribeStateMachineAlias.
//!
//! Request: `{"stateMachineAliasArn"}`.
//! Response: `{"stateMachineAliasArn", "name", "description"?,
//! "routingConfiguration", "creationDate", "updateDate"}`.
//! Errors: InvalidArn, ResourceNotFound.

use serde_json::Value;

use crate::App;
use crate::arn::{self, Resource};
use crate::error::{ApiError, ApiResult};
use crate::request::Req;
use crate::shapes;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineAliasArn")?;
    let parsed = arn::parse(text)?;
    if !matches!(parsed.resource, Resource::Alias { .. }) {
        return Err(arn::wrong_kind(&parsed));
    }
    match app.store.describe_alias(text) {
        Err(store::Error::NotFound { .. }) => Err(ApiError::no_resource()),
        other => Ok(shapes::describe_alias(&other?)),
    }
}
