//! ValidateStateMachineDefinition.
//!
//! Request: `{"definition", "type"? (STANDARD|EXPRESS), "severity"?,
//! "maxResults"? (diagnostics, 0..=100)}`.
//! Response: `{"result": "OK"|"FAIL", "diagnostics": [{"severity": "ERROR",
//! "code", "message", "location"?}], "truncated": bool}`. A definition that is
//! not JSON at all is a diagnostic too, not an error of the call.

use serde_json::{Value, json};

use super::common;
use crate::App;
use crate::error::{ApiError, ApiResult};
use crate::request::Req;

pub fn handle(_app: &App, req: &Req) -> ApiResult<Value> {
    let definition = req.required_str("definition")?;
    let kind = common::machine_type(req)?;
    let max = req.int("maxResults")?.unwrap_or(0);
    if !(0..=100).contains(&max) {
        return Err(ApiError::constraint(
            &max.to_string(),
            "maxResults",
            "Member must have value less than or equal to 100",
        ));
    }
    if let Some(s) = req.str("severity")?
        && !matches!(s, "ERROR" | "WARNING")
    {
        return Err(ApiError::constraint(
            s,
            "severity",
            "Member must satisfy enum value set: [ERROR, WARNING]",
        ));
    }
    let options = asl::ParseOptions {
        state_machine_type: match kind {
            store::MachineType::Standard => asl::StateMachineType::Standard,
            store::MachineType::Express => asl::StateMachineType::Express,
        },
    };
    let mut diagnostics: Vec<Value> = if definition.trim().is_empty() {
        vec![json!({
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "Definition must be a valid JSON object",
        })]
    } else {
        asl::parse_with(definition, &options)
            .1
            .iter()
            .map(|d| {
                json!({
                    "severity": "ERROR",
                    "code": d.code,
                    "message": d.message,
                    "location": if d.location.is_empty() { "/" } else { &d.location },
                })
            })
            .collect()
    };
    let limit = if max == 0 { 100 } else { max as usize };
    let truncated = diagnostics.len() > limit;
    diagnostics.truncate(limit);
    let result = if diagnostics.is_empty() { "OK" } else { "FAIL" };
    Ok(json!({"result": result, "diagnostics": diagnostics, "truncated": truncated}))
}
