//! ListExecutions.
//!
//! Request: `{"stateMachineArn"? (a machine, version or alias ARN) | "mapRunArn"?,
//! "statusFilter"?, "maxResults"?, "nextToken"?, "redriveFilter"?}`.
//! Response: `{"executions": [{"executionArn", "stateMachineArn",
//! "stateMachineVersionArn"?, "stateMachineAliasArn"?, "name", "status",
//! "startDate", "stopDate"?, "redriveCount"}], "nextToken"?}`, newest first.
//! Listing by the machine's ARN includes executions started through its
//! versions and aliases.
//! Errors: InvalidArn, StateMachineDoesNotExist, ResourceNotFound (version or
//! alias), InvalidToken, ValidationException.

use serde_json::Value;
use store::{ExecutionFilter, ExecutionStatus};

use super::common;
use crate::App;
use crate::arn::{self, Resource};
use crate::error::{ApiError, ApiResult};
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let mut filter = ExecutionFilter::default();
    if let Some(s) = req.str("statusFilter")? {
        filter.status = Some(ExecutionStatus::parse(s).ok_or_else(|| {
            ApiError::constraint(
                s,
                "statusFilter",
                "Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
            )
        })?);
    }
    let page = req.page()?;
    let text = match (req.str("stateMachineArn")?, req.str("mapRunArn")?) {
        (Some(t), None) => t,
        (None, Some(_)) => return Err(ApiError::no_resource()),
        _ => {
            return Err(ApiError::validation(
                "Must provide a StateMachine ARN or MapRun ARN",
            ));
        }
    };
    let parsed = arn::qualified_state_machine(text)?;
    let machine_arn = parsed.machine_arn().unwrap_or_default();
    match &parsed.resource {
        Resource::Version { number, .. } => {
            match app.store.describe_version(&machine_arn, *number) {
                Err(store::Error::NotFound { .. }) => return Err(ApiError::no_resource()),
                other => other?,
            };
            filter.version_arn = Some(text.to_string());
        }
        Resource::Alias { .. } => {
            match app.store.describe_alias(text) {
                Err(store::Error::NotFound { .. }) => return Err(ApiError::no_resource()),
                other => other?,
            };
            filter.alias_arn = Some(text.to_string());
        }
        _ => {
            common::machine(app, text)?;
            filter.state_machine_arn = Some(text.to_string());
        }
    }
    let result = app.store.list_executions(&filter, &page)?;
    let items: Vec<Value> = result
        .items
        .iter()
        .map(crate::shapes::execution_list_item)
        .collect();
    Ok(crate::shapes::page("executions", items, result.next_token))
}
