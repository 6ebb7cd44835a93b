//! ListStateMachines.
//!
//! Request: `{"maxResults"? (0..=1000, 0 = default 100), "nextToken"?}`.
//! Response: `{"stateMachines": [{"stateMachineArn", "name", "type",
//! "creationDate"}], "nextToken"?}`, oldest first.
//! Errors: InvalidToken, ValidationException.

use serde_json::Value;

use crate::App;
use crate::error::ApiResult;
use crate::request::Req;
use crate::shapes;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let page = app.store.list_state_machines(&req.page()?)?;
    let items = page.items.iter().map(shapes::machine_item).collect();
    Ok(shapes::page("stateMachines", items, page.next_token))
}
