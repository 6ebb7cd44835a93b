//! GetExecutionHistory.
//!
//! Request: `{"executionArn", "maxResults"?, "nextToken"?, "reverseOrder"?,
//! "includeExecutionData"? (default true)}`.
//! Response: `{"events": [{"timestamp", "type", "id", "previousEventId",
//! "<kind>EventDetails"?}], "nextToken"?}`. With `includeExecutionData: false`
//! the details carry no `input` or `output`.
//! Errors: InvalidArn, ExecutionDoesNotExist, InvalidToken, ValidationException.

use serde_json::{Map, Value};
use store::HistoryQuery;

use super::describe_execution::load;
use crate::App;
use crate::error::{ApiError, ApiResult};
use crate::ids::epoch_seconds;
use crate::request::Req;
use crate::shapes;

pub fn handle(app: &App, req: &Req) -> ApiResult<Value> {
    let text = req.required_str("executionArn")?;
    let query = HistoryQuery {
        reverse_order: req.bool("reverseOrder")?.unwrap_or(false),
        page: req.page()?,
    };
    let include_data = req.bool("includeExecutionData")?.unwrap_or(true);
    load(app, text)?;
    let page = app.store.history(text, &query)?;
    let mut events = Vec::with_capacity(page.items.len());
    for row in &page.items {
        let mut m = Map::new();
        m.insert("timestamp".into(), epoch_seconds(row.timestamp));
        m.insert("type".into(), row.event_type.clone().into());
        m.insert("id".into(), row.id.into());
        m.insert("previousEventId".into(), row.previous_id.into());
        let details: Value = serde_json::from_str(&row.details)
            .map_err(|e| ApiError::internal(format!("stored event {} is not JSON: {e}", row.id)))?;
        if let Value::Object(d) = details {
            for (k, mut v) in d {
                if !include_data && let Value::Object(inner) = &mut v {
                    inner.remove("input");
                    inner.remove("output");
                }
                m.insert(k, v);
            }
        }
        events.push(Value::Object(m));
    }
    Ok(shapes::page("events", events, page.next_token))
}
