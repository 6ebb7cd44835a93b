//! StopExecution.
//!
//! Request: `{"executionArn", "error"? (≤256), "cause"? (≤32768)}`.
//! Response: `{"stopDate"}`. The execution ends ABORTED with
//! `ExecutionAborted` in its history.
//! Errors: InvalidArn, ExecutionDoesNotExist, ValidationException.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::App;
use crate::arn;
use crate::error::ApiResult;
use crate::ids::epoch_seconds;
use crate::request::Req;

pub async fn handle(app: Arc<App>, req: Req) -> ApiResult<Value> {
    let text = req.required_str("executionArn")?;
    arn::execution(text)?;
    let error = req.str_max("error", 256)?.map(str::to_string);
    let cause = req.str_max("cause", 32768)?.map(str::to_string);
    let stop = app.runtime.stop_execution(text, error, cause).await?;
    Ok(json!({"stopDate": epoch_seconds(stop)}))
}
