//! UpdateStateMachineAlias.
//!
//! Request: `{"stateMachineAliasArn", "description"?, "routingConfiguration"?}`
//! — at least one of the two. Response: `{"updateDate"}`.
//! Errors: InvalidArn, ResourceNotFound, ValidationException.

use serde_json::{Value, json};

use super::create_state_machine_alias::routing;
use crate::App;
use crate::arn::{self, Resource};
use crate::error::{ApiError, ApiResult};
use crate::ids::{epoch_seconds, now_ms};
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineAliasArn")?;
    let parsed = arn::parse(text)?;
    if !matches!(parsed.resource, Resource::Alias { .. }) {
        return Err(arn::wrong_kind(&parsed));
    }
    let description = req.str_max("description", 256)?.map(str::to_string);
    let routes = req.value("routingConfiguration");
    if description.is_none() && routes.is_none() {
        return Err(ApiError::validation(
            "Either the description or the routing configuration must be specified",
        ));
    }
    match app.store.describe_alias(text) {
        Err(store::Error::NotFound { .. }) => return Err(ApiError::no_resource()),
        other => other?,
    };
    let routes = match routes {
        Some(r) => {
            let (text_routes, machine) = routing(app, Some(r))?;
            if Some(machine) != parsed.machine_arn() {
                return Err(ApiError::validation(
                    "Routing configuration must contain versions of the alias's state machine",
                ));
            }
            Some(text_routes)
        }
        None => None,
    };
    let now = now_ms();
    match app.store.update_alias(text, routes, description, now) {
        Err(store::Error::NotFound { .. }) => Err(ApiError::no_resource()),
        other => Ok(json!({"updateDate": epoch_seconds(other?.updated_at)})),
    }
}
