//! DeleteStateMachineVersion.
//!
//! Request: `{"stateMachineVersionArn"}`. Response: `{}` (also when the version
//! does not exist). A version that an alias routes to cannot be deleted:
//! `ConflictException` naming the aliases.
//! Errors: InvalidArn, ConflictException.

use serde_json::{Value, json};
use store::PageRequest;

use crate::App;
use crate::arn::{self, Resource};
use crate::error::{ApiError, ApiResult};
use crate::request::Req;
use crate::shapes::parse_stored;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineVersionArn")?;
    let parsed = arn::parse(text)?;
    let Resource::Version { number, .. } = parsed.resource else {
        return Err(arn::wrong_kind(&parsed));
    };
    let machine_arn = parsed.machine_arn().unwrap_or_default();
    let mut referencing = Vec::new();
    let mut page = PageRequest::first(1000);
    loop {
        let aliases = app.store.list_aliases(&machine_arn, &page)?;
        for a in &aliases.items {
            let routes = parse_stored(&a.routing_configuration);
            let hit = routes.as_array().is_some_and(|r| {
                r.iter()
                    .any(|x| x.get("stateMachineVersionArn").and_then(Value::as_str) == Some(text))
            });
            if hit {
                referencing.push(a.name.clone());
            }
        }
        match aliases.next_token {
            Some(t) => page.next_token = Some(t),
            None => break,
        }
    }
    if !referencing.is_empty() {
        return Err(ApiError::new(
            "ConflictException",
            format!(
                "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                referencing.join(", ")
            ),
        ));
    }
    app.store.delete_version(&machine_arn, number)?;
    Ok(json!({}))
}
