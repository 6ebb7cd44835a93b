//! ListActivities.
//!
//! Request: `{"maxResults"?, "nextToken"?}`. Response: `{"activities":
//! [{"activityArn", "name", "creationDate"}], "nextToken"?}`, oldest first.
//! Errors: InvalidToken, ValidationException.

use serde_json::Value;

use crate::App;
use crate::error::ApiResult;
use crate::request::Req;
use crate::shapes;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let page = app.store.list_activities(&req.page()?)?;
    let items = page.items.iter().map(shapes::activity_item).collect();
    Ok(shapes::page("activities", items, page.next_token))
}
