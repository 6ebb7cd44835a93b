//! A state's data flow: InputPath → Parameters → (work) → ResultSelector →
//! ResultPath → OutputPath, and Assign; JSONata's Arguments/Output/Assign.
//!
//! Each function returns a `Failure` already in AWS's shape (error name and the
//! cause prefixed with the state and the event id it was entered at).

use std::sync::Arc;

use asl::{Catcher, PathField, QueryLanguage, State};
use expr::jsonpath::Path;
use serde_json::{Map, Value};

use crate::event::Payload;
use crate::execution::{Active, Execution, FrameId};
use crate::failure::{Failure, Origin, prefixed};
use crate::plan::Plan;

/// What an expression may read besides its input: `$$` and the variables.
pub(crate) struct Env<'d> {
    pub context: Value,
    pub vars: Map<String, Value>,
    /// The state's name, borrowed from its definition (no copy per state).
    pub state: &'d str,
    pub entered_id: u64,
    pub language: QueryLanguage,
}

impl<'d> Env<'d> {
    pub fn new(exec: &Execution, frame: FrameId, def: &'d State, active: &Active) -> Env<'d> {
        Env::with(exec, frame, def, active, None, None)
    }

    pub fn with(
        exec: &Execution,
        frame: FrameId,
        def: &'d State,
        active: &Active,
        task_token: Option<&str>,
        map_item: Option<(usize, &Value)>,
    ) -> Env<'d> {
        let scope = &exec.frame(frame).vars;
        let vars = if scope.is_empty() {
            Map::new()
        } else {
            scope.snapshot()
        };
        let context = if exec.plan.reads_context(def) {
            crate::context::build(
                exec,
                active,
                task_token,
                map_item,
                matches!(
                    def.kind,
                    asl::StateKind::Task(_) | asl::StateKind::Parallel(_) | asl::StateKind::Map(_)
                ),
            )
        } else {
            Value::Null
        };
        Env {
            context,
            vars,
            state: &def.name,
            entered_id: active.entered_id,
            language: exec.language(def),
        }
    }

    pub fn scope(&self) -> expr::Scope<'_> {
        expr::Scope::new(&self.context, &self.vars)
    }

    /// A `States.Runtime` failure of this state.
    pub fn runtime(&self, cause: &str) -> Failure {
        Failure::runtime(self.state, self.entered_id, cause)
    }

    /// An expression's error, as a failure of this state.
    pub fn expr_failure(&self, e: expr::Error) -> Failure {
        let origin = if e.error == "States.Runtime" {
            Origin::Runtime
        } else {
            Origin::State
        };
        Failure::new(
            e.error,
            prefixed(self.state, self.entered_id, &e.cause),
            origin,
        )
    }
}

/// Parses a path, a failure of the state (`States.Runtime`) when it is malformed.
pub(crate) fn parse_path(env: &Env, text: &str) -> Result<Path, Failure> {
    Path::parse(text).map_err(|e| env.runtime(&format!("Invalid path '{text}' : {}", e.message)))
}

/// Selects with a path field (`InputPath`, `OutputPath`): absent keeps the
/// document, `null` gives `{}`.
pub(crate) fn select(
    plan: &Plan,
    env: &Env,
    field: &Option<PathField>,
    doc: &Payload,
) -> Result<Payload, Failure> {
    match field {
        None => Ok(doc.clone()),
        Some(PathField::Null) => Ok(Arc::new(Value::Object(Map::new()))),
        Some(PathField::Path(text)) => {
            let parsed;
            let path = match plan.path_for(text) {
                Some(p) => p,
                None => {
                    parsed = parse_path(env, text)?;
                    &parsed
                }
            };
            if path.is_root_only() {
                return Ok(doc.clone());
            }
            path.evaluate(doc, &env.scope())
                .map(Arc::new)
                .map_err(|e| env.runtime(&format!("Invalid path '{text}' : {}", e.message)))
        }
    }
}

/// Evaluates a payload template (`Parameters`, `ResultSelector`, `ItemSelector`).
pub(crate) fn template(
    exec: &mut Execution,
    env: &Env,
    template: &Value,
    input: &Value,
) -> Result<Value, Failure> {
    template_bounded(exec, env, template, input).map(|(v, _)| v)
}

/// [`template`], with an upper bound of the result's size when evaluating found it.
pub(crate) fn template_bounded(
    exec: &mut Execution,
    env: &Env,
    template: &Value,
    input: &Value,
) -> Result<(Value, Option<usize>), Failure> {
    // The plan, the generator and the spare values are borrowed side by side.
    let entropy = &mut exec.rng;
    match exec.plan.template_for(template) {
        Some(compiled) => compiled
            .evaluate_pooled(input, &env.scope(), entropy, &mut exec.spare)
            .map(|(v, bound)| (v, Some(bound))),
        None => expr::template::evaluate(template, input, &env.scope(), entropy).map(|v| (v, None)),
    }
    .map_err(|e| env.expr_failure(e))
}

/// How many dropped results an execution keeps for templates to evaluate into.
const SPARES: usize = 4;

/// Keeps a document nobody else holds for a later template to evaluate into
/// (its strings, arrays and objects are reused when the shapes agree). Only
/// objects are kept, at most [`SPARES`], and only until the execution blocks.
pub(crate) fn recycle(exec: &mut Execution, doc: Payload) {
    if let Ok(v) = Arc::try_unwrap(doc) {
        recycle_value(exec, v);
    }
}

/// [`recycle`] for an owned value.
pub(crate) fn recycle_value(exec: &mut Execution, v: Value) {
    if matches!(&v, Value::Object(m) if !m.is_empty()) {
        if exec.spare.len() == SPARES {
            exec.spare.remove(0);
        }
        exec.spare.push(v);
    }
}

/// Places `result` in `raw` at `ResultPath`: absent or `$` replaces, `null`
/// discards. When the caller gave up its last reference to `raw`, the result is
/// placed without copying the document.
pub(crate) fn result_path(
    plan: &Plan,
    env: &Env,
    field: &Option<PathField>,
    raw: Payload,
    result: Payload,
) -> Result<Payload, Failure> {
    match field {
        None => Ok(result),
        Some(PathField::Null) => Ok(raw),
        Some(PathField::Path(text)) if text == "$" => Ok(result),
        Some(PathField::Path(text)) => {
            let parsed;
            let path = match plan.reference_for(text) {
                Some(p) => p,
                None => {
                    parsed = expr::reference::ReferencePath::parse(text).map_err(|e| {
                        env.runtime(&format!("Invalid path '{text}' : {}", e.message))
                    })?;
                    &parsed
                }
            };
            let doc = Arc::unwrap_or_clone(raw);
            let value = Arc::unwrap_or_clone(result);
            expr::reference::set(doc, path, value)
                .map(Arc::new)
                .map_err(|e| env.expr_failure(e))
        }
    }
}

/// The JSONPath pipeline after a result exists: ResultSelector is the caller's;
/// this does ResultPath, OutputPath and Assign, and holds the output to the
/// payload limit.
///
/// ResultPath writes into the state's input in place when nothing else holds it
/// (the redrive copy of a top-level state's input is let go for the time being);
/// if OutputPath or the limit then fails, the write is undone, so that Retry,
/// Catch and a redrive see the input the state entered with.
pub(crate) fn finish_jsonpath(
    exec: &mut Execution,
    frame: FrameId,
    env: &Env,
    def: &State,
    active: &mut Active,
    result: Payload,
    result_bound: Option<usize>,
) -> Result<(Payload, Option<Map<String, Value>>), Failure> {
    let assigned = assign(exec, frame, env, &def.assign, &result)?;
    let plan = exec.plan.clone();
    let path = match &def.result_path {
        Some(PathField::Path(text)) if text != "$" => plan.reference_for(text),
        _ => None,
    };
    let Some(path) = path else {
        // The input is not written to: it stays as the state entered with it.
        let merged = result_path(&plan, env, &def.result_path, active.input.clone(), result)?;
        let output = select(&plan, env, &def.output_path, &merged)?;
        let bound = match (&def.result_path, &def.output_path) {
            // The output is the result.
            (None, None) => result_bound,
            (Some(PathField::Path(text)), None) if text == "$" => result_bound,
            _ => known_bound(exec, &output),
        };
        output_limit_bounded(exec, &active.name, &output, bound)?;
        recycle(exec, merged);
        return Ok((output, assigned));
    };
    let max = exec.limits.max_payload_bytes;
    let in_bound = known_bound(exec, &active.input);
    let lent = exec.frame(frame).parent.is_none() && exec.lend_redrive_input(&active.input);
    let mut doc = Arc::unwrap_or_clone(std::mem::replace(&mut active.input, null()));
    let result = Arc::unwrap_or_clone(result);
    let result_bound =
        in_bound.map(|_| result_bound.unwrap_or_else(|| crate::limits::upper_bound(&result, max)));
    let previous = match expr::reference::set_in_place(&mut doc, path, result) {
        Ok(previous) => previous,
        Err(e) => {
            active.input = Arc::new(doc);
            if lent {
                exec.return_redrive_input(&active.input);
            }
            return Err(env.expr_failure(e));
        }
    };
    // The output's size bound follows from the input's: the result is added and
    // the replaced member is not taken off (that would walk it too), so the bound
    // grows along a chain until it passes the limit and is measured again.
    let bound = match (
        in_bound,
        result_bound,
        previous.replaced(),
        &def.output_path,
    ) {
        (Some(input), Some(result), Some(_), None) if result <= max => Some(input + result),
        _ => None,
    };
    let merged = Arc::new(doc);
    let checked = select(&plan, env, &def.output_path, &merged).and_then(|output| {
        output_limit_bounded(exec, &active.name, &output, bound).map(|()| output)
    });
    match checked {
        Ok(output) => {
            if let Some(old) = previous.into_replaced() {
                recycle_value(exec, old);
            }
            recycle(exec, merged);
            Ok((output, assigned))
        }
        Err(failure) => {
            let mut doc = Arc::unwrap_or_clone(merged);
            expr::reference::restore(&mut doc, path, previous);
            active.input = Arc::new(doc);
            if lent {
                exec.return_redrive_input(&active.input);
            }
            Err(failure)
        }
    }
}

/// A shared `null`, for a payload that has been handed on.
pub(crate) fn null() -> Payload {
    static NULL: std::sync::LazyLock<Payload> = std::sync::LazyLock::new(|| Arc::new(Value::Null));
    NULL.clone()
}

/// `States.DataLimitExceeded` when a state's output is over the payload limit.
pub(crate) fn output_limit(
    exec: &mut Execution,
    state: &str,
    output: &Payload,
) -> Result<(), Failure> {
    let bound = known_bound(exec, output);
    output_limit_bounded(exec, state, output, bound)
}

/// The size bound of `doc` when it is the document checked last (the usual case:
/// a state's input is the output its predecessor was checked with).
pub(crate) fn known_bound(exec: &Execution, doc: &Payload) -> Option<usize> {
    match &exec.checked {
        // The weak reference keeps the allocation, so an equal address is this document.
        Some((checked, bound)) if std::ptr::eq(checked.as_ptr(), Arc::as_ptr(doc)) => Some(*bound),
        _ => None,
    }
}

/// [`output_limit`] given an upper bound of the output's size when one is known,
/// so that a large document is not walked again at every state. The bound found
/// is remembered with the output.
fn output_limit_bounded(
    exec: &mut Execution,
    state: &str,
    output: &Payload,
    bound: Option<usize>,
) -> Result<(), Failure> {
    let max = exec.limits.max_payload_bytes;
    let bound = match bound {
        Some(b) if b <= max => b,
        _ => crate::limits::upper_bound(output, max),
    };
    if bound <= max {
        exec.checked = Some((Arc::downgrade(output), bound));
    } else if crate::limits::serialises_over(output, max) {
        return Err(Failure::new(
            "States.DataLimitExceeded",
            format!(
                "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
            ),
            Origin::State,
        ));
    }
    Ok(())
}

/// Evaluates `Assign` against `input` and stores the variables in the frame's scope;
/// returns them for the history (`assignedVariables`).
pub(crate) fn assign(
    exec: &mut Execution,
    frame: FrameId,
    env: &Env,
    assign: &Option<Value>,
    input: &Value,
) -> Result<Option<Map<String, Value>>, Failure> {
    let Some(template) = assign else {
        return Ok(None);
    };
    let value = match env.language {
        QueryLanguage::JsonPath => self::template(exec, env, template, input)?,
        QueryLanguage::Jsonata => {
            crate::jsonata::evaluate_template(exec, env, template, input, "Assign")?
        }
    };
    let Value::Object(vars) = value else {
        return Err(env.runtime("The Assign field must be a JSON object."));
    };
    if vars.is_empty() {
        return Ok(None);
    }
    store(exec, frame, env, &vars)?;
    Ok(Some(vars))
}

/// Stores assigned variables in the frame's scope; over a size limit, nothing is
/// stored and the state fails with `States.DataLimitExceeded`.
pub(crate) fn store(
    exec: &mut Execution,
    frame: FrameId,
    env: &Env,
    vars: &Map<String, Value>,
) -> Result<(), Failure> {
    exec.frame(frame)
        .vars
        .assign(vars, env.state)
        .map_err(|e| Failure::new("States.DataLimitExceeded", e.0, Origin::State))
}

/// The output a Catch passes on, and the variables it assigns.
pub(crate) fn catch_output(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    catcher: &Catcher,
    active: &Active,
    failure: &Failure,
) -> Result<(Payload, Option<Map<String, Value>>), Failure> {
    let env = Env::new(exec, frame, def, active);
    let error_output = Arc::new(failure.error_output());
    match env.language {
        QueryLanguage::JsonPath => {
            let assigned = assign(exec, frame, &env, &catcher.assign, &error_output)?;
            let output = result_path(
                &exec.plan,
                &env,
                &catcher.result_path,
                active.input.clone(),
                error_output,
            )?;
            Ok((output, assigned))
        }
        QueryLanguage::Jsonata => {
            crate::jsonata::catch_output(exec, frame, &env, catcher, active, error_output)
        }
    }
}
