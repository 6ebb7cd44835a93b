//! TestState: one state run on its own, with AWS's status (`SUCCEEDED`, `FAILED`,
//! `RETRIABLE`, `CAUGHT_ERROR`), next state and inspection data.
//!
//! The state runs in a real [`Execution`] of a small wrapper machine: the state
//! (named `StateName`, as AWS names it), a `Succeed` stand-in for each state it
//! can go to, and, when variables are given, a `Pass` before it that sets them.
//! A given context object replaces the one the engine would build. Retry is left to this module (TestState reports a retry
//! rather than waiting it out); Catch, the data flow and the state's work are the
//! engine's own. A mocked Map or Parallel runs as a Task whose result is the mock.

use std::sync::Arc;

use asl::{QueryLanguage, State, StateKind};
use serde_json::{Map, Value, json};

use crate::TaskRequest;
use crate::dataflow::{self, Env};
use crate::event::{EventDetails, HistoryEvent};
use crate::execution::{Active, Command, Execution, ExecutionInfo, Input, Limits, Status};
use crate::failure::{Failure, Origin};
use crate::plan::Plan;
use crate::simulate::TaskOutcome;

/// The name AWS gives the state under test.
pub const STATE_NAME: &str = "StateName";
const SEED_NAME: &str = "StepwiseTestStateInput";
const MOCK_RESOURCE: &str = "arn:aws:lambda:us-east-1:123456789012:function:StepwiseTestStateMock";

/// How much of the data flow the answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspection {
    Info,
    Debug,
    Trace,
}

/// A mocked result of the state's work.
#[derive(Debug, Clone, PartialEq)]
pub enum Mock {
    Result(Value),
    Error {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// TestState's parameters, parsed.
#[derive(Debug, Clone)]
pub struct Request {
    /// A state, or a whole state machine with `state_name`.
    pub definition: Value,
    pub state_name: Option<String>,
    pub input: Value,
    pub inspection: Inspection,
    pub mock: Option<Mock>,
    pub variables: Option<Map<String, Value>>,
    pub context: Option<Value>,
    /// `stateConfiguration.retrierRetryCount`: retries already made.
    pub retrier_retry_count: u32,
    /// `stateConfiguration.mapIterationFailureCount`.
    pub map_iteration_failure_count: Option<u64>,
    pub role_arn: Option<String>,
    pub region: String,
    pub account: String,
    /// The machine and execution names the context shows.
    pub machine_name: String,
    pub execution_name: String,
    pub now: i64,
    pub seed: u64,
}

/// TestState's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    pub status: &'static str,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub next_state: Option<String>,
    pub inspection: Option<Map<String, Value>>,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// `InvalidDefinition` with AWS's message.
    InvalidDefinition(String),
    /// `ValidationException` with AWS's message.
    Validation(String),
}

/// A TestState in progress: either done, or waiting for the state's task.
pub struct TestRun {
    exec: Execution,
    def: State,
    req: Request,
    events: Vec<HistoryEvent>,
    task: Option<TaskRequest>,
    result: Option<Value>,
}

/// What the caller does next.
pub enum Step {
    /// The state's task needs a real integration: invoke it, then [`TestRun::finish`].
    Invoke(TaskRequest, Box<TestRun>),
    Done(Response),
}

/// Starts a TestState: checks the request against the definition and runs the
/// state until it ends or needs its task invoked.
pub fn start(req: Request) -> Result<Step, Refusal> {
    let (state, language, targets) = pick_state(&req)?;
    let type_name = state.get("Type").and_then(Value::as_str).unwrap_or("");
    let fanout = matches!(type_name, "Map" | "Parallel");
    match (&req.mock, type_name) {
        (Some(_), "Pass" | "Wait" | "Choice" | "Succeed" | "Fail") => {
            return Err(Refusal::Validation(format!(
                "State type '{type_name}' is not supported when a mock is specified"
            )));
        }
        (None, "Map" | "Parallel") => {
            return Err(Refusal::InvalidDefinition(
                "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]".into(),
            ));
        }
        _ => {}
    }
    if let (Some(Mock::Result(r)), true) = (&req.mock, fanout) {
        check_fanout_mock(&state, type_name, r, req.map_iteration_failure_count)?;
    }
    // The state as written (its retriers included) is what the answer
    // describes; the machine that runs has no retriers.
    let (full, diagnostics) =
        asl::parse(&wrapper(&req, &state, language.clone(), &targets, false, true).to_string());
    if full.is_none() {
        return Err(Refusal::InvalidDefinition(definition_error(&diagnostics)));
    }
    let text = wrapper(&req, &state, language, &targets, fanout, false).to_string();
    let (definition, diagnostics) = asl::parse(&text);
    let Some(definition) = definition else {
        return Err(Refusal::InvalidDefinition(definition_error(&diagnostics)));
    };
    let def = full
        .as_ref()
        .unwrap_or(&definition)
        .graph
        .states
        .get(STATE_NAME)
        .cloned()
        .ok_or_else(|| Refusal::Validation("State not found in definition".into()))?;
    let mut plan = Plan::new(definition);
    if let Some(p) = Arc::get_mut(&mut plan) {
        p.fixed_context = req.context.clone();
    }
    let machine_arn = format!(
        "arn:aws:states:{}:{}:stateMachine:{}",
        req.region, req.account, req.machine_name
    );
    let info = ExecutionInfo {
        execution_arn: format!(
            "arn:aws:states:{}:{}:express:{}:{}",
            req.region, req.account, req.machine_name, req.execution_name
        ),
        name: req.execution_name.clone(),
        state_machine_arn: machine_arn,
        state_machine_name: req.machine_name.clone(),
        role_arn: req.role_arn.clone().unwrap_or_default(),
        region: req.region.clone(),
        account: req.account.clone(),
        redrive_count: 0,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        input_text: None,
        seed: req.seed,
        time_ordered_tokens: false,
        missing_activities: Vec::new(),
    };
    let exec_input = req.input.clone();
    let limits = Limits {
        keep_events: true,
        ..Limits::default()
    };
    let (exec, first) = Execution::start(plan, info, exec_input, limits, req.now);
    let run = TestRun {
        exec,
        def,
        req,
        events: Vec::new(),
        task: None,
        result: None,
    };
    Ok(run.absorb(first.events, first.commands))
}

impl TestRun {
    /// The state's task answered.
    pub fn finish(self, outcome: TaskOutcome) -> Response {
        match self.answer(outcome) {
            Step::Done(r) => r,
            Step::Invoke(_, mut run) => {
                let mut r = run.respond();
                r.status = "FAILED";
                r
            }
        }
    }

    fn answer(mut self, outcome: TaskOutcome) -> Step {
        let Some(task) = self.task.take() else {
            return Step::Done(self.respond());
        };
        let mut inputs = Vec::new();
        let mut outcome = outcome;
        loop {
            match outcome {
                TaskOutcome::Submitted { response, then } => {
                    inputs.push(Input::TaskSubmitted {
                        task: task.task,
                        output: response,
                    });
                    outcome = *then;
                }
                TaskOutcome::Succeeded(output) => {
                    self.result = Some(output.clone());
                    inputs.push(Input::TaskSucceeded {
                        task: task.task,
                        output,
                    });
                    break;
                }
                TaskOutcome::Failed { error, cause } => {
                    inputs.push(Input::TaskFailed {
                        task: task.task,
                        error,
                        cause,
                    });
                    break;
                }
                TaskOutcome::TimedOut => {
                    inputs.push(Input::TaskTimedOut { task: task.task });
                    break;
                }
            }
        }
        let mut events = Vec::new();
        let mut commands = Vec::new();
        for input in inputs {
            let d = self.exec.handle(input, self.req.now);
            events.extend(d.events);
            commands.extend(d.commands);
        }
        self.absorb(events, commands)
    }

    /// The mocked outcome of the state's work (a Map's tolerated failures
    /// decide whether its mocked iteration failures fail it).
    fn mocked(&self) -> Option<TaskOutcome> {
        match self.req.mock.clone()? {
            Mock::Error { error, cause } => Some(TaskOutcome::Failed { error, cause }),
            Mock::Result(v) => {
                if let (Some(n), Ok((state, _, _))) =
                    (self.req.map_iteration_failure_count, pick_state(&self.req))
                    && n > 0
                {
                    let total = v.as_array().map_or(0, Vec::len).max(1) as f64;
                    let count = state.get("ToleratedFailureCount").and_then(Value::as_f64);
                    let pct = state
                        .get("ToleratedFailurePercentage")
                        .and_then(Value::as_f64);
                    let exceeded = match (count, pct) {
                        (None, None) => false,
                        (c, p) => {
                            c.is_none_or(|c| n as f64 > c)
                                && p.is_none_or(|p| n as f64 * 100.0 / total > p)
                        }
                    };
                    if exceeded {
                        return Some(TaskOutcome::Failed {
                            error: Some("States.ExceedToleratedFailureThreshold".into()),
                            cause: Some(
                                "The specified tolerated failure threshold was exceeded".into(),
                            ),
                        });
                    }
                }
                Some(TaskOutcome::Succeeded(v))
            }
        }
    }

    /// Takes a decision's events and carries out its commands until the state
    /// has ended or waits for a real task.
    fn absorb(mut self, mut events: Vec<HistoryEvent>, mut commands: Vec<Command>) -> Step {
        loop {
            self.events.append(&mut events);
            if self.ended() {
                return Step::Done(self.respond());
            }
            let task = commands.iter().find_map(|c| match c {
                Command::InvokeTask(t) => Some(t.clone()),
                _ => None,
            });
            let timer = commands.iter().find_map(|c| match c {
                Command::StartTimer { timer, .. } => Some(*timer),
                _ => None,
            });
            commands.clear();
            if let Some(t) = task {
                self.task = Some(t.clone());
                if let Some(outcome) = self.mocked() {
                    return self.answer(outcome);
                }
                if t.resource == MOCK_RESOURCE {
                    return Step::Done(self.respond());
                }
                return Step::Invoke(t, Box::new(self));
            }
            let Some(timer) = timer else {
                return Step::Done(self.respond());
            };
            // TestState does not wait: a Wait state's timer fires at once.
            let d = self.exec.handle(Input::TimerFired { timer }, self.req.now);
            events = d.events;
            commands = d.commands;
        }
    }

    /// Whether the state under test is behind us: the execution ended or entered
    /// one of the stand-ins.
    fn ended(&self) -> bool {
        if *self.exec.status() != Status::Running {
            return true;
        }
        self.events.iter().any(|e| {
            matches!(&e.details, EventDetails::StateEntered { name, .. }
                if name != STATE_NAME && name != SEED_NAME)
        })
    }

    fn respond(&mut self) -> Response {
        let mut r = Response {
            status: "SUCCEEDED",
            ..Response::default()
        };
        let failure = self.events.iter().find_map(failure_of);
        let entered = self.events.iter().find_map(|e| match &e.details {
            EventDetails::StateEntered { name, input, .. } if name == STATE_NAME => {
                Some((e.id, e.previous_event_id, e.timestamp, input.clone()))
            }
            _ => None,
        });
        let mut error_details = Map::new();
        let stand_in = self.events.iter().find_map(|e| match &e.details {
            EventDetails::StateEntered { name, input, .. }
                if name != STATE_NAME && name != SEED_NAME =>
            {
                Some((name.clone(), input.clone()))
            }
            _ => None,
        });
        if let Some((name, input)) = stand_in {
            r.next_state = Some(name);
            r.output = Some((*input).clone());
            if let Some(f) = &failure {
                r.status = "CAUGHT_ERROR";
                r.error = f.error.clone();
                r.cause = f.cause.clone();
                if let Some(i) = self
                    .def
                    .catch
                    .iter()
                    .position(|c| f.matches(&c.error_equals))
                {
                    error_details.insert("catchIndex".into(), json!(i));
                }
            }
        } else {
            match self.exec.status().clone() {
                Status::Succeeded { output } => r.output = Some((*output).clone()),
                Status::Failed(d) | Status::TimedOut(d) | Status::Aborted(d) => {
                    r.status = "FAILED";
                    r.error = d.error.clone();
                    r.cause = d.cause.clone();
                }
                Status::Running => {
                    r.status = "FAILED";
                    r.error = Some("States.Runtime".into());
                    r.cause = Some("The state could make no further progress".into());
                }
            }
        }
        // A matching retrier with attempts left makes the failure RETRIABLE.
        if let Some(f) = &failure
            && let Some(i) = self
                .def
                .retry
                .iter()
                .position(|rt| f.matches(&rt.error_equals))
        {
            let retrier = &self.def.retry[i];
            error_details.insert("retryIndex".into(), json!(i));
            let attempts = self.req.retrier_retry_count;
            if u64::from(attempts) < retrier.max_attempts {
                let ms = crate::retry::delay_millis(retrier, attempts, self.exec.entropy());
                error_details.insert("retryBackoffIntervalSeconds".into(), json!(ms / 1000));
                error_details.remove("catchIndex");
                r.status = "RETRIABLE";
                r.error = f.error.clone();
                r.cause = f.cause.clone();
                r.output = None;
                r.next_state = None;
            }
        }
        let mut data = Map::new();
        if let Some((id, prev, at, input)) = entered {
            let failed = failure.is_some();
            if let Err(f) = self.inspect(&mut data, id, prev, at, input, failed) {
                // A mocked Map still selects its items: AWS fails it there.
                r = Response {
                    status: "FAILED",
                    error: f.error,
                    cause: f.cause,
                    ..Response::default()
                };
                error_details.clear();
            }
        }
        if !error_details.is_empty() {
            data.insert("errorDetails".into(), Value::Object(error_details));
        }
        if self.req.inspection != Inspection::Info {
            r.inspection = Some(data);
        }
        r
    }

    /// The inspection data: the values between the steps of the data flow.
    /// An error is a failure AWS reports instead of the mocked result.
    fn inspect(
        &mut self,
        data: &mut Map<String, Value>,
        entered_id: u64,
        entered_prev: u64,
        entered_time: i64,
        input: Arc<Value>,
        failed: bool,
    ) -> Result<(), Failure> {
        let def = self.def.clone();
        let language = self.exec.language(&def);
        data.insert("input".into(), (*input).clone());
        if let Some(vars) = self.variables() {
            data.insert("variables".into(), Value::Object(vars));
        }
        let active = Active {
            name: STATE_NAME.to_string(),
            input: input.clone(),
            entered_id,
            entered_prev,
            entered_time,
            retries: vec![0; def.retry.len()],
        };
        let retriable = matches!(
            def.kind,
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
        );
        let context = crate::context::build(&self.exec, &active, None, None, retriable);
        let env = Env {
            context,
            vars: self.req.variables.clone().unwrap_or_default(),
            state: STATE_NAME,
            entered_id,
            language,
        };
        if let StateKind::Map(m) = &def.kind {
            if language == QueryLanguage::Jsonata {
                self.map_figures(data, &env, &input);
                return Ok(());
            }
            let plan = self.exec.plan.clone();
            let Ok(after_input) = dataflow::select(&plan, &env, &def.input_path, &input) else {
                return Ok(());
            };
            data.insert("afterInputPath".into(), (*after_input).clone());
            let items = match &m.items_path {
                Some(path) => dataflow::select(
                    &plan,
                    &env,
                    &Some(asl::PathField::Path(path.clone())),
                    &after_input,
                )?,
                None => after_input.clone(),
            };
            if !items.is_array() {
                let path = m.items_path.clone().unwrap_or_else(|| "$".into());
                let shown = path.strip_prefix('$').unwrap_or(&path).to_string();
                return Err(Failure::new(
                    "States.Runtime",
                    format!("Reference path \"{shown}\" must point to array."),
                    Origin::Runtime,
                ));
            }
            data.insert("afterItemsPath".into(), (*items).clone());
            self.map_figures(data, &env, &after_input);
            if failed {
                return Ok(());
            }
            if let Some(result) = self.result.clone() {
                self.after_result(data, &env, &def, input, result);
            }
            return Ok(());
        }
        if matches!(def.kind, StateKind::Parallel(_)) {
            if language == QueryLanguage::JsonPath
                && !failed
                && let Some(result) = self.result.clone()
            {
                self.after_result(data, &env, &def, input, result);
            }
            return Ok(());
        }
        if language == QueryLanguage::Jsonata {
            if let Some(t) = &self.task_parameters() {
                data.insert("afterArguments".into(), t.clone());
            }
            if let Some(res) = &self.result
                && !failed
            {
                data.insert("result".into(), res.clone());
            }
            return Ok(());
        }
        let result = match &def.kind {
            StateKind::Pass(p) => {
                if let Some(result) = &p.result {
                    data.insert("result".into(), result.clone());
                    result.clone()
                } else {
                    let plan = self.exec.plan.clone();
                    let Ok(after_input) = dataflow::select(&plan, &env, &def.input_path, &input)
                    else {
                        return Ok(());
                    };
                    data.insert("afterInputPath".into(), (*after_input).clone());
                    let params = match &def.parameters {
                        Some(t) => {
                            match dataflow::template(&mut self.exec, &env, t, &after_input) {
                                Ok(v) => v,
                                Err(_) => return Ok(()),
                            }
                        }
                        None => (*after_input).clone(),
                    };
                    data.insert("afterParameters".into(), params.clone());
                    params
                }
            }
            StateKind::Task(_) => {
                let plan = self.exec.plan.clone();
                let Ok(after_input) = dataflow::select(&plan, &env, &def.input_path, &input) else {
                    return Ok(());
                };
                data.insert("afterInputPath".into(), (*after_input).clone());
                if let Some(params) = self.task_parameters() {
                    data.insert("afterParameters".into(), params);
                }
                let Some(result) = self.result.clone() else {
                    return Ok(());
                };
                data.insert("result".into(), result.clone());
                result
            }
            _ => {
                let plan = self.exec.plan.clone();
                if let Ok(after_input) = dataflow::select(&plan, &env, &def.input_path, &input) {
                    data.insert("afterInputPath".into(), (*after_input).clone());
                }
                return Ok(());
            }
        };
        if !failed {
            self.after_result(data, &env, &def, input, result);
        }
        Ok(())
    }

    /// `afterResultSelector` and `afterResultPath`.
    fn after_result(
        &mut self,
        data: &mut Map<String, Value>,
        env: &Env,
        def: &State,
        input: Arc<Value>,
        result: Value,
    ) {
        let selected = match &def.result_selector {
            Some(t) => match dataflow::template(&mut self.exec, env, t, &result) {
                Ok(v) => v,
                Err(_) => return,
            },
            None => result,
        };
        data.insert("afterResultSelector".into(), selected.clone());
        let plan = self.exec.plan.clone();
        if let Ok(placed) =
            dataflow::result_path(&plan, env, &def.result_path, input, Arc::new(selected))
        {
            data.insert("afterResultPath".into(), (*placed).clone());
        }
    }

    /// A Map's figures: MaxConcurrency and its tolerated failures.
    fn map_figures(&mut self, data: &mut Map<String, Value>, env: &Env, input: &Value) {
        let Ok((state, _, _)) = pick_state(&self.req) else {
            return;
        };
        let mut number = |field: &str| -> Option<Value> {
            match state.get(field)? {
                Value::String(s) if crate::jsonata::is_expression(s) => {
                    crate::jsonata::evaluate(&mut self.exec, env, s, input, field).ok()
                }
                v => Some(v.clone()),
            }
        };
        data.insert(
            "maxConcurrency".into(),
            number("MaxConcurrency").unwrap_or(json!(0)),
        );
        if let Some(v) = number("ToleratedFailureCount") {
            data.insert("toleratedFailureCount".into(), v);
        }
        if let Some(v) = number("ToleratedFailurePercentage") {
            data.insert("toleratedFailurePercentage".into(), v);
        }
    }

    /// The task's input as the engine built it (Parameters or Arguments applied).
    fn task_parameters(&self) -> Option<Value> {
        self.events.iter().find_map(|e| match &e.details {
            EventDetails::TaskScheduled {
                parameters,
                resource,
                ..
            } if resource != MOCK_RESOURCE => Some((**parameters).clone()),
            EventDetails::LambdaFunctionScheduled {
                input, resource, ..
            } if resource != MOCK_RESOURCE => Some((**input).clone()),
            EventDetails::ActivityScheduled { input, .. } => Some((**input).clone()),
            _ => None,
        })
    }

    /// The variables after the state: the given ones and those it assigned.
    fn variables(&self) -> Option<Map<String, Value>> {
        let assigned = self.events.iter().find_map(|e| match &e.details {
            EventDetails::StateExited {
                name,
                assigned_variables: Some(v),
                ..
            } if name == STATE_NAME => Some(v.clone()),
            _ => None,
        });
        if self.req.variables.is_none() && assigned.is_none() {
            return None;
        }
        let mut vars = self.req.variables.clone().unwrap_or_default();
        vars.extend(assigned.unwrap_or_default());
        (!vars.is_empty()).then_some(vars)
    }
}

/// The failure a failure event records (a task's own errors are `Origin::Task`,
/// which `States.TaskFailed` matches).
fn failure_of(e: &HistoryEvent) -> Option<Failure> {
    let (d, origin) = match &e.details {
        EventDetails::TaskFailed { error, .. } | EventDetails::TaskTimedOut { error, .. } => {
            (error.clone(), Origin::Task)
        }
        EventDetails::LambdaFunctionFailed(d)
        | EventDetails::LambdaFunctionTimedOut(d)
        | EventDetails::ActivityFailed(d)
        | EventDetails::ActivityTimedOut(d) => (d.clone(), Origin::Task),
        EventDetails::ExecutionFailed(d) => (d.clone(), Origin::State),
        EventDetails::EvaluationFailed { error, cause, .. } => {
            return Some(Failure::new(error.clone(), cause.clone(), Origin::State));
        }
        _ => return None,
    };
    let origin = if d.error.as_deref() == Some("States.Runtime") {
        Origin::Runtime
    } else {
        origin
    };
    Some(Failure {
        error: d.error,
        cause: d.cause,
        origin,
        evaluation: None,
    })
}

/// The state under test (JSON), the query language it inherits, and the names
/// it can go to.
fn pick_state(req: &Request) -> Result<(Value, Option<Value>, Vec<String>), Refusal> {
    let def = &req.definition;
    let (state, language) = match def.get("States") {
        Some(states) => {
            let name = match &req.state_name {
                Some(n) => n.clone(),
                None => def
                    .get("StartAt")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            };
            // The whole machine must be valid as written.
            let (parsed, diagnostics) = asl::parse(&def.to_string());
            if parsed.is_none() {
                return Err(Refusal::InvalidDefinition(definition_error(&diagnostics)));
            }
            let state = find_state(states, &name)
                .ok_or_else(|| Refusal::Validation("State not found in definition".into()))?;
            (state, def.get("QueryLanguage").cloned())
        }
        None if req.state_name.is_some() => {
            return Err(Refusal::Validation("State not found in definition".into()));
        }
        None => (def.clone(), None),
    };
    if !state.is_object() {
        return Err(Refusal::InvalidDefinition(
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: A state must be a JSON object at /States/StateName'".into(),
        ));
    }
    let mut targets = Vec::new();
    let mut add = |v: Option<&Value>| {
        if let Some(t) = v.and_then(Value::as_str)
            && !targets.iter().any(|x| x == t)
        {
            targets.push(t.to_string());
        }
    };
    add(state.get("Next"));
    add(state.get("Default"));
    for list in ["Choices", "Catch"] {
        if let Some(Value::Array(items)) = state.get(list) {
            for i in items {
                add(i.get("Next"));
            }
        }
    }
    Ok((state, language, targets))
}

/// `InvalidDefinition`'s message; TestState words two schema errors its own way.
fn definition_error(diagnostics: &[asl::Diagnostic]) -> String {
    let worded: Vec<asl::Diagnostic> = diagnostics
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if d.message.starts_with("Instance value not found in enum") && d.location.ends_with("/Type") {
                d.message = "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]".into();
            } else if d.message.ends_with("must not be empty") {
                d.message = "Value cannot be empty".into();
            }
            d
        })
        .collect();
    asl::create_error_message(&worded)
}

/// The state named `name` among `states` or in any graph nested in them.
fn find_state(states: &Value, name: &str) -> Option<Value> {
    let map = states.as_object()?;
    if let Some(s) = map.get(name) {
        return Some(s.clone());
    }
    for s in map.values() {
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(found) = s.get(key).and_then(|g| find_state(g.get("States")?, name)) {
                return Some(found);
            }
        }
        if let Some(Value::Array(branches)) = s.get("Branches") {
            for b in branches {
                if let Some(found) = b.get("States").and_then(|g| find_state(g, name)) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// AWS's checks of a mocked Map or Parallel result.
fn check_fanout_mock(
    state: &Value,
    type_name: &str,
    result: &Value,
    failures: Option<u64>,
) -> Result<(), Refusal> {
    let invalid = |m: &str| Err(Refusal::Validation(m.to_string()));
    if type_name == "Map" && state.get("ResultWriter").is_some() {
        if !result.is_object() {
            return invalid("Mocked result must be a JSON object.");
        }
        return Ok(());
    }
    let Value::Array(items) = result else {
        return invalid("Mocked result must be an array.");
    };
    if type_name == "Parallel" {
        let branches = state
            .get("Branches")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if branches != items.len() {
            return invalid(
                "Mocked result must contain the same number of items as number of Parallel branches.",
            );
        }
    }
    if let Some(n) = failures
        && n > items.len() as u64
    {
        return invalid(
            "Map iteration failure count must be less than or equal to the number of Map iterations",
        );
    }
    Ok(())
}

/// The wrapper machine the state runs in.
fn wrapper(
    req: &Request,
    state: &Value,
    language: Option<Value>,
    targets: &[String],
    fanout: bool,
    keep_retry: bool,
) -> Value {
    let mut tested = state.clone();
    if let Some(obj) = tested.as_object_mut() {
        if !keep_retry {
            obj.remove("Retry");
        }
        if fanout {
            let mut task = Map::new();
            task.insert("Type".into(), json!("Task"));
            task.insert("Resource".into(), json!(MOCK_RESOURCE));
            for keep in [
                "Comment",
                "QueryLanguage",
                "InputPath",
                "ResultSelector",
                "ResultPath",
                "OutputPath",
                "Output",
                "Assign",
                "Catch",
                "Retry",
                "Next",
                "End",
            ] {
                if let Some(v) = obj.get(keep) {
                    task.insert(keep.into(), v.clone());
                }
            }
            *obj = task;
        }
    }
    let mut states = Map::new();
    let jsonata = language.as_ref().and_then(Value::as_str) == Some("JSONata");
    let seed_needed = req.variables.as_ref().is_some_and(|v| !v.is_empty());
    if seed_needed {
        let mut seed = Map::new();
        seed.insert("Type".into(), json!("Pass"));
        if jsonata {
            seed.insert("Output".into(), req.input.clone());
        } else {
            seed.insert("Result".into(), req.input.clone());
        }
        if let Some(vars) = &req.variables
            && !vars.is_empty()
        {
            seed.insert("Assign".into(), Value::Object(vars.clone()));
        }
        seed.insert("Next".into(), json!(STATE_NAME));
        states.insert(SEED_NAME.into(), Value::Object(seed));
    }
    states.insert(STATE_NAME.into(), tested);
    for t in targets {
        if t != STATE_NAME {
            states.insert(t.clone(), json!({"Type": "Succeed"}));
        }
    }
    let mut machine = Map::new();
    if let Some(l) = language {
        machine.insert("QueryLanguage".into(), l);
    }
    machine.insert(
        "StartAt".into(),
        json!(if seed_needed { SEED_NAME } else { STATE_NAME }),
    );
    machine.insert("States".into(), Value::Object(states));
    Value::Object(machine)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(definition: Value, input: Value) -> Request {
        Request {
            definition,
            state_name: None,
            input,
            inspection: Inspection::Debug,
            mock: None,
            variables: None,
            context: None,
            retrier_retry_count: 0,
            map_iteration_failure_count: None,
            role_arn: Some("arn:aws:iam::123456789012:role/r".into()),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            machine_name: "m".into(),
            execution_name: "e".into(),
            now: 1_700_000_000_000,
            seed: 7,
        }
    }

    fn done(step: Result<Step, Refusal>) -> Response {
        match step {
            Ok(Step::Done(r)) => r,
            Ok(Step::Invoke(t, _)) => panic!("asked to invoke {}", t.resource),
            Err(e) => panic!("refused: {e:?}"),
        }
    }

    #[test]
    fn a_pass_state_shows_each_step_of_its_data_flow() {
        let r = done(start(request(
            json!({"Type":"Pass","InputPath":"$.a","Parameters":{"x.$":"$.b"},
                   "ResultPath":"$.r","Next":"After"}),
            json!({"a":{"b":1}}),
        )));
        assert_eq!(r.status, "SUCCEEDED");
        assert_eq!(r.next_state.as_deref(), Some("After"));
        assert_eq!(r.output, Some(json!({"a":{"b":1},"r":{"x":1}})));
        let data = r.inspection.expect("inspection data");
        assert_eq!(data["afterInputPath"], json!({"b":1}));
        assert_eq!(data["afterParameters"], json!({"x":1}));
        assert_eq!(data["afterResultPath"], json!({"a":{"b":1},"r":{"x":1}}));
    }

    #[test]
    fn a_mocked_error_is_retriable_then_caught() {
        let def = json!({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
            "Parameters":{"FunctionName":"f"},
            "Retry":[{"ErrorEquals":["E"],"MaxAttempts":2,"IntervalSeconds":3}],
            "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"End":true});
        let mut req = request(def, json!({}));
        req.mock = Some(Mock::Error {
            error: Some("E".into()),
            cause: Some("c".into()),
        });
        let r = done(start(req.clone()));
        assert_eq!(r.status, "RETRIABLE");
        let details = &r.inspection.expect("data")["errorDetails"];
        assert_eq!(details["retryBackoffIntervalSeconds"], json!(3));
        req.retrier_retry_count = 2;
        let r = done(start(req));
        assert_eq!(r.status, "CAUGHT_ERROR");
        assert_eq!(r.next_state.as_deref(), Some("Handle"));
        assert_eq!(r.error.as_deref(), Some("E"));
        assert_eq!(r.output.expect("output")["Error"], json!("E"));
    }

    #[test]
    fn refuses_a_mock_on_a_pass_state_and_an_unmocked_map() {
        let mut req = request(json!({"Type":"Pass","End":true}), json!({}));
        req.mock = Some(Mock::Result(json!(1)));
        assert!(matches!(start(req), Err(Refusal::Validation(m)) if m.contains("'Pass'")));
        let req = request(
            json!({"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}],"End":true}),
            json!({}),
        );
        assert!(matches!(start(req), Err(Refusal::InvalidDefinition(_))));
    }

    #[test]
    fn an_unmocked_task_asks_for_its_invocation() {
        let req = request(
            json!({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true}),
            json!({"v":1}),
        );
        let Ok(Step::Invoke(task, run)) = start(req) else {
            panic!("expected an invocation")
        };
        assert_eq!(task.parameters, json!({"v":1}));
        let r = run.finish(TaskOutcome::Succeeded(json!("ok")));
        assert_eq!(r.status, "SUCCEEDED");
        assert_eq!(r.output, Some(json!("ok")));
        assert_eq!(r.inspection.expect("data")["result"], json!("ok"));
    }

    #[test]
    fn a_given_context_and_variables_are_what_the_state_reads() {
        let mut req = request(
            json!({"Type":"Pass","QueryLanguage":"JSONata",
                   "Output":{"ctx":"{% $states.context %}","sum":"{% $states.input.a + $x %}"},
                   "End":true}),
            json!({"a":2}),
        );
        req.context = Some(json!({"Execution":{"Name":"given"}}));
        req.variables = Some(json!({"x":5}).as_object().cloned().unwrap_or_default());
        let r = done(start(req));
        assert_eq!(r.status, "SUCCEEDED", "{r:?}");
        assert_eq!(
            r.output,
            Some(json!({"ctx":{"Execution":{"Name":"given"}},"sum":7}))
        );
        assert_eq!(r.inspection.expect("data")["variables"], json!({"x":5}));
    }

    #[test]
    fn a_mocked_map_fails_only_past_its_tolerated_failures() {
        let def = json!({"Type":"Map","ItemsPath":"$.items","ToleratedFailureCount":1,
            "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
            "Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"Over"}],
            "End":true});
        let mut req = request(def, json!({"items":[1,2,3]}));
        req.mock = Some(Mock::Result(json!([1, 2, 3])));
        req.map_iteration_failure_count = Some(1);
        let r = done(start(req.clone()));
        assert_eq!(r.status, "SUCCEEDED", "{r:?}");
        assert_eq!(r.output, Some(json!([1, 2, 3])));
        assert_eq!(
            r.inspection.expect("data")["afterItemsPath"],
            json!([1, 2, 3])
        );
        req.map_iteration_failure_count = Some(2);
        let r = done(start(req.clone()));
        assert_eq!(r.status, "CAUGHT_ERROR", "{r:?}");
        assert_eq!(r.next_state.as_deref(), Some("Over"));
        req.map_iteration_failure_count = Some(4);
        assert!(matches!(start(req), Err(Refusal::Validation(_))));
    }
}
