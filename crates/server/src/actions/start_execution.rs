//! StartExecution.
//!
//! Request: `{"stateMachineArn" (a machine, version or alias ARN), "name"?
//! (default: a UUID), "input"? (JSON text, default `{}`), "traceHeader"?}`.
//! Response: `{"executionArn", "startDate"}`. Starting the same name again with
//! the same input while it runs returns the same execution (AWS's idempotency);
//! otherwise `ExecutionAlreadyExists`. A Standard execution is durable when this
//! answers.
//! Errors: InvalidArn, InvalidName, InvalidExecutionInput,
//! StateMachineDoesNotExist, ExecutionAlreadyExists.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::App;
use crate::arn;
use crate::error::ApiResult;
use crate::ids::epoch_seconds;
use crate::request::Req;

/// The runtime's request from StartExecution's or StartSyncExecution's parameters.
pub fn start_request(req: &Req) -> ApiResult<runtime::StartExecution> {
    let target = req.required_str("stateMachineArn")?;
    // `<ARN>#<TestCaseName>` selects a mock test case (the runtime checks it).
    arn::qualified_state_machine(target.split_once('#').map_or(target, |(a, _)| a))?;
    let name = req.str("name")?;
    if let Some(n) = name {
        arn::check_name(n)?;
    }
    Ok(runtime::StartExecution {
        target_arn: target.to_string(),
        name: name.map(str::to_string),
        input: req.str("input")?.map(str::to_string),
        trace_header: req.str_max("traceHeader", 256)?.map(str::to_string),
    })
}

pub async fn handle(app: Arc<App>, req: Req) -> ApiResult<Value> {
    let start = start_request(&req)?;
    let started = app.runtime.start_execution(start).await?;
    Ok(json!({
        "executionArn": started.execution_arn,
        "startDate": epoch_seconds(started.start_date_ms),
    }))
}
