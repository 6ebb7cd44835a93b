//! ListTagsForResource.
//!
//! Request: `{"resourceArn"}`. Response: `{"tags": [{"key", "value"}]}`.
//! Errors: InvalidArn, ResourceNotFound.

use serde_json::{Value, json};

use super::tag_resource::taggable;
use crate::App;
use crate::error::ApiResult;
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("resourceArn")?;
    taggable(app, text)?;
    let tags: Vec<Value> = app
        .store
        .list_tags(text)?
        .into_iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect();
    Ok(json!({"tags": tags}))
}
