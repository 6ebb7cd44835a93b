//! RedriveExecution.
//!
//! Request: `{"executionArn", "clientToken"? (1..64)}`.
//! Response: `{"redriveDate"}`. A FAILED, TIMED_OUT or ABORTED Standard execution
//! continues from the state it ended in: its history goes on with
//! `ExecutionRedriven`, its status is RUNNING again and `redriveCount` goes up.
//! Errors: InvalidArn, ExecutionDoesNotExist, ExecutionNotRedrivable,
//! ValidationException.

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
    let token = req.str_max("clientToken", 64)?.map(str::to_string);
    let date = app.runtime.redrive_execution(text, token).await?;
    Ok(json!({"redriveDate": epoch_seconds(date)}))
}
