//! CreateStateMachineAlias.
//!
//! Request: `{"name", "description"?, "routingConfiguration":
//! [{"stateMachineVersionArn", "weight"}] (one or two routes, weights 0..=100
//! summing to 100, versions of one machine)}`.
//! Response: `{"stateMachineAliasArn", "creationDate"}`; the alias ARN is the
//! machine's ARN followed by `:<name>`. Creating the same alias again with the
//! same description and routes returns it; a different one is
//! `ConflictException`.
//! Errors: InvalidName, InvalidArn, ValidationException, ResourceNotFound
//! (a routed version does not exist), ConflictException.

use serde_json::{Value, json};
use store::Alias;

use crate::App;
use crate::arn::{self, Resource};
use crate::error::{ApiError, ApiResult};
use crate::ids::{epoch_seconds, now_ms};
use crate::request::Req;
use crate::shapes::parse_stored;

/// Checks a `routingConfiguration` and returns it as stored text with the
/// unqualified state machine ARN its versions belong to.
pub fn routing(app: &App, value: Option<&Value>) -> ApiResult<(String, String)> {
    let Some(Value::Array(routes)) = value else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'routingConfiguration' failed to satisfy constraint: Member must not be null",
        ));
    };
    if routes.is_empty() || routes.len() > 2 {
        return Err(ApiError::constraint(
            &Value::Array(routes.clone()).to_string(),
            "routingConfiguration",
            "Member must have length less than or equal to 2",
        ));
    }
    let mut machine: Option<String> = None;
    let mut total = 0;
    let mut seen = Vec::new();
    for r in routes {
        let version = r
            .get("stateMachineVersionArn")
            .and_then(Value::as_str)
            .unwrap_or("");
        let weight = r.get("weight").and_then(Value::as_i64).unwrap_or(-1);
        if !(0..=100).contains(&weight) {
            return Err(ApiError::constraint(
                &weight.to_string(),
                "routingConfiguration.member.weight",
                "Member must have value between 0 and 100",
            ));
        }
        total += weight;
        let parsed = arn::parse(version)?;
        let Resource::Version { number, .. } = parsed.resource else {
            return Err(arn::wrong_kind(&parsed));
        };
        let m = parsed.machine_arn().unwrap_or_default();
        if machine.as_ref().is_some_and(|x| *x != m) {
            return Err(ApiError::validation(
                "Routing configuration must contain state machine version ARNs of the same state machine",
            ));
        }
        if seen.contains(&version) {
            return Err(ApiError::validation(
                "Routing configuration must contain distinct state machine version ARNs",
            ));
        }
        seen.push(version);
        match app.store.describe_version(&m, number) {
            Err(store::Error::NotFound { .. }) => return Err(ApiError::no_resource()),
            other => other?,
        };
        machine = Some(m);
    }
    if total != 100 {
        return Err(ApiError::validation(
            "Sum of routing configuration weights must be equal to 100",
        ));
    }
    let text = Value::Array(routes.clone()).to_string();
    Ok((text, machine.unwrap_or_default()))
}

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let name = req.required_str("name")?;
    let description = req.str_max("description", 256)?.map(str::to_string);
    arn::check_name(name)?;
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ));
    }
    let (routes, machine_arn) = routing(app, req.value("routingConfiguration"))?;
    let now = now_ms();
    let alias = Alias {
        arn: format!("{machine_arn}:{name}"),
        state_machine_arn: machine_arn,
        name: name.to_string(),
        description,
        routing_configuration: routes,
        created_at: now,
        updated_at: now,
    };
    let stored = match app.store.create_alias(alias.clone()) {
        Ok(()) => alias,
        Err(store::Error::AlreadyExists { .. }) => {
            let existing = app.store.describe_alias(&alias.arn)?;
            if existing.description != alias.description
                || parse_stored(&existing.routing_configuration)
                    != parse_stored(&alias.routing_configuration)
            {
                return Err(ApiError::new(
                    "ConflictException",
                    "Failed to create alias because an alias with the same name and a different routing configuration already exists.",
                ));
            }
            existing
        }
        Err(e) => return Err(e.into()),
    };
    Ok(
        json!({"stateMachineAliasArn": stored.arn, "creationDate": epoch_seconds(stored.created_at)}),
    )
}
