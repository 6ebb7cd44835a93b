//! Helpers several actions share: loading a state machine with AWS's error,
//! validating a definition, reading logging configurations and tag lists.

use serde_json::Value;
use store::{MachineType, StateMachine};

use crate::App;
use crate::error::{ApiError, ApiResult};
use crate::request::Req;

/// The state machine at `arn`, or `StateMachineDoesNotExist` naming `arn`.
pub fn machine(app: &App, arn: &str) -> ApiResult<StateMachine> {
    match app.store.describe_state_machine(arn) {
        Err(store::Error::NotFound { .. }) => Err(ApiError::no_state_machine(arn)),
        other => Ok(other?),
    }
}

/// `type`: STANDARD (the default) or EXPRESS.
pub fn machine_type(req: &Req) -> ApiResult<MachineType> {
    match req.str("type")? {
        None => Ok(MachineType::Standard),
        Some(t) => MachineType::parse(t).ok_or_else(|| {
            ApiError::constraint(
                t,
                "type",
                "Member must satisfy enum value set: [STANDARD, EXPRESS]",
            )
        }),
    }
}

/// `InvalidDefinition` unless `definition` passes validation for a machine of `kind`.
pub fn check_definition(definition: &str, kind: MachineType) -> ApiResult<()> {
    let options = asl::ParseOptions {
        state_machine_type: match kind {
            MachineType::Standard => asl::StateMachineType::Standard,
            MachineType::Express => asl::StateMachineType::Express,
        },
    };
    let (_, diags) = asl::parse_with(definition, &options);
    if diags.is_empty() {
        Ok(())
    } else {
        Err(ApiError::new(
            "InvalidDefinition",
            asl::create_error_message(&diags),
        ))
    }
}

/// `roleArn`: must at least look like an ARN.
pub fn check_role(role: &str) -> ApiResult<()> {
    if role.starts_with("arn:") {
        Ok(())
    } else {
        Err(ApiError::invalid_arn(format!("Invalid ARN prefix: {role}")))
    }
}

/// `loggingConfiguration` as stored JSON text, checked as AWS checks it: a level
/// other than OFF needs exactly one log destination.
pub fn logging(req: &Req) -> ApiResult<Option<String>> {
    let Some(v) = req.value("loggingConfiguration") else {
        return Ok(None);
    };
    let Value::Object(m) = v else {
        return Err(ApiError::new(
            "SerializationException",
            "loggingConfiguration must be a structure",
        ));
    };
    let level = m.get("level").and_then(Value::as_str).unwrap_or("OFF");
    if !matches!(level, "ALL" | "ERROR" | "FATAL" | "OFF") {
        return Err(ApiError::constraint(
            level,
            "loggingConfiguration.level",
            "Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]",
        ));
    }
    let destinations = m
        .get("destinations")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if destinations > 1 || (level != "OFF" && destinations != 1) {
        return Err(ApiError::new(
            "InvalidLoggingConfiguration",
            "Invalid Logging Configuration: Must specify exactly one Log Destination.",
        ));
    }
    Ok(Some(v.to_string()))
}

/// `tracingConfiguration` as stored JSON text.
pub fn tracing(req: &Req) -> ApiResult<Option<String>> {
    match req.value("tracingConfiguration") {
        None => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.to_string())),
        Some(_) => Err(ApiError::new(
            "SerializationException",
            "tracingConfiguration must be a structure",
        )),
    }
}

/// `tags`: a list of `{key, value}`, checked against AWS's lengths.
pub fn tags(req: &Req) -> ApiResult<Vec<(String, String)>> {
    let Some(v) = req.value("tags") else {
        return Ok(Vec::new());
    };
    let Some(list) = v.as_array() else {
        return Err(ApiError::new(
            "SerializationException",
            "tags must be a list",
        ));
    };
    if list.len() > 50 {
        return Err(ApiError::new(
            "TooManyTags",
            "The number of tags exceeds the limit of 50",
        ));
    }
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let key = t.get("key").and_then(Value::as_str).unwrap_or("");
        let value = t.get("value").and_then(Value::as_str).unwrap_or("");
        if key.is_empty() || key.chars().count() > 128 {
            return Err(ApiError::constraint(
                key,
                &format!("tags.{}.member.key", i + 1),
                "Member must have length between 1 and 128",
            ));
        }
        if value.chars().count() > 256 {
            return Err(ApiError::constraint(
                value,
                &format!("tags.{}.member.value", i + 1),
                "Member must have length less than or equal to 256",
            ));
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

/// `versionDescription` is only allowed with `publish: true`.
pub fn version_description(req: &Req) -> ApiResult<(bool, Option<String>)> {
    let publish = req.bool("publish")?.unwrap_or(false);
    let description = req.str_max("versionDescription", 256)?.map(str::to_string);
    if description.is_some() && !publish {
        return Err(ApiError::validation(
            "Version description can only be set when publish is true",
        ));
    }
    Ok((publish, description))
}
