//! TagResource.
//!
//! Request: `{"resourceArn" (a state machine or an activity), "tags": [{key,
//! value}]}`. Response: `{}`. A tag with an existing key overwrites it.
//! Errors: InvalidArn, ResourceNotFound (`Resource not found: '<arn>'`, also for
//! versions and aliases, which cannot be tagged), TooManyTags,
//! ValidationException.

use serde_json::{Value, json};

use super::common;
use crate::App;
use crate::arn::{self, Resource};
use crate::error::{ApiError, ApiResult};
use crate::request::Req;

/// `ResourceNotFound` unless `text` names an existing state machine or activity.
pub fn taggable(app: &App, text: &str) -> ApiResult<()> {
    let parsed = arn::parse(text)?;
    let found = match parsed.resource {
        Resource::StateMachine { .. } => app.store.describe_state_machine(text).map(|_| ()),
        Resource::Activity { .. } => app.store.describe_activity(text).map(|_| ()),
        _ => Err(store::Error::NotFound {
            kind: "resource",
            id: text.to_string(),
        }),
    };
    match found {
        Err(store::Error::NotFound { .. }) => Err(ApiError::new(
            "ResourceNotFound",
            format!("Resource not found: '{text}'"),
        )),
        other => Ok(other?),
    }
}

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("resourceArn")?;
    if req.value("tags").is_none() {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
        ));
    }
    let tags = common::tags(req)?;
    taggable(app, text)?;
    app.store.tag_resource(text, &tags)?;
    Ok(json!({}))
}
