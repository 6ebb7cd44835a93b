//! CreateActivity.
//!
//! Request: `{"name", "tags"?}`. Response: `{"activityArn", "creationDate"}`.
//! Creating an existing name again returns the existing activity.
//! Errors: InvalidName.

use serde_json::{Value, json};
use store::Activity;

use super::common;
use crate::App;
use crate::arn::check_name;
use crate::error::ApiResult;
use crate::ids::{epoch_seconds, now_ms};
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let name = req.required_str("name")?;
    check_name(name)?;
    let tags = common::tags(req)?;
    let activity = app.store.create_activity(Activity {
        arn: app.arn("activity", name),
        name: name.to_string(),
        created_at: now_ms(),
    })?;
    if !tags.is_empty() {
        app.store.tag_resource(&activity.arn, &tags)?;
    }
    Ok(json!({"activityArn": activity.arn, "creationDate": epoch_seconds(activity.created_at)}))
}
