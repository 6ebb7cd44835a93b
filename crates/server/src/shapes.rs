//! Records as AWS's response shapes: describe and list entries of state
//! machines, versions, aliases, activities; logging and tracing defaults.

use serde_json::{Map, Value, json};
use store::{Activity, Alias, StateMachine, StateMachineVersion};

use crate::ids::epoch_seconds;

/// A JSON text the store kept for us, parsed (an unparsable one becomes null).
pub fn parse_stored(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// `loggingConfiguration` with AWS's defaults filled in.
pub fn logging(stored: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("level".into(), "OFF".into());
    m.insert("includeExecutionData".into(), false.into());
    if let Some(Value::Object(given)) = stored.map(parse_stored) {
        m.extend(given);
    }
    Value::Object(m)
}

/// `tracingConfiguration` with AWS's default.
pub fn tracing(stored: Option<&str>) -> Value {
    match stored.map(parse_stored) {
        Some(v @ Value::Object(_)) => v,
        _ => json!({"enabled": false}),
    }
}

/// DescribeStateMachine of a state machine.
pub fn describe_machine(m: &StateMachine) -> Value {
    let mut v = json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "status": "ACTIVE",
        "definition": m.definition,
        "roleArn": m.role_arn,
        "type": m.machine_type.as_str(),
        "creationDate": epoch_seconds(m.created_at),
        "loggingConfiguration": logging(m.logging_configuration.as_deref()),
        "tracingConfiguration": tracing(m.tracing_configuration.as_deref()),
        "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
    });
    if let Some(d) = &m.description {
        v["description"] = d.clone().into();
    }
    if !m.revision_id.is_empty() {
        v["revisionId"] = m.revision_id.clone().into();
    }
    add_variable_references(&mut v, &m.definition);
    v
}

/// `variableReferences`: the workflow variables each state reads, present when
/// any state reads one.
pub fn add_variable_references(out: &mut Value, definition: &str) {
    let Ok(parsed) = serde_json::from_str::<Value>(definition) else {
        return;
    };
    let refs = asl::variable_references(&parsed);
    if let Some(o) = out.as_object_mut() {
        o.remove("variableReferences");
        if !refs.is_empty() {
            o.insert("variableReferences".into(), json!(refs));
        }
    }
}

/// DescribeStateMachine of a version: the version's definition, role and
/// description, the machine's name, type and configuration.
pub fn describe_version(m: &StateMachine, v: &StateMachineVersion) -> Value {
    let mut out = describe_machine(m);
    out["stateMachineArn"] = v.arn.clone().into();
    out["definition"] = v.definition.clone().into();
    out["roleArn"] = v.role_arn.clone().into();
    out["creationDate"] = epoch_seconds(v.created_at);
    let o = out.as_object_mut().expect("object");
    o.remove("description");
    o.remove("revisionId");
    if let Some(d) = &v.description {
        o.insert("description".into(), d.clone().into());
    }
    if !v.revision_id.is_empty() {
        o.insert("revisionId".into(), v.revision_id.clone().into());
    }
    add_variable_references(&mut out, &v.definition);
    out
}

/// A ListStateMachines entry.
pub fn machine_item(m: &StateMachine) -> Value {
    json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "type": m.machine_type.as_str(),
        "creationDate": epoch_seconds(m.created_at),
    })
}

/// A ListStateMachineVersions entry.
pub fn version_item(v: &StateMachineVersion) -> Value {
    json!({"stateMachineVersionArn": v.arn, "creationDate": epoch_seconds(v.created_at)})
}

/// DescribeStateMachineAlias.
pub fn describe_alias(a: &Alias) -> Value {
    let mut v = json!({
        "stateMachineAliasArn": a.arn,
        "name": a.name,
        "routingConfiguration": parse_stored(&a.routing_configuration),
        "creationDate": epoch_seconds(a.created_at),
        "updateDate": epoch_seconds(a.updated_at),
    });
    if let Some(d) = &a.description {
        v["description"] = d.clone().into();
    }
    v
}

/// A ListStateMachineAliases entry.
pub fn alias_item(a: &Alias) -> Value {
    json!({"stateMachineAliasArn": a.arn, "creationDate": epoch_seconds(a.created_at)})
}

/// A ListActivities entry.
pub fn activity_item(a: &Activity) -> Value {
    json!({"activityArn": a.arn, "name": a.name, "creationDate": epoch_seconds(a.created_at)})
}

/// One execution in ListExecutions' shape.
pub fn execution_list_item(e: &store::ExecutionSummary) -> Value {
    let mut v = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status.as_str(),
        "startDate": epoch_seconds(e.started_at),
        "redriveCount": e.redrive_count,
    });
    if let Some(x) = &e.state_machine_version_arn {
        v["stateMachineVersionArn"] = x.clone().into();
    }
    if let Some(x) = &e.state_machine_alias_arn {
        v["stateMachineAliasArn"] = x.clone().into();
    }
    if let Some(t) = e.stopped_at {
        v["stopDate"] = epoch_seconds(t);
    }
    if let Some(t) = e.redrive_date {
        v["redriveDate"] = epoch_seconds(t);
    }
    v
}

/// A listing: `{<key>: [...], "nextToken": …}` (the token only while more follow).
pub fn page(key: &str, items: Vec<Value>, next_token: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert(key.into(), Value::Array(items));
    if let Some(t) = next_token {
        m.insert("nextToken".into(), t.into());
    }
    Value::Object(m)
}
