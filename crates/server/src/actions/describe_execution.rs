//! DescribeExecution.
//!
//! Request: `{"executionArn", "includedData"? (ALL_DATA|METADATA_ONLY)}`.
//! Response: `{"executionArn", "stateMachineArn", "stateMachineVersionArn"?,
//! "stateMachineAliasArn"?, "name", "status", "startDate", "stopDate"?,
//! "input", "inputDetails", "output"?, "outputDetails"?, "error"?, "cause"?,
//! "redriveCount", "redriveDate"?, "redriveStatus", "redriveStatusReason"?}`.
//! Errors: InvalidArn, ExecutionDoesNotExist.

use serde_json::{Value, json};
use store::Execution;

use crate::App;
use crate::arn;
use crate::error::{ApiError, ApiResult};
use crate::ids::epoch_seconds;
use crate::request::Req;

/// The stored execution at `text`, or `ExecutionDoesNotExist`.
pub fn load(app: &App, text: &str) -> ApiResult<Execution> {
    arn::execution(text)?;
    match app.store.describe_execution(text) {
        Err(store::Error::NotFound { .. }) => Err(ApiError::no_execution(text)),
        other => Ok(other?),
    }
}

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("executionArn")?;
    let included = match req.str("includedData")? {
        None | Some("ALL_DATA") => true,
        Some("METADATA_ONLY") => false,
        Some(other) => {
            return Err(ApiError::constraint(
                other,
                "includedData",
                "Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]",
            ));
        }
    };
    let e = load(app, text)?;
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status.as_str(),
        "startDate": epoch_seconds(e.started_at),
        "inputDetails": {"included": included},
        "redriveCount": e.redrive_count,
    });
    if included {
        out["input"] = e.input.clone().into();
    }
    if let Some(v) = &e.state_machine_version_arn {
        out["stateMachineVersionArn"] = v.clone().into();
    }
    if let Some(a) = &e.state_machine_alias_arn {
        out["stateMachineAliasArn"] = a.clone().into();
    }
    if let Some(t) = e.stopped_at {
        out["stopDate"] = epoch_seconds(t);
    }
    if let Some(o) = &e.output {
        out["outputDetails"] = json!({"included": included});
        if included {
            out["output"] = o.clone().into();
        }
    }
    if let Some(x) = &e.error {
        out["error"] = x.clone().into();
    }
    if let Some(c) = &e.cause {
        out["cause"] = c.clone().into();
    }
    if let Some(t) = e.redrive_date {
        out["redriveDate"] = epoch_seconds(t);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let reason = runtime::not_redrivable_reason(&e, now);
    let status = if reason.is_some() {
        "NOT_REDRIVABLE"
    } else {
        "REDRIVABLE"
    };
    out["redriveStatus"] = e.redrive_status.clone().unwrap_or(status.into()).into();
    if let Some(r) = reason {
        out["redriveStatusReason"] = r.into();
    }
    Ok(out)
}
