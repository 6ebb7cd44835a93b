//! One file per action. Each `handle(app, req)` validates its parameters as AWS
//! does, calls the store (or the runtime), and returns the response body.
//! `dispatch` maps the action name from `X-Amz-Target` to its handler and runs
//! it on a blocking thread (the store's API is synchronous); the execution
//! actions that wait on the runtime are async.

mod common;

mod create_activity;
mod create_state_machine;
mod create_state_machine_alias;
mod delete_activity;
mod delete_state_machine;
mod delete_state_machine_alias;
mod delete_state_machine_version;
mod describe_activity;
mod describe_execution;
mod describe_state_machine;
mod describe_state_machine_alias;
mod describe_state_machine_for_execution;
mod get_activity_task;
mod get_execution_history;
mod list_activities;
mod list_executions;
mod list_state_machine_aliases;
mod list_state_machine_versions;
mod list_state_machines;
mod list_tags_for_resource;
mod publish_state_machine_version;
mod redrive_execution;
mod send_task_failure;
mod send_task_heartbeat;
mod send_task_success;
mod start_execution;
mod start_sync_execution;
mod stop_execution;
mod tag_resource;
mod test_state;
mod untag_resource;
mod update_state_machine;
mod update_state_machine_alias;
mod validate_state_machine_definition;

use std::sync::Arc;

use serde_json::Value;

use crate::App;
use crate::error::{ApiError, ApiResult};
use crate::request::Req;

/// A synchronous action handler.
type Handler = fn(&App, &Req) -> ApiResult<Value>;

/// The handler of `action`, if it is one this server implements.
fn handler(action: &str) -> Option<Handler> {
    Some(match action {
        "CreateStateMachine" => create_state_machine::handle,
        "DescribeStateMachine" => describe_state_machine::handle,
        "UpdateStateMachine" => update_state_machine::handle,
        "DeleteStateMachine" => delete_state_machine::handle,
        "ListStateMachines" => list_state_machines::handle,
        "ValidateStateMachineDefinition" => validate_state_machine_definition::handle,
        "PublishStateMachineVersion" => publish_state_machine_version::handle,
        "ListStateMachineVersions" => list_state_machine_versions::handle,
        "DeleteStateMachineVersion" => delete_state_machine_version::handle,
        "CreateStateMachineAlias" => create_state_machine_alias::handle,
        "DescribeStateMachineAlias" => describe_state_machine_alias::handle,
        "UpdateStateMachineAlias" => update_state_machine_alias::handle,
        "DeleteStateMachineAlias" => delete_state_machine_alias::handle,
        "ListStateMachineAliases" => list_state_machine_aliases::handle,
        "TagResource" => tag_resource::handle,
        "UntagResource" => untag_resource::handle,
        "ListTagsForResource" => list_tags_for_resource::handle,
        "CreateActivity" => create_activity::handle,
        "DescribeActivity" => describe_activity::handle,
        "DeleteActivity" => delete_activity::handle,
        "ListActivities" => list_activities::handle,
        "DescribeExecution" => describe_execution::handle,
        "ListExecutions" => list_executions::handle,
        "GetExecutionHistory" => get_execution_history::handle,
        "DescribeStateMachineForExecution" => describe_state_machine_for_execution::handle,
        _ => return None,
    })
}

/// Runs `action` with `req`.
pub async fn dispatch(app: Arc<App>, action: &str, req: Req) -> ApiResult<Value> {
    match action {
        "StartExecution" => return start_execution::handle(app, req).await,
        "StartSyncExecution" => return start_sync_execution::handle(app, req).await,
        "StopExecution" => return stop_execution::handle(app, req).await,
        "RedriveExecution" => return redrive_execution::handle(app, req).await,
        "GetActivityTask" => return get_activity_task::handle(app, req).await,
        "SendTaskSuccess" => return send_task_success::handle(app, req).await,
        "SendTaskFailure" => return send_task_failure::handle(app, req).await,
        "SendTaskHeartbeat" => return send_task_heartbeat::handle(app, req).await,
        "TestState" => return test_state::handle(app, req).await,
        _ => {}
    }
    let Some(f) = handler(action) else {
        return Err(ApiError::new(
            "UnknownOperationException",
            format!("Unknown operation: 'AWSStepFunctions.{action}'"),
        ));
    };
    tokio::task::spawn_blocking(move || f(&app, &req))
        .await
        .map_err(|e| ApiError::internal(format!("the request failed: {e}")))?
}
