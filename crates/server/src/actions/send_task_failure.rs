//! SendTaskFailure.
//!
//! Request: `{"taskToken" (≤2048), "error"? (≤256), "cause"? (≤32768)}`.
//! Response: `{}` once the failure is durable; the token is then spent.
//! Errors: InvalidToken, TaskDoesNotExist, TaskTimedOut, ValidationException.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::App;
use crate::error::ApiResult;
use crate::request::Req;

pub async fn handle(app: Arc<App>, req: Req) -> ApiResult<Value> {
    let token = super::send_task_heartbeat::token(&req)?;
    let error = req.str_max("error", 256)?.map(str::to_string);
    let cause = req.str_max("cause", 32768)?.map(str::to_string);
    app.runtime.send_task_failure(token, error, cause).await?;
    Ok(json!({}))
}
