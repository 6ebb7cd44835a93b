//! StartSyncExecution (Express state machines only).
//!
//! Request: as StartExecution. Response: `{"executionArn", "stateMachineArn",
//! "name", "startDate", "stopDate", "status" (SUCCEEDED|FAILED|TIMED_OUT),
//! "input", "inputDetails", "output"?, "outputDetails"?, "error"?, "cause"?,
//! "traceHeader"?, "billingDetails": {"billedMemoryUsedInMB",
//! "billedDurationInMilliseconds"}}`. A failed execution is a successful call
//! with status FAILED.
//! Errors: as StartExecution, plus StateMachineTypeNotSupported (a Standard
//! machine).

use std::sync::Arc;

use serde_json::{Value, json};

use super::start_execution::start_request;
use crate::App;
use crate::error::ApiResult;
use crate::ids::epoch_seconds;
use crate::request::Req;

pub async fn handle(app: Arc<App>, req: Req) -> ApiResult<Value> {
    let start = start_request(&req)?;
    let r = app.runtime.start_sync_execution(start).await?;
    let mut out = json!({
        "executionArn": r.execution_arn,
        "stateMachineArn": r.state_machine_arn,
        "name": r.name,
        "startDate": epoch_seconds(r.start_ms),
        "stopDate": epoch_seconds(r.stop_ms),
        "status": r.status,
        "input": r.input,
        "inputDetails": {"included": true},
        "billingDetails": {
            "billedMemoryUsedInMB": r.billed_memory_mb,
            "billedDurationInMilliseconds": r.billed_duration_ms,
        },
    });
    if let Some(o) = r.output {
        out["output"] = o.into();
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(e) = r.error {
        out["error"] = e.into();
    }
    if let Some(c) = r.cause {
        out["cause"] = c.into();
    }
    if let Some(t) = r.trace_header {
        out["traceHeader"] = t.into();
    }
    Ok(out)
}
