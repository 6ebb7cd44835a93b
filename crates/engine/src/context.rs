//! The context object `$$` (and `$states.context`): facts about the execution, the
//! state being run and, inside a Map, the current item.

use serde_json::{Map, Value};

use crate::execution::{Active, Execution};
use crate::time::format_timestamp;

/// Builds `$$` for a state of a frame.
pub fn build(
    exec: &Execution,
    active: &Active,
    task_token: Option<&str>,
    map_item: Option<(usize, &Value)>,
    retriable: bool,
) -> Value {
    if let Some(fixed) = &exec.plan.fixed_context {
        return fixed.clone();
    }
    let info = &exec.info;
    let mut execution = Map::new();
    execution.insert("Id".into(), Value::String(info.execution_arn.clone()));
    execution.insert("Input".into(), (*exec.input).clone());
    execution.insert(
        "StartTime".into(),
        Value::String(format_timestamp(exec.start_time)),
    );
    execution.insert("Name".into(), Value::String(info.name.clone()));
    let role = (!info.role_arn.is_empty()).then(|| Value::String(info.role_arn.clone()));
    execution.insert("RoleArn".into(), role.unwrap_or(Value::Null));
    // Express executions cannot be redriven; their context has no RedriveCount.
    if !info.execution_arn.contains(":express:") {
        execution.insert("RedriveCount".into(), Value::from(info.redrive_count));
    }

    let mut state = Map::new();
    state.insert("Name".into(), Value::String(active.name.clone()));
    let entered = format_timestamp(active.entered_time);
    state.insert("EnteredTime".into(), Value::String(entered));
    if retriable {
        state.insert("RetryCount".into(), Value::from(active.retry_count()));
    }

    let mut machine = Map::new();
    machine.insert("Id".into(), Value::String(info.state_machine_arn.clone()));
    machine.insert(
        "Name".into(),
        Value::String(info.state_machine_name.clone()),
    );

    let mut ctx = Map::new();
    ctx.insert("Execution".into(), Value::Object(execution));
    ctx.insert("StateMachine".into(), Value::Object(machine));
    ctx.insert("State".into(), Value::Object(state));
    if let Some(token) = task_token {
        let mut task = Map::new();
        task.insert("Token".into(), Value::String(token.to_string()));
        ctx.insert("Task".into(), Value::Object(task));
    }
    if let Some((index, value)) = map_item {
        let mut item = Map::new();
        item.insert("Index".into(), Value::from(index));
        item.insert("Value".into(), value.clone());
        let mut map = Map::new();
        map.insert("Item".into(), Value::Object(item));
        ctx.insert("Map".into(), Value::Object(map));
    }
    Value::Object(ctx)
}
