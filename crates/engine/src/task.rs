//! Task states: schedule the work as a command, then fold its outcome back into
//! the data flow. The resource ARN decides which history events AWS records
//! (`Task*` for service integrations, `LambdaFunction*` for bare function ARNs,
//! `Activity*` for activities).

use std::sync::Arc;

use asl::{Dynamic, QueryLanguage, State, Task};
use serde_json::Value;

use crate::dataflow::{self, Env};
use crate::event::{ErrorDetails, EventDetails, Payload};
use crate::execution::{Active, Command, Execution, FrameId, Step, TaskRequest, TimerPurpose};
use crate::failure::{Failure, Origin};
use crate::jsonata;

/// How a resource ARN is invoked, which decides the history events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// `arn:aws:states:::<service>:<action>`: `resourceType` and `resource` as AWS
    /// splits them (`lambda` / `invoke`, `aws-sdk:s3` / `getObject`).
    Service {
        resource_type: String,
        resource: String,
    },
    /// `arn:aws:lambda:…:function:…`.
    LambdaFunction,
    /// `arn:aws:states:…:activity:…`.
    Activity,
}

impl ResourceKind {
    pub fn of(arn: &str) -> ResourceKind {
        // The six parts of an ARN, without a Vec (this runs for every task).
        let mut parts = [""; 6];
        let mut n = 0;
        for (slot, part) in parts.iter_mut().zip(arn.splitn(6, ':')) {
            *slot = part;
            n += 1;
        }
        match &parts[..n] {
            [_, _, "lambda", _, _, rest] if rest.starts_with("function:") => {
                ResourceKind::LambdaFunction
            }
            [_, _, "states", _, _, rest] if rest.starts_with("activity:") => ResourceKind::Activity,
            [_, _, "states", "", "", rest] => {
                let (resource_type, resource) = match rest.strip_prefix("aws-sdk:") {
                    Some(sdk) => match sdk.split_once(':') {
                        Some((service, action)) => {
                            (format!("aws-sdk:{service}"), action.to_string())
                        }
                        None => ("aws-sdk".to_string(), sdk.to_string()),
                    },
                    None => match rest.split_once(':') {
                        Some((service, action)) => (service.to_string(), action.to_string()),
                        None => (rest.to_string(), String::new()),
                    },
                };
                ResourceKind::Service {
                    resource_type,
                    resource,
                }
            }
            _ => ResourceKind::Service {
                resource_type: String::new(),
                resource: arn.to_string(),
            },
        }
    }
}

/// A task waiting for its outcome.
#[derive(Debug)]
pub(crate) struct Pending {
    pub active: Active,
    pub task: u64,
    pub kind: ResourceKind,
    pub timeout_timer: Option<u64>,
    /// HeartbeatSeconds and the timer currently armed for it.
    pub heartbeat: Option<(u64, u64)>,
    /// A worker took the activity task (`ActivityStarted` is recorded).
    pub started: bool,
}

/// What the integration reported.
#[derive(Debug)]
pub(crate) enum Outcome {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// `States.Timeout` or `States.HeartbeatTimeout`.
    TimedOut(&'static str),
}

fn seconds_field(
    exec: &mut Execution,
    env: &Env,
    field: &Option<Dynamic<u64>>,
    name: &str,
    input: &Value,
) -> Result<Option<u64>, Failure> {
    Ok(match field {
        None => None,
        Some(Dynamic::Literal(s)) => Some(*s),
        Some(Dynamic::Path(text)) => {
            let path = dataflow::parse_path(env, text)?;
            let v = path
                .evaluate(input, &env.scope())
                .map_err(|e| env.runtime(&format!("Invalid path '{text}' : {}", e.message)))?;
            Some(v.as_u64().ok_or_else(|| {
                env.runtime(&format!(
                    "The {name}Path parameter does not reference a positive integer: {text}"
                ))
            })?)
        }
        Some(Dynamic::Jsonata(text)) => {
            let v = jsonata::evaluate(exec, env, text, input, name)?;
            Some(v.as_u64().ok_or_else(|| {
                jsonata::query_error_at(
                    env,
                    name,
                    &format!(
                        "The JSONata expression '{}' specified for the field '{name}' returned an unexpected result type. Expected 'integer', but was '{}' for value: {}",
                        jsonata::strip(text),
                        jsonata::type_name(&v),
                        crate::event::payload_text(&v)
                    ),
                )
            })?)
        }
    })
}

/// Evaluates the task's parameters and issues the invocation.
pub(crate) fn schedule(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    task: &Task,
    active: Active,
) -> Result<(), Box<(Active, Failure)>> {
    match prepare(exec, frame, def, task, &active) {
        Ok(s) => {
            exec.frame_mut(frame).step = Step::Task(Box::new(Pending {
                active,
                task: s.task,
                kind: s.kind,
                timeout_timer: s.timeout_timer,
                heartbeat: s.heartbeat,
                started: false,
            }));
            Ok(())
        }
        Err(f) => Err(Box::new((active, f))),
    }
}

fn prepare(
    exec: &mut Execution,
    frame: FrameId,
    def: &State,
    task: &Task,
    active: &Active,
) -> Result<Scheduled, Failure> {
    let kind = exec.plan.resource_kind(&task.resource);
    if kind == ResourceKind::Activity && exec.info.missing_activities.contains(&task.resource) {
        let env = Env::with(exec, frame, def, active, None, None);
        return Err(env.runtime(&format!("The activity {} does not exist.", task.resource)));
    }
    // Activities get a token too: the worker answers with it.
    let token = (task.resource.ends_with(".waitForTaskToken") || kind == ResourceKind::Activity)
        .then(|| {
            if exec.info().time_ordered_tokens {
                let now = exec.now;
                exec.entropy().uuid_v7(now)
            } else {
                exec.entropy().uuid()
            }
        });
    let env = Env::with(exec, frame, def, active, token.as_deref(), None);
    // JSONPath reads the timeouts' paths from the effective input; JSONata's
    // expressions see the state's input as `$states.input`.
    let effective = match env.language {
        QueryLanguage::JsonPath => {
            dataflow::select(&exec.plan, &env, &def.input_path, &active.input)?
        }
        QueryLanguage::Jsonata => active.input.clone(),
    };
    let timeout = seconds_field(
        exec,
        &env,
        &task.timeout_seconds,
        "TimeoutSeconds",
        &effective,
    )?;
    let heartbeat = seconds_field(
        exec,
        &env,
        &task.heartbeat_seconds,
        "HeartbeatSeconds",
        &effective,
    )?;
    let parameters = match (env.language, &def.parameters, &def.arguments) {
        (QueryLanguage::JsonPath, Some(t), _) => {
            Arc::new(dataflow::template(exec, &env, t, &effective)?)
        }
        (QueryLanguage::Jsonata, _, Some(t)) => Arc::new(jsonata::evaluate_template(
            exec,
            &env,
            t,
            &active.input,
            "Arguments",
        )?),
        _ => effective,
    };
    let scheduled = match &kind {
        ResourceKind::Service {
            resource_type,
            resource,
        } => {
            let id = exec.emit(
                frame,
                EventDetails::TaskScheduled {
                    resource: resource.clone(),
                    resource_type: resource_type.clone(),
                    region: exec.info.region.clone(),
                    parameters: parameters.clone(),
                    timeout_in_seconds: timeout,
                    heartbeat_in_seconds: heartbeat,
                },
            );
            exec.emit_with(frame, || EventDetails::TaskStarted {
                resource: resource.clone(),
                resource_type: resource_type.clone(),
            });
            id
        }
        ResourceKind::LambdaFunction => {
            let id = exec.emit_with(frame, || EventDetails::LambdaFunctionScheduled {
                resource: task.resource.clone(),
                input: parameters.clone(),
                timeout_in_seconds: timeout,
            });
            exec.emit(frame, EventDetails::LambdaFunctionStarted);
            id
        }
        ResourceKind::Activity => exec.emit_with(frame, || EventDetails::ActivityScheduled {
            resource: task.resource.clone(),
            input: parameters.clone(),
            timeout_in_seconds: timeout,
            heartbeat_in_seconds: heartbeat,
        }),
    };
    let timeout_timer = timeout.map(|secs| {
        let timer = exec.new_timer(TimerPurpose::TaskTimeout { task: scheduled });
        exec.out.commands.push(Command::StartTimer {
            timer,
            fire_at: exec.now.saturating_add((secs as i64).saturating_mul(1000)),
        });
        timer
    });
    exec.tasks.insert(scheduled, frame);
    exec.out.commands.push(Command::InvokeTask(TaskRequest {
        task: scheduled,
        state_name: active.name.clone(),
        resource: task.resource.clone(),
        parameters: Arc::unwrap_or_clone(parameters),
        timeout_seconds: timeout,
        heartbeat_seconds: heartbeat,
        task_token: token,
        caller: Some(Arc::clone(&exec.caller)),
    }));
    let heartbeat = heartbeat.map(|secs| (secs, arm_heartbeat(exec, scheduled, secs)));
    Ok(Scheduled {
        task: scheduled,
        kind,
        timeout_timer,
        heartbeat,
    })
}

/// What scheduling a task set up, before the state's `Active` joins it.
struct Scheduled {
    task: u64,
    kind: ResourceKind,
    timeout_timer: Option<u64>,
    heartbeat: Option<(u64, u64)>,
}

fn arm_heartbeat(exec: &mut Execution, task: u64, secs: u64) -> u64 {
    let timer = exec.new_timer(TimerPurpose::TaskHeartbeat { task });
    exec.out.commands.push(Command::StartTimer {
        timer,
        fire_at: exec.now.saturating_add((secs as i64).saturating_mul(1000)),
    });
    timer
}

fn cancel_timer(exec: &mut Execution, timer: u64) {
    if exec.timers.remove(&timer).is_some() {
        exec.out.commands.push(Command::CancelTimer { timer });
    }
}

/// Records `TaskSubmitted`; the task stays pending until its outcome arrives.
pub(crate) fn submitted(exec: &mut Execution, frame: FrameId, task: u64, output: Value) {
    let Step::Task(pending) = &exec.frame(frame).step else {
        return;
    };
    if pending.task != task {
        return;
    }
    if let ResourceKind::Service {
        resource_type,
        resource,
    } = pending.kind.clone()
    {
        exec.emit(
            frame,
            EventDetails::TaskSubmitted {
                resource,
                resource_type,
                output: Arc::new(output),
            },
        );
    }
}

/// Records `ActivityStarted` once, when a worker takes a pending activity task.
pub(crate) fn started(
    exec: &mut Execution,
    frame: FrameId,
    task: u64,
    worker_name: Option<String>,
) {
    let Step::Task(pending) = &mut exec.frame_mut(frame).step else {
        return;
    };
    if pending.task != task || pending.started || pending.kind != ResourceKind::Activity {
        return;
    }
    pending.started = true;
    exec.emit(frame, EventDetails::ActivityStarted { worker_name });
}

/// Restarts the heartbeat clock of a pending task.
pub(crate) fn heartbeat(exec: &mut Execution, frame: FrameId, task: u64) {
    let Step::Task(pending) = &exec.frame(frame).step else {
        return;
    };
    let Some((secs, old)) = pending.heartbeat.filter(|_| pending.task == task) else {
        return;
    };
    cancel_timer(exec, old);
    let timer = arm_heartbeat(exec, task, secs);
    if let Step::Task(pending) = &mut exec.frame_mut(frame).step {
        pending.heartbeat = Some((secs, timer));
    }
}

/// Folds a task's outcome into its state.
pub(crate) fn complete(exec: &mut Execution, frame: FrameId, task: u64, outcome: Outcome) {
    let step = std::mem::replace(&mut exec.frame_mut(frame).step, Step::Done);
    let Step::Task(pending) = step else {
        exec.frame_mut(frame).step = step;
        return;
    };
    if pending.task != task {
        exec.frame_mut(frame).step = Step::Task(pending);
        return;
    }
    let Pending {
        mut active,
        kind,
        timeout_timer,
        started,
        ..
    } = *pending;
    if let Some(timer) = timeout_timer
        && exec.timers.remove(&timer).is_some()
    {
        exec.out.commands.push(Command::CancelTimer { timer });
    }
    let node = exec.frame(frame).node.clone();
    let Some(def) = node.state(&active.name) else {
        return;
    };
    let asl::StateKind::Task(task_def) = &def.kind else {
        return;
    };
    match outcome {
        Outcome::Succeeded(output) => {
            if crate::limits::exceeds(&output, exec.limits.max_payload_bytes) {
                let failure = Failure::new(
                    "States.DataLimitExceeded",
                    format!(
                        "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                        task_def.resource
                    ),
                    Origin::State,
                );
                exec.state_failed(frame, def, active, failure);
                return;
            }
            let output = Arc::new(output);
            record_success(exec, frame, &kind, started, output.clone());
            match crate::states::complete(exec, frame, def, &mut active, output) {
                Ok(()) => {}
                Err(f) => exec.state_failed(frame, def, active, f),
            }
        }
        Outcome::Failed { error, cause } => {
            // An empty error or cause is no error or cause: AWS omits both.
            let error = error.filter(|e| !e.is_empty());
            let cause = cause.filter(|c| !c.is_empty());
            let details = ErrorDetails {
                error: error.clone(),
                cause: cause.clone(),
            };
            let event = match &kind {
                ResourceKind::Service {
                    resource_type,
                    resource,
                } => EventDetails::TaskFailed {
                    resource: resource.clone(),
                    resource_type: resource_type.clone(),
                    error: details,
                },
                ResourceKind::LambdaFunction => EventDetails::LambdaFunctionFailed(details),
                ResourceKind::Activity => EventDetails::ActivityFailed(details),
            };
            exec.emit(frame, event);
            let failure = Failure {
                error,
                cause,
                origin: Origin::Task,
                evaluation: None,
            };
            exec.state_failed(frame, def, active, failure);
        }
        Outcome::TimedOut(name) => {
            let details = ErrorDetails {
                error: Some(name.into()),
                cause: None,
            };
            let event = match &kind {
                ResourceKind::Service {
                    resource_type,
                    resource,
                } => EventDetails::TaskTimedOut {
                    resource: resource.clone(),
                    resource_type: resource_type.clone(),
                    error: details,
                },
                ResourceKind::LambdaFunction => EventDetails::LambdaFunctionTimedOut(details),
                ResourceKind::Activity => EventDetails::ActivityTimedOut(details),
            };
            exec.emit(frame, event);
            exec.out.commands.push(Command::CancelTask { task });
            let failure = Failure {
                error: Some(name.into()),
                cause: None,
                origin: Origin::Task,
                evaluation: None,
            };
            exec.state_failed(frame, def, active, failure);
        }
    }
}

/// A success of an activity no worker was seen taking (a mock) records its
/// `ActivityStarted` first, as every real one has.
fn record_success(
    exec: &mut Execution,
    frame: FrameId,
    kind: &ResourceKind,
    started: bool,
    output: Payload,
) {
    let event = match kind {
        ResourceKind::Service {
            resource_type,
            resource,
        } => EventDetails::TaskSucceeded {
            resource: resource.clone(),
            resource_type: resource_type.clone(),
            output,
        },
        ResourceKind::LambdaFunction => EventDetails::LambdaFunctionSucceeded { output },
        ResourceKind::Activity => {
            if !started {
                exec.emit(frame, EventDetails::ActivityStarted { worker_name: None });
            }
            EventDetails::ActivitySucceeded { output }
        }
    };
    exec.emit(frame, event);
}
