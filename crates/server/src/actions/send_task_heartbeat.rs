//! SendTaskHeartbeat.
//!
//! Request: `{"taskToken" (≤2048)}`. Response: `{}`; the task's
//! HeartbeatSeconds clock restarts.
//! Errors: InvalidToken, TaskDoesNotExist, TaskTimedOut, ValidationException.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::App;
use crate::error::{ApiError, ApiResult};
use crate::request::Req;

/// The `taskToken` member: required, 1 to 2048 characters.
pub fn token(req: &Req) -> ApiResult<&str> {
    req.required_str("taskToken")?;
    let token = req.str_max("taskToken", 2048)?.unwrap_or_default();
    if token.is_empty() {
        return Err(ApiError::constraint(
            token,
            "taskToken",
            "Member must have length greater than or equal to 1",
        ));
    }
    Ok(token)
}

pub async fn handle(app: Arc<App>, req: Req) -> ApiResult<Value> {
    let token = token(&req)?;
    app.runtime.send_task_heartbeat(token).await?;
    Ok(json!({}))
}
