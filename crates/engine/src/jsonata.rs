//! JSONata states: `{% … %}` expressions in Arguments, Output, Assign, Items,
//! Condition, …, with `$states` (input, result, errorOutput, context) and the
//! workflow variables bound.

use std::sync::Arc;

use asl::{Catcher, State};
use expr::jsonata::{Bindings, Determinism, Expression, Limits};
use serde_json::{Map, Value};

use crate::dataflow::Env;
use crate::event::{Payload, payload_text};
use crate::execution::{Active, Execution, FrameId};
use crate::failure::{Failure, Origin, prefixed};

/// Whether a string is a `{% … %}` expression.
pub(crate) fn is_expression(text: &str) -> bool {
    text.starts_with("{%") && text.ends_with("%}") && text.len() >= 4
}

/// The expression inside `{% … %}`, trimmed.
pub(crate) fn strip(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix("{%")
        .and_then(|t| t.strip_suffix("%}"))
        .map(str::trim)
        .unwrap_or(t)
}

/// JSONata's name for a JSON value's type, as AWS's error messages print it.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A `States.QueryEvaluationError` of the state, with no field location.
pub(crate) fn query_error(env: &Env, cause: &str) -> Failure {
    let mut f = Failure::new(
        "States.QueryEvaluationError",
        prefixed(env.state, env.entered_id, cause),
        Origin::State,
    );
    f.evaluation = Some(None);
    f
}

/// A `States.QueryEvaluationError` raised by the expression in `field`.
pub(crate) fn query_error_at(env: &Env, field: &str, cause: &str) -> Failure {
    let mut f = query_error(env, cause);
    f.evaluation = Some(Some(field.to_string()));
    f
}

/// The bindings of an evaluation: the workflow variables and `$states`, built
/// once per field and shared by every expression in it.
fn states_binding(
    env: &Env,
    input: &Value,
    result: Option<&Value>,
    error_output: Option<&Value>,
) -> Bindings {
    let mut m = Map::new();
    m.insert("input".into(), input.clone());
    if let Some(r) = result {
        m.insert("result".into(), r.clone());
    }
    if let Some(e) = error_output {
        m.insert("errorOutput".into(), e.clone());
    }
    m.insert("context".into(), env.context.clone());
    let mut bindings = Bindings::new();
    for (name, value) in &env.vars {
        bindings.set(name, value.clone());
    }
    bindings.set("states", Value::Object(m));
    bindings
}

/// Evaluates one `{% … %}` expression (or passes a literal through) for `field`.
fn eval_with(
    exec: &mut Execution,
    env: &Env,
    text: &str,
    states: &Bindings,
    field: &str,
) -> Result<Value, Failure> {
    let source = strip(text);
    let plan = exec.plan.clone();
    let fresh;
    let compiled = match plan.jsonata_for(text) {
        Some(c) => c,
        None => {
            fresh = Expression::compile(source).map_err(|e| {
        query_error_at(
            env,
            field,
            &format!(
                "The JSONata expression '{source}' specified for the field '{field}' threw an error during evaluation. {e}"
            ),
        )
            })?;
            &fresh
        }
    };
    let det = Determinism {
        now_millis: exec.now,
        seed: exec.entropy().next_u64(),
    };
    match compiled.evaluate_with(None, states, &det, &Limits::default()) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(query_error_at(
            env,
            field,
            &format!(
                "The JSONata expression '{source}' specified for the field '{field}' returned nothing (undefined)."
            ),
        )),
        Err(e) => Err(query_error_at(
            env,
            field,
            &format!(
                "The JSONata expression '{source}' specified for the field '{field}' threw an error during evaluation. {e}"
            ),
        )),
    }
}

/// Evaluates one expression field against the state's input.
pub(crate) fn evaluate(
    exec: &mut Execution,
    env: &Env,
    text: &str,
    input: &Value,
    field: &str,
) -> Result<Value, Failure> {
    let states = states_binding(env, input, None, None);
    eval_with(exec, env, text, &states, field)
}

/// Walks a JSON template, evaluating every `{% … %}` string in it.
fn walk(
    exec: &mut Execution,
    env: &Env,
    template: &Value,
    states: &Bindings,
    field: &str,
) -> Result<Value, Failure> {
    match template {
        Value::String(s) if is_expression(s) => eval_with(exec, env, s, states, field),
        Value::Object(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                let f = format!("{field}/{k}");
                out.insert(k.clone(), walk(exec, env, v, states, &f)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, v) in a.iter().enumerate() {
                let f = format!("{field}[{i}]");
                out.push(walk(exec, env, v, states, &f)?);
            }
            Ok(Value::Array(out))
        }
        other => Ok(other.clone()),
    }
}

/// Evaluates a template field (Arguments, Items, ItemSelector, Assign …).
pub(crate) fn evaluate_template(
    exec: &mut Execution,
    env: &Env,
    template: &Value,
    input: &Value,
    field: &str,
) -> Result<Value, Failure> {
    let states = states_binding(env, input, None, None);
    walk(exec, env, template, &states, field)
}

/// A JSONata Choice `Condition`.
pub(crate) fn condition(
    exec: &mut Execution,
    env: &Env,
    text: &str,
    input: &Value,
) -> Result<bool, Failure> {
    let v = evaluate(exec, env, text, input, "Condition")?;
    match v {
        Value::Bool(b) => Ok(b),
        other => Err(query_error_at(
            env,
            "Condition",
            &format!(
                "The JSONata expression '{}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                strip(text),
                type_name(&other),
                payload_text(&other)
            ),
        )),
    }
}

/// Assign then Output, both seeing `$states.input` and `$states.result` (never
/// each other's assignments).
fn assign_and_output(
    exec: &mut Execution,
    frame: FrameId,
    env: &Env,
    states: &Bindings,
    assign: &Option<Value>,
    output: &Option<Value>,
    default_output: Payload,
) -> Result<(Payload, Option<Map<String, Value>>), Failure> {
    let assigned = match assign {
        Some(t) => match walk(exec, env, t, states, "Assign")? {
            Value::Object(vars) => Some(vars),
            _ => return Err(query_error(env, "The Assign field must be a JSON object.")),
        },
        None => None,
    };
    let out = match output {
        Some(t) => Arc::new(walk(exec, env, t, states, "Output")?),
        None => default_output,
    };
    if let Some(vars) = &assigned {
        crate::dataflow::store(exec, frame, env, vars)?;
    }
    Ok((out, assigned))
}

/// A JSONata state's output: `Output` (default: the result, or the input when the
/// state has no result), and `Assign`.
pub(crate) fn finish(
    exec: &mut Execution,
    frame: FrameId,
    env: &Env,
    def: &State,
    input: &Payload,
    result: Option<&Payload>,
) -> Result<(Payload, Option<Map<String, Value>>), Failure> {
    let states = states_binding(env, input, result.map(|r| &**r), None);
    let default = result.cloned().unwrap_or_else(|| input.clone());
    assign_and_output(exec, frame, env, &states, &def.assign, &def.output, default)
}

/// A JSONata Choice's output and assignments, from the matched rule (or the state).
pub(crate) fn choice_output(
    exec: &mut Execution,
    frame: FrameId,
    env: &Env,
    input: &Payload,
    assign: &Option<Value>,
    output: &Option<Value>,
) -> Result<(Payload, Option<Map<String, Value>>), Failure> {
    let states = states_binding(env, input, None, None);
    assign_and_output(exec, frame, env, &states, assign, output, input.clone())
}

/// A JSONata Catch: `$states.errorOutput` is the error; the output defaults to it.
pub(crate) fn catch_output(
    exec: &mut Execution,
    frame: FrameId,
    env: &Env,
    catcher: &Catcher,
    active: &Active,
    error_output: Payload,
) -> Result<(Payload, Option<Map<String, Value>>), Failure> {
    let states = states_binding(env, &active.input, None, Some(&error_output));
    assign_and_output(
        exec,
        frame,
        env,
        &states,
        &catcher.assign,
        &catcher.output,
        error_output,
    )
}
