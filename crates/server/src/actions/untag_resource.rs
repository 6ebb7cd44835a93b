//! UntagResource.
//!
//! Request: `{"resourceArn", "tagKeys": [key]}`. Response: `{}`; keys that are
//! not set are ignored. Errors: InvalidArn, ResourceNotFound.

use serde_json::{Value, json};

use super::tag_resource::taggable;
use crate::App;
use crate::error::{ApiError, ApiResult};
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("resourceArn")?;
    let Some(Value::Array(keys)) = req.value("tagKeys") else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
        ));
    };
    let keys: Vec<String> = keys
        .iter()
        .map(|k| k.as_str().unwrap_or_default().to_string())
        .collect();
    taggable(app, text)?;
    app.store.untag_resource(text, &keys)?;
    Ok(json!({}))
}
