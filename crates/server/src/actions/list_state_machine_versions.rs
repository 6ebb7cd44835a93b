//! ListStateMachineVersions.
//!
//! Request: `{"stateMachineArn", "maxResults"?, "nextToken"?}`.
//! Response: `{"stateMachineVersions": [{"stateMachineVersionArn",
//! "creationDate"}], "nextToken"?}`, newest first.
//! Errors: InvalidArn, InvalidToken, ValidationException.

use serde_json::Value;

use crate::App;
use crate::arn;
use crate::error::ApiResult;
use crate::request::Req;
use crate::shapes;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineArn")?;
    arn::state_machine(text)?;
    let page = app.store.list_versions(text, &req.page()?)?;
    let items = page.items.iter().map(shapes::version_item).collect();
    Ok(shapes::page("stateMachineVersions", items, page.next_token))
}
