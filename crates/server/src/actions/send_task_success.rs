//! SendTaskSuccess.
//!
//! Request: `{"taskToken" (≤2048), "output" (JSON text, ≤262144)}`. Response:
//! `{}` once the result is durable; the token is then spent.
//! Errors: InvalidToken (not a token this service issued), TaskDoesNotExist,
//! TaskTimedOut (the task ended: answered, timed out, execution closed),
//! InvalidOutput (not JSON), ValidationException.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::App;
use crate::error::ApiResult;
use crate::request::Req;

pub async fn handle(app: Arc<App>, req: Req) -> ApiResult<Value> {
    let token = super::send_task_heartbeat::token(&req)?;
    req.required_str("output")?;
    let output = req.str_max("output", 262_144)?.unwrap_or_default();
    app.runtime
        .send_task_success(token, output.to_string())
        .await?;
    Ok(json!({}))
}
