//! DeleteActivity.
//!
//! Request: `{"activityArn"}`. Response: `{}` (also when it does not exist).
//! Errors: InvalidArn.

use serde_json::{Value, json};

use crate::App;
use crate::arn;
use crate::error::ApiResult;
use crate::request::Req;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("activityArn")?;
    arn::activity(text)?;
    app.store.delete_activity(text)?;
    app.runtime.forget_activity(text);
    Ok(json!({}))
}
