//! GetActivityTask.
//!
//! Request: `{"activityArn", "workerName"? (≤80)}`. Response: `{"taskToken",
//! "input"}`, or `{}` when no task arrived within 60 s (AWS's long poll). The
//! worker's name is recorded in the task's `ActivityStarted` event.
//! Errors: InvalidArn, ActivityDoesNotExist, ValidationException.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::App;
use crate::arn;
use crate::error::ApiResult;
use crate::request::Req;

/// How long a poll waits for a task, as on AWS.
pub const LONG_POLL: Duration = Duration::from_secs(60);

pub async fn handle(app: Arc<App>, req: Req) -> ApiResult<Value> {
    let activity = req.required_str("activityArn")?;
    arn::activity(activity)?;
    let worker = req.str_max("workerName", 80)?.map(str::to_string);
    let task = app
        .runtime
        .get_activity_task(activity, worker, LONG_POLL)
        .await?;
    Ok(match task {
        Some(t) => json!({"taskToken": t.task_token, "input": t.input}),
        None => json!({}),
    })
}
