//! DescribeActivity.
//!
//! Request: `{"activityArn"}`. Response: `{"activityArn", "name",
//! "creationDate", "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}}`.
//! Errors: InvalidArn, ActivityDoesNotExist.

use serde_json::{Value, json};

use crate::App;
use crate::arn;
use crate::error::{ApiError, ApiResult};
use crate::ids::epoch_seconds;
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("activityArn")?;
    arn::activity(text)?;
    let a = match app.store.describe_activity(text) {
        Err(store::Error::NotFound { .. }) => return Err(ApiError::no_activity(text)),
        other => other?,
    };
    Ok(json!({
        "activityArn": a.arn,
        "name": a.name,
        "creationDate": epoch_seconds(a.created_at),
        "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
    }))
}
