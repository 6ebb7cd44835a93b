//! ListStateMachineAliases.
//!
//! Request: `{"stateMachineArn", "maxResults"?, "nextToken"?}`.
//! Response: `{"stateMachineAliases": [{"stateMachineAliasArn",
//! "creationDate"}], "nextToken"?}`, oldest first.
//! Errors: InvalidArn, StateMachineDoesNotExist, InvalidToken,
//! ValidationException.

use serde_json::Value;

use super::common;
use crate::App;
use crate::arn;
use crate::error::ApiResult;
use crate::request::Req;
use crate::shapes;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("stateMachineArn")?;
    arn::state_machine(text)?;
    let page = req.page()?;
    common::machine(app, text)?;
    let page = app.store.list_aliases(text, &page)?;
    let items = page.items.iter().map(shapes::alias_item).collect();
    Ok(shapes::page("stateMachineAliases", items, page.next_token))
}
