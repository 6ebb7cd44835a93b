//! `stepwise eval --state`: one Pass or Task state's data flow, step by step,
//! as the Step Functions console's data flow simulator shows it.
//!
//! The state is validated by wrapping it in a one-state machine, so that a
//! mistake gets the same diagnostic as in a whole definition.

use anyhow::Result;
use asl::{PathField, QueryLanguage, State, StateKind};
use serde_json::{Map, Value, json};

use crate::Failure;
use crate::eval::{Env, evaluate_jsonata, jsonpath, strip_braces, template};

/// The name the state gets in its wrapper machine, and in `$$.State.Name`.
const NAME: &str = "State";

/// Parses and validates one state's JSON.
fn parse_state(state: &Value) -> Result<(State, QueryLanguage), Failure> {
    let Value::Object(fields) = state else {
        return Err(Failure::new(
            "InvalidDefinition",
            "--state must be a JSON object (one state)",
        ));
    };
    let kind = fields.get("Type").and_then(Value::as_str).unwrap_or("");
    if kind != "Pass" && kind != "Task" {
        return Err(Failure::new(
            "InvalidDefinition",
            format!(
                "--state simulates Pass and Task states; this one has \"Type\": {}",
                json!(kind)
            ),
        ));
    }
    let mut fields = fields.clone();
    fields.remove("Next");
    fields.insert("End".into(), Value::Bool(true));
    let mut states = Map::new();
    // Catchers need somewhere to go.
    if let Some(Value::Array(catchers)) = fields.get("Catch") {
        for c in catchers {
            if let Some(next) = c.get("Next").and_then(Value::as_str)
                && next != NAME
            {
                states.insert(next.to_string(), json!({"Type": "Succeed"}));
            }
        }
    }
    let language = fields.get("QueryLanguage").cloned();
    states.insert(NAME.into(), Value::Object(fields));
    let mut machine = json!({"StartAt": NAME, "States": states});
    if let Some(l) = language {
        machine["QueryLanguage"] = l;
    }
    let (definition, diags) = asl::parse(&machine.to_string());
    let Some(mut definition) = definition else {
        return Err(Failure::new(
            "InvalidDefinition",
            asl::create_error_message(&diags),
        ));
    };
    let language = definition.query_language;
    match definition.graph.states.shift_remove(NAME) {
        Some(s) => {
            let language = s.query_language.unwrap_or(language);
            Ok((s, language))
        }
        None => Err(Failure::new(
            "InvalidDefinition",
            "the state could not be read",
        )),
    }
}

/// Prints the data flow of one state: `input`, `effectiveInput`, `parameters`
/// (JSONata: `arguments`), `result`, `variables` (when it has Assign) and `output`.
/// A Task without `result` stops after its parameters.
pub fn simulate(
    env: &mut Env,
    state: &Value,
    input: Value,
    result: Option<Value>,
) -> Result<Value> {
    let (state, language) = parse_state(state)?;
    let flow = match language {
        QueryLanguage::JsonPath => jsonpath_flow(env, &state, input, result)?,
        QueryLanguage::Jsonata => jsonata_flow(env, &state, input, result)?,
    };
    Ok(Value::Object(flow))
}

/// Applies `InputPath` or `OutputPath`: absent keeps, `null` gives `{}`.
fn select(env: &Env, field: &Option<PathField>, doc: Value) -> Result<Value, Failure> {
    match field {
        None => Ok(doc),
        Some(PathField::Null) => Ok(Value::Object(Map::new())),
        Some(PathField::Path(p)) => jsonpath(env, p, &doc),
    }
}

fn jsonpath_flow(
    env: &mut Env,
    state: &State,
    input: Value,
    result: Option<Value>,
) -> Result<Map<String, Value>, Failure> {
    let mut flow = Map::new();
    flow.insert("input".into(), input.clone());
    let effective = select(env, &state.input_path, input.clone())?;
    flow.insert("effectiveInput".into(), effective.clone());
    let parameters = match &state.parameters {
        Some(t) => template(env, t, &effective)?,
        None => effective,
    };
    flow.insert("parameters".into(), parameters.clone());
    let result = match (&state.kind, result) {
        (StateKind::Pass(pass), _) => pass.result.clone().unwrap_or(parameters),
        (_, Some(r)) => match &state.result_selector {
            Some(t) => template(env, t, &r)?,
            None => r,
        },
        (_, None) => {
            eprintln!("(no --result given: the flow stops at the Task's parameters)");
            return Ok(flow);
        }
    };
    flow.insert("result".into(), result.clone());
    if let Some(assign) = &state.assign {
        flow.insert("variables".into(), template(env, assign, &result)?);
    }
    let merged = match &state.result_path {
        None => result,
        Some(PathField::Null) => input,
        Some(PathField::Path(p)) => {
            let path = expr::reference::ReferencePath::parse(p).map_err(|e| {
                Failure::new(
                    "States.Runtime",
                    format!("Invalid path '{p}' : {}", e.message),
                )
            })?;
            expr::reference::set(input, &path, result)
                .map_err(|e| Failure::new(e.error, e.cause))?
        }
    };
    flow.insert("resultPathOutput".into(), merged.clone());
    flow.insert("output".into(), select(env, &state.output_path, merged)?);
    Ok(flow)
}

/// Evaluates every `{% … %}` string of a JSONata-state template.
fn walk(
    env: &mut Env,
    t: &Value,
    input: &Value,
    result: Option<&Value>,
    field: &str,
) -> Result<Value, Failure> {
    match t {
        Value::String(s) if s.trim().starts_with("{%") && s.trim().ends_with("%}") => {
            let bindings = env.bindings(input, result);
            match evaluate_jsonata(env, s, None, &bindings)? {
                Some(v) => Ok(v),
                None => Err(Failure::new(
                    "States.QueryEvaluationError",
                    format!(
                        "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                        strip_braces(s)
                    ),
                )),
            }
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(
                    k.clone(),
                    walk(env, v, input, result, &format!("{field}/{k}"))?,
                );
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, v) in a.iter().enumerate() {
                out.push(walk(env, v, input, result, &format!("{field}[{i}]"))?);
            }
            Ok(Value::Array(out))
        }
        other => Ok(other.clone()),
    }
}

fn jsonata_flow(
    env: &mut Env,
    state: &State,
    input: Value,
    result: Option<Value>,
) -> Result<Map<String, Value>, Failure> {
    let mut flow = Map::new();
    flow.insert("input".into(), input.clone());
    let result = match (&state.kind, result) {
        (StateKind::Pass(_), _) => None,
        (_, r) => {
            let arguments = match &state.arguments {
                Some(t) => walk(env, t, &input, None, "Arguments")?,
                None => input.clone(),
            };
            flow.insert("arguments".into(), arguments);
            match r {
                Some(r) => Some(r),
                None => {
                    eprintln!("(no --result given: the flow stops at the Task's arguments)");
                    return Ok(flow);
                }
            }
        }
    };
    if let Some(r) = &result {
        flow.insert("result".into(), r.clone());
    }
    if let Some(assign) = &state.assign {
        flow.insert(
            "variables".into(),
            walk(env, assign, &input, result.as_ref(), "Assign")?,
        );
    }
    let output = match &state.output {
        Some(t) => walk(env, t, &input, result.as_ref(), "Output")?,
        None => result.unwrap_or(input),
    };
    flow.insert("output".into(), output);
    Ok(flow)
}
