//! The states that finish within one step: Pass, Choice, Succeed, Fail, and Wait's
//! two halves (arming the timer, leaving when it fires).

use std::sync::Arc;

use asl::{Choice, Dynamic, Fail, Pass, QueryLanguage, State, Wait};
use serde_json::{Map, Value};

use crate::dataflow::{self, Env};
use crate::event::{EventDetails, Payload};
use crate::execution::{Active, Command, Execution, FrameId, TimerPurpose};
use crate::failure::{Failure, Origin, prefixed};
use crate::jsonata;

/// Holds the output to the payload limit, records `…StateExited` and moves on.
pub(crate) fn exit(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    active: &Active,
    output: Payload,
    assigned: Option<Map<String, Value>>,
) -> Result<(), Failure> {
    dataflow::output_limit(exec, &active.name, &output)?;
    exit_checked(exec, frame, def, output, assigned, String::new());
    Ok(())
}

/// [`exit`] for an output already held to the limit; `name` is a buffer for the
/// next state's name.
fn exit_checked(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    output: Payload,
    assigned: Option<Map<String, Value>>,
    name: String,
) {
    exec.emit_with(frame, || EventDetails::StateExited {
        state_type: def.kind.type_name(),
        name: def.name.clone(),
        output: output.clone(),
        assigned_variables: assigned,
    });
    exec.transition(frame, def, output, name);
}

pub(crate) fn pass(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    pass: &Pass,
    active: &mut Active,
) -> Result<(), Failure> {
    let env = Env::new(exec, frame, def, active);
    match env.language {
        QueryLanguage::JsonPath => {
            // The effective input is dropped before ResultPath, which can then
            // place the result without copying the state's input.
            let (result, bound) = {
                let effective = dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?;
                if let Some(result) = &pass.result {
                    (Arc::new(result.clone()), None)
                } else if let Some(params) = &def.parameters {
                    let (v, bound) = dataflow::template_bounded(exec, &env, params, &effective)?;
                    (Arc::new(v), bound)
                } else {
                    (effective, None)
                }
            };
            let (output, assigned) =
                dataflow::finish_jsonpath(exec, frame, &env, def, active, result, bound)?;
            // The state is done with its name and its input: the next state's name
            // goes into the buffer, and a later template may reuse the input.
            let name = std::mem::take(&mut active.name);
            exit_checked(exec, frame, def, output, assigned, name);
            dataflow::recycle(exec, std::mem::replace(&mut active.input, dataflow::null()));
            Ok(())
        }
        QueryLanguage::Jsonata => {
            let (output, assigned) = jsonata::finish(exec, frame, &env, def, &active.input, None)?;
            exit(exec, frame, def, active, output, assigned)
        }
    }
}

pub(crate) fn choice(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    choice: &Choice,
    active: &Active,
) -> Result<(), Failure> {
    let env = Env::new(exec, frame, def, active);
    let effective = match env.language {
        QueryLanguage::JsonPath => {
            dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?
        }
        QueryLanguage::Jsonata => active.input.clone(),
    };
    let mut chosen = None;
    for branch in &choice.choices {
        let matched = match (&branch.condition, env.language) {
            (asl::Condition::Jsonata(text), _) => {
                jsonata::condition(exec, &env, text, &active.input)?
            }
            (condition, _) => expr::choice::evaluate(condition, &effective, &env.scope())
                .map_err(|e| env.expr_failure(e))?,
        };
        if matched {
            chosen = Some(branch);
            break;
        }
    }
    let (next, assign, output_template) = match chosen {
        Some(b) => (b.next.clone(), &b.assign, &b.output),
        None => match &choice.default {
            Some(d) => (d.clone(), &def.assign, &def.output),
            None => {
                return Err(Failure::new(
                    "States.NoChoiceMatched",
                    prefixed(
                        &active.name,
                        active.entered_id,
                        &format!(
                            "No Choice Rules matched the input and no Default was specified for state '{}'",
                            active.name
                        ),
                    ),
                    Origin::State,
                ));
            }
        },
    };
    let (output, assigned) = match env.language {
        QueryLanguage::JsonPath => {
            let assigned = dataflow::assign(exec, frame, &env, assign, &effective)?;
            (
                dataflow::select(&exec.plan, &env, &def.output_path, &effective)?,
                assigned,
            )
        }
        QueryLanguage::Jsonata => {
            jsonata::choice_output(exec, frame, &env, &active.input, assign, output_template)?
        }
    };
    exec.emit_with(frame, || EventDetails::StateExited {
        state_type: "Choice",
        name: active.name.clone(),
        output: output.clone(),
        assigned_variables: assigned,
    });
    exec.frame_mut(frame).step = crate::execution::Step::Enter {
        state: next,
        input: output,
    };
    Ok(())
}

pub(crate) fn succeed(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    active: &Active,
) -> Result<(), Failure> {
    let env = Env::new(exec, frame, def, active);
    let (output, _) = match env.language {
        QueryLanguage::JsonPath => {
            let effective = dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?;
            (
                dataflow::select(&exec.plan, &env, &def.output_path, &effective)?,
                None,
            )
        }
        QueryLanguage::Jsonata => jsonata::finish(exec, frame, &env, def, &active.input, None)?,
    };
    exec.emit_with(frame, || EventDetails::StateExited {
        state_type: "Succeed",
        name: active.name.clone(),
        output: output.clone(),
        assigned_variables: None,
    });
    exec.frame_succeeded(frame, output);
    Ok(())
}

pub(crate) fn fail(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    fail: &Fail,
    active: &Active,
) -> Result<(), Failure> {
    let env = Env::new(exec, frame, def, active);
    let error = fail_field(exec, &env, &fail.error, "Error", &active.input)?;
    let cause = fail_field(exec, &env, &fail.cause, "Cause", &active.input)?;
    exec.frame_failed(
        frame,
        Failure {
            error,
            cause,
            origin: Origin::State,
            evaluation: None,
        },
    );
    Ok(())
}

fn fail_field(
    exec: &mut Execution,
    env: &Env,
    field: &Option<Dynamic<String>>,
    name: &str,
    input: &Payload,
) -> Result<Option<String>, Failure> {
    Ok(match field {
        None => None,
        Some(Dynamic::Literal(s)) => Some(s.clone()),
        Some(Dynamic::Path(text)) => {
            let value = if text.starts_with("States.") {
                expr::intrinsics::evaluate(text, input, &env.scope(), exec.entropy())
                    .map_err(|e| env.expr_failure(e))?
            } else {
                let path = dataflow::parse_path(env, text)?;
                path.evaluate(input, &env.scope()).map_err(|_| {
                    env.runtime(&format!(
                        "The JSONPath '{text}' specified for the field '{name}Path' could not be found in the input '{}'",
                        crate::event::payload_text(input)
                    ))
                })?
            };
            Some(crate::event::display_text(&value))
        }
        Some(Dynamic::Jsonata(text)) => {
            let v = jsonata::evaluate(exec, env, text, input, name)?;
            Some(crate::event::display_text(&v))
        }
    })
}

/// Arms the Wait state's timer; `None` when there is nothing to wait for.
pub(crate) fn wait(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    wait: &Wait,
    active: &Active,
) -> Result<Option<u64>, Failure> {
    let env = Env::new(exec, frame, def, active);
    let effective = match env.language {
        QueryLanguage::JsonPath => {
            dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?
        }
        QueryLanguage::Jsonata => active.input.clone(),
    };
    let until = match wait {
        Wait::Seconds(d) => {
            let seconds = match d {
                Dynamic::Literal(s) => *s,
                Dynamic::Path(text) => seconds_path(&env, text, &effective)?,
                Dynamic::Jsonata(text) => {
                    let v = jsonata::evaluate(exec, &env, text, &effective, "Seconds")?;
                    match v.as_i64() {
                        Some(s) if s >= 0 => s,
                        _ => {
                            return Err(jsonata::query_error_at(
                                &env,
                                "Seconds",
                                &format!(
                                    "The JSONata expression '{}' specified for the field 'Seconds' returned an unexpected result type. Expected 'integer', but was '{}' for value: {}",
                                    jsonata::strip(text),
                                    jsonata::type_name(&v),
                                    crate::event::payload_text(&v)
                                ),
                            ));
                        }
                    }
                }
            };
            if seconds > 99_999_999 {
                return Err(env.runtime("Wait state delay is too long."));
            }
            exec.now.saturating_add(seconds.saturating_mul(1000))
        }
        Wait::Timestamp(d) => match d {
            Dynamic::Literal(text) => crate::time::parse_timestamp(text).ok_or_else(|| {
                env.runtime(&format!(
                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                ))
            })?,
            Dynamic::Path(text) => timestamp_path(&env, text, &effective)?,
            Dynamic::Jsonata(text) => {
                let v = jsonata::evaluate(exec, &env, text, &effective, "Timestamp")?;
                let s = v.as_str().map(str::to_string).unwrap_or_else(|| crate::event::payload_text(&v));
                crate::time::parse_timestamp(&s).ok_or_else(|| {
                    jsonata::query_error_at(
                        &env,
                        "Timestamp",
                        &format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {s}"
                        ),
                    )
                })?
            }
        },
    };
    if until <= exec.now {
        return Ok(None);
    }
    let timer = exec.new_timer(TimerPurpose::Frame(frame));
    exec.out.commands.push(Command::StartTimer {
        timer,
        fire_at: until,
    });
    Ok(Some(timer))
}

/// The value a Wait's `…Path` field points at, and its text as AWS quotes it.
fn wait_path_value(
    env: &Env,
    field: &str,
    text: &str,
    input: &Value,
) -> Result<(Value, String), Failure> {
    let path = dataflow::parse_path(env, text)?;
    let value = path.evaluate(input, &env.scope()).map_err(|_| {
        env.runtime(&format!(
            "The {field} parameter does not reference an input value: {text}"
        ))
    })?;
    let shown = crate::event::display_text(&value);
    Ok((value, shown))
}

fn seconds_path(env: &Env, text: &str, input: &Value) -> Result<i64, Failure> {
    let (value, shown) = wait_path_value(env, "SecondsPath", text, input)?;
    let seconds = value.as_i64().ok_or_else(|| {
        env.runtime(&format!(
            "The SecondsPath parameter cannot be parsed as a long value: {text} == {shown}"
        ))
    })?;
    if seconds < 0 {
        return Err(env.runtime(&format!(
            "The SecondsPath parameter references a negative value: {text} == {shown}"
        )));
    }
    Ok(seconds)
}

fn timestamp_path(env: &Env, text: &str, input: &Value) -> Result<i64, Failure> {
    let (value, shown) = wait_path_value(env, "TimestampPath", text, input)?;
    value
        .as_str()
        .and_then(crate::time::parse_timestamp)
        .ok_or_else(|| {
            env.runtime(&format!(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {text} == {shown}"
            ))
        })
}

/// Leaves a Wait state once its time has come.
pub(crate) fn finish_wait(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    active: &Active,
) -> Result<(), Failure> {
    let env = Env::new(exec, frame, def, active);
    let (output, assigned) = match env.language {
        QueryLanguage::JsonPath => {
            let effective = dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?;
            let assigned = dataflow::assign(exec, frame, &env, &def.assign, &effective)?;
            (
                dataflow::select(&exec.plan, &env, &def.output_path, &effective)?,
                assigned,
            )
        }
        QueryLanguage::Jsonata => jsonata::finish(exec, frame, &env, def, &active.input, None)?,
    };
    exit(exec, frame, def, active, output, assigned)
}

/// Completes a state that produced a result (Task, Parallel, Map): ResultSelector,
/// ResultPath, OutputPath and Assign, or JSONata's Output and Assign; then moves on.
pub(crate) fn complete(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    active: &mut Active,
    result: Payload,
) -> Result<(), Failure> {
    let env = Env::new(exec, frame, def, active);
    match env.language {
        QueryLanguage::JsonPath => {
            let (selected, bound) = match &def.result_selector {
                Some(t) => {
                    let (v, bound) = dataflow::template_bounded(exec, &env, t, &result)?;
                    (Arc::new(v), bound)
                }
                None => (result, None),
            };
            let (output, assigned) =
                dataflow::finish_jsonpath(exec, frame, &env, def, active, selected, bound)?;
            exit_checked(exec, frame, def, output, assigned, String::new());
            Ok(())
        }
        QueryLanguage::Jsonata => {
            let (output, assigned) =
                jsonata::finish(exec, frame, &env, def, &active.input, Some(&result))?;
            exit(exec, frame, def, active, output, assigned)
        }
    }
}
