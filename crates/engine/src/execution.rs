//! One execution: its folded state, and `handle`, the pure step that turns an input
//! (a task result, a timer firing, a stop request) into history events and commands.
//!
//! Architecture Invariant: nothing here reads a clock, draws entropy of its own or
//! does IO. Time arrives with each input; randomness comes from a generator seeded
//! by the execution's recorded seed. Feeding the same inputs to a fresh execution
//! yields the same events, which is what replay and crash recovery rely on.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use asl::{Definition, QueryLanguage, State, StateKind, Transition};
use serde_json::Value;

use crate::event::{ErrorDetails, EventDetails, HistoryEvent, Payload};
use crate::failure::{Failure, Origin};
use crate::fanout::Fanout;
use crate::plan::{GraphNode, Plan};
use crate::variables::VarScope;

/// Facts about an execution fixed when it starts (they feed the context object `$$`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExecutionInfo {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
    pub region: String,
    pub account: String,
    pub redrive_count: u32,
    /// The version the execution runs, when it was started through a version or alias.
    #[serde(default)]
    pub state_machine_version_arn: Option<String>,
    /// The alias the execution was started through.
    #[serde(default)]
    pub state_machine_alias_arn: Option<String>,
    /// The input exactly as the caller sent it, when it is known.
    pub input_text: Option<Arc<str>>,
    /// Seeds `States.UUID`, `States.MathRandom`, jitter and task tokens; recorded
    /// with the execution so that a replay draws the same values.
    pub seed: u64,
    /// Task tokens begin with the time they were issued (UUIDv7 layout), so a
    /// store indexing them appends instead of inserting at random. Executions
    /// recorded before this existed replay with random (v4) tokens.
    #[serde(default)]
    pub time_ordered_tokens: bool,
    /// Activities found not to exist when the execution started: a Task state
    /// for one fails with `States.Runtime` before it is scheduled, as on AWS.
    /// Unlike the other facts this one moves: [`Execution::set_missing_activities`]
    /// replaces it before an input, and a replay must repeat that.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_activities: Vec<String>,
}

/// Configurable limits, AWS's by default.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Largest state input, output or task result, in bytes (AWS: 256 KiB).
    pub max_payload_bytes: usize,
    /// False for executions whose history nobody reads (Express without logging,
    /// benchmarks): events are numbered but not kept, so memory follows live data
    /// even in a long loop that never waits.
    pub keep_events: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload_bytes: 256 * 1024,
            keep_events: true,
        }
    }
}

/// Something that happened outside the engine.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Input {
    TaskSucceeded {
        task: u64,
        output: Value,
    },
    TaskFailed {
        task: u64,
        error: Option<String>,
        cause: Option<String>,
    },
    /// The integration gave up waiting (or a mock says it did).
    TaskTimedOut {
        task: u64,
    },
    /// The integration accepted the work and will report later (the service call of
    /// a `.waitForTaskToken` or `.sync` task returned `output`).
    TaskSubmitted {
        task: u64,
        output: Value,
    },
    /// SendTaskHeartbeat: the worker is alive; restarts the HeartbeatSeconds clock.
    TaskHeartbeat {
        task: u64,
    },
    /// GetActivityTask handed an activity task to a worker (`ActivityStarted`).
    TaskStarted {
        task: u64,
        worker_name: Option<String>,
    },
    TimerFired {
        timer: u64,
    },
    /// StopExecution.
    Stop {
        error: Option<String>,
        cause: Option<String>,
    },
    /// RedriveExecution: a FAILED, TIMED_OUT or ABORTED execution records
    /// `ExecutionRedriven` and re-enters, with the input it had, the top-level
    /// state it ended in (a failed Parallel or Map runs again as a whole). Ignored
    /// by a running or succeeded execution.
    Redrive,
}

/// An effect for the caller to carry out.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    InvokeTask(TaskRequest),
    /// Feed `Input::TimerFired { timer }` back at `fire_at` (ms since the epoch).
    StartTimer {
        timer: u64,
        fire_at: i64,
    },
    CancelTimer {
        timer: u64,
    },
    /// The task's state was abandoned (stop, timeout, failed branch).
    CancelTask {
        task: u64,
    },
}

/// A task to run; its result comes back as `Input::TaskSucceeded/TaskFailed { task }`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskRequest {
    pub task: u64,
    pub state_name: String,
    pub resource: String,
    pub parameters: Value,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    /// Set for `.waitForTaskToken` resources: the token the worker sends back.
    pub task_token: Option<String>,
    /// The execution the task runs for: integrations that name their caller
    /// (EventBridge's `Resources`) read it. None in requests recorded before it
    /// was carried.
    #[serde(default)]
    pub caller: Option<Arc<Caller>>,
}

/// The execution a task runs for, and its state machine.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Caller {
    pub execution_arn: String,
    pub state_machine_arn: String,
}

impl Caller {
    pub fn of(info: &ExecutionInfo) -> Arc<Caller> {
        Arc::new(Caller {
            execution_arn: info.execution_arn.clone(),
            state_machine_arn: info.state_machine_arn.clone(),
        })
    }
}

/// What one step produced.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Decision {
    pub events: Vec<HistoryEvent>,
    pub commands: Vec<Command>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Running,
    Succeeded { output: Payload },
    Failed(ErrorDetails),
    TimedOut(ErrorDetails),
    Aborted(ErrorDetails),
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded { .. } => "SUCCEEDED",
            Status::Failed(_) => "FAILED",
            Status::TimedOut(_) => "TIMED_OUT",
            Status::Aborted(_) => "ABORTED",
        }
    }
}

pub(crate) type FrameId = usize;

/// A running sequence of states: the top level, one Parallel branch or one Map
/// iteration.
#[derive(Debug)]
pub(crate) struct Frame {
    pub node: Arc<GraphNode>,
    /// The fan-out this frame belongs to, and its index there.
    pub parent: Option<(FrameId, usize)>,
    /// The id of the last event of this frame: the next one's `previousEventId`.
    pub cursor: u64,
    pub vars: Arc<VarScope>,
    /// False inside a distributed Map, whose iterations are child executions with
    /// histories of their own.
    pub record: bool,
    pub step: Step,
}

/// The state a frame is in the middle of.
#[derive(Debug)]
pub(crate) struct Active {
    pub name: String,
    /// The state's input as it entered (Catch and ResultPath work on it).
    pub input: Payload,
    pub entered_id: u64,
    /// The entered event's own predecessor (AWS chains `EvaluationFailed` to it).
    pub entered_prev: u64,
    pub entered_time: i64,
    /// Attempts used per Retrier, by index.
    pub retries: Vec<u32>,
}

impl Active {
    pub fn retry_count(&self) -> u32 {
        self.retries.iter().sum()
    }
}

#[derive(Debug)]
pub(crate) enum Step {
    /// About to enter `state` with `input`.
    Enter { state: String, input: Payload },
    /// Waiting for a task's result.
    Task(Box<crate::task::Pending>),
    /// A Wait state waiting for its timer.
    Wait { active: Active, timer: u64 },
    /// Waiting out a retry interval before running the state again.
    Backoff { active: Active, timer: u64 },
    /// A Parallel or Map waiting for its branches or iterations.
    Fanout(Box<Fanout>),
    /// Finished; kept only until the parent reads the result.
    Done,
}

/// One execution's folded state.
pub struct Execution {
    pub(crate) plan: Arc<Plan>,
    pub(crate) definition: Arc<Definition>,
    pub(crate) info: ExecutionInfo,
    /// `info`'s ARNs, shared by every task request.
    pub(crate) caller: Arc<Caller>,
    pub(crate) limits: Limits,
    pub(crate) input: Payload,
    pub(crate) start_time: i64,
    pub(crate) status: Status,
    pub(crate) frames: Vec<Option<Frame>>,
    free_frames: Vec<FrameId>,
    pub(crate) ready: VecDeque<FrameId>,
    pub(crate) next_event_id: u64,
    pub(crate) next_timer_id: u64,
    /// Pending task id → the frame waiting for it.
    pub(crate) tasks: HashMap<u64, FrameId>,
    /// Timer id → what it is for.
    pub(crate) timers: HashMap<u64, TimerPurpose>,
    pub(crate) rng: crate::random::SplitMix64,
    /// The top-level state entered last and its input: where a redrive resumes.
    last_top: Option<(String, Payload)>,
    /// The step in progress.
    pub(crate) now: i64,
    pub(crate) out: Decision,
    /// The output whose size was checked last, and an upper bound of its size:
    /// the next state's check starts from it instead of walking the document.
    pub(crate) checked: Option<(std::sync::Weak<Value>, usize)>,
    /// Results no longer used, for templates to evaluate into (`dataflow::recycle`).
    pub(crate) spare: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerPurpose {
    /// A Wait state or retry interval of the frame.
    Frame(FrameId),
    TaskTimeout {
        task: u64,
    },
    /// HeartbeatSeconds passed without a heartbeat.
    TaskHeartbeat {
        task: u64,
    },
    ExecutionTimeout,
}

impl Execution {
    /// Starts an execution: records `ExecutionStarted` and runs until the first task,
    /// timer or the end.
    pub fn start(
        plan: Arc<Plan>,
        info: ExecutionInfo,
        input: Value,
        limits: Limits,
        now: i64,
    ) -> (Execution, Decision) {
        let root = plan.root.clone();
        let definition = plan.definition.clone();
        let rng = crate::random::SplitMix64::new(info.seed);
        let input = Arc::new(input);
        // Kept for `$$.Execution.Input` and the history's verbatim input text; when
        // neither can be asked for, the first state may write into the input in place.
        let kept_input = if limits.keep_events || plan.reads_any_context() {
            input.clone()
        } else {
            crate::dataflow::null()
        };
        let mut exec = Execution {
            plan,
            definition,
            caller: Caller::of(&info),
            info,
            limits,
            input: kept_input,
            start_time: now,
            status: Status::Running,
            frames: Vec::new(),
            free_frames: Vec::new(),
            ready: VecDeque::new(),
            next_event_id: 1,
            next_timer_id: 1,
            tasks: HashMap::new(),
            timers: HashMap::new(),
            rng,
            last_top: None,
            now,
            out: Decision::default(),
            checked: None,
            spare: Vec::new(),
        };
        exec.record(
            0,
            EventDetails::ExecutionStarted {
                input: input.clone(),
                role_arn: exec.info.role_arn.clone(),
                state_machine_alias_arn: exec.info.state_machine_alias_arn.clone(),
                state_machine_version_arn: exec.info.state_machine_version_arn.clone(),
            },
        );
        exec.arm_execution_timeout();
        let start = root.graph.start_at.clone();
        let frame = Frame {
            node: root,
            parent: None,
            // The first state's event names 0 as its predecessor, as AWS records it.
            cursor: 0,
            vars: VarScope::root(),
            record: true,
            step: Step::Enter {
                state: start,
                input,
            },
        };
        let id = exec.add_frame(frame);
        exec.ready.push_back(id);
        exec.run();
        let decision = std::mem::take(&mut exec.out);
        (exec, decision)
    }

    /// The activities that do not exist as of the next input (see
    /// [`ExecutionInfo::missing_activities`]).
    pub fn set_missing_activities(&mut self, missing: Vec<String>) {
        self.info.missing_activities = missing;
    }

    /// Applies one input and runs until every frame is blocked again.
    pub fn handle(&mut self, input: Input, now: i64) -> Decision {
        self.now = now.max(self.now);
        if matches!(input, Input::Redrive) {
            if self.redrive() {
                self.run();
            }
            return std::mem::take(&mut self.out);
        }
        if self.status == Status::Running {
            match input {
                Input::TaskSucceeded { task, output } => {
                    self.task_result(task, crate::task::Outcome::Succeeded(output))
                }
                Input::TaskFailed { task, error, cause } => {
                    self.task_result(task, crate::task::Outcome::Failed { error, cause })
                }
                Input::TaskTimedOut { task } => {
                    self.task_result(task, crate::task::Outcome::TimedOut("States.Timeout"))
                }
                Input::TaskSubmitted { task, output } => {
                    if let Some(&frame) = self.tasks.get(&task) {
                        crate::task::submitted(self, frame, task, output);
                    }
                }
                Input::TaskHeartbeat { task } => {
                    if let Some(&frame) = self.tasks.get(&task) {
                        crate::task::heartbeat(self, frame, task);
                    }
                }
                Input::TaskStarted { task, worker_name } => {
                    if let Some(&frame) = self.tasks.get(&task) {
                        crate::task::started(self, frame, task, worker_name);
                    }
                }
                Input::TimerFired { timer } => self.timer_fired(timer),
                Input::Stop { error, cause } => self.stop(error, cause),
                Input::Redrive => {}
            }
            self.run();
        }
        std::mem::take(&mut self.out)
    }

    /// Arms the state machine's `TimeoutSeconds`, counted from now (at the start
    /// and again at each redrive, as AWS resets it).
    fn arm_execution_timeout(&mut self) {
        if let Some(secs) = self.definition.timeout_seconds {
            let timer = self.new_timer(TimerPurpose::ExecutionTimeout);
            self.out.commands.push(Command::StartTimer {
                timer,
                fire_at: self.now.saturating_add((secs as i64).saturating_mul(1000)),
            });
        }
    }

    /// Restarts a FAILED, TIMED_OUT or ABORTED execution at the top-level state it
    /// ended in; false (and nothing recorded) for any other execution.
    fn redrive(&mut self) -> bool {
        if matches!(self.status, Status::Running | Status::Succeeded { .. }) {
            return false;
        }
        let Some((state, input)) = self.last_top.clone() else {
            return false;
        };
        // Branches and iterations of the abandoned attempt are gone; the top-level
        // frame (always frame 0) keeps its variables.
        for id in 1..self.frames.len() {
            self.free_frame(id);
        }
        self.ready.clear();
        self.tasks.clear();
        self.timers.clear();
        self.info.redrive_count = self.info.redrive_count.saturating_add(1);
        let last = self.next_event_id - 1;
        let id = self.record(
            last,
            EventDetails::ExecutionRedriven {
                redrive_count: self.info.redrive_count,
            },
        );
        self.status = Status::Running;
        self.arm_execution_timeout();
        let root = self.frame_mut(0);
        root.cursor = id;
        root.step = Step::Enter { state, input };
        self.ready.push_back(0);
        true
    }

    /// Lets go of the redrive copy of a top-level state's input, so that ResultPath
    /// can write into the input without copying it; false when `input` is not it.
    pub(crate) fn lend_redrive_input(&mut self, input: &Payload) -> bool {
        match &mut self.last_top {
            Some((_, kept)) if Arc::ptr_eq(kept, input) => {
                *kept = crate::dataflow::null();
                true
            }
            _ => false,
        }
    }

    /// Gives back what [`Execution::lend_redrive_input`] let go (the state failed).
    pub(crate) fn return_redrive_input(&mut self, input: &Payload) {
        if let Some((_, kept)) = &mut self.last_top {
            *kept = input.clone();
        }
    }

    /// The state a redrive would re-enter (the top-level state entered last).
    pub fn redrive_state(&self) -> Option<&str> {
        self.last_top.as_ref().map(|(name, _)| name.as_str())
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The prepared definition it runs.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    pub fn info(&self) -> &ExecutionInfo {
        &self.info
    }

    /// How many events the execution has recorded so far.
    pub fn event_count(&self) -> u64 {
        self.next_event_id - 1
    }

    pub fn start_time(&self) -> i64 {
        self.start_time
    }

    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    /// The query language in force for a state.
    pub(crate) fn language(&self, state: &State) -> QueryLanguage {
        state.language(self.definition.query_language)
    }

    fn add_frame(&mut self, frame: Frame) -> FrameId {
        if let Some(id) = self.free_frames.pop() {
            self.frames[id] = Some(frame);
            id
        } else {
            self.frames.push(Some(frame));
            self.frames.len() - 1
        }
    }

    pub(crate) fn spawn_frame(&mut self, frame: Frame) -> FrameId {
        let id = self.add_frame(frame);
        self.ready.push_back(id);
        id
    }

    pub(crate) fn free_frame(&mut self, id: FrameId) {
        if let Some(slot) = self.frames.get_mut(id)
            && slot.take().is_some()
        {
            self.free_frames.push(id);
        }
    }

    pub(crate) fn frame(&self, id: FrameId) -> &Frame {
        self.frames[id].as_ref().expect("live frame")
    }

    pub(crate) fn frame_mut(&mut self, id: FrameId) -> &mut Frame {
        self.frames[id].as_mut().expect("live frame")
    }

    pub(crate) fn new_timer(&mut self, purpose: TimerPurpose) -> u64 {
        let id = self.next_timer_id;
        self.next_timer_id += 1;
        self.timers.insert(id, purpose);
        id
    }

    /// Appends an event with an explicit predecessor; returns its id.
    pub(crate) fn record(&mut self, previous: u64, details: EventDetails) -> u64 {
        self.record_with(previous, || details)
    }

    /// [`Execution::record`] that builds the details only when events are kept
    /// (names and payload references cost nothing in a history nobody reads).
    pub(crate) fn record_with(
        &mut self,
        previous: u64,
        details: impl FnOnce() -> EventDetails,
    ) -> u64 {
        let id = self.next_event_id;
        self.next_event_id += 1;
        if !self.limits.keep_events {
            return id;
        }
        let details = details();
        let verbatim = match (&self.info.input_text, details.payload()) {
            (Some(text), Some(p)) if Arc::ptr_eq(p, &self.input) => Some(text.clone()),
            _ => None,
        };
        self.out.events.push(HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp: self.now,
            details,
            verbatim,
        });
        id
    }

    /// Appends an event in a frame's chain and advances the chain.
    pub(crate) fn emit(&mut self, frame: FrameId, details: EventDetails) -> u64 {
        self.emit_with(frame, || details)
    }

    /// [`Execution::emit`] with the details built only when events are kept.
    pub(crate) fn emit_with(
        &mut self,
        frame: FrameId,
        details: impl FnOnce() -> EventDetails,
    ) -> u64 {
        let prev = self.frame(frame).cursor;
        if !self.frame(frame).record {
            return prev;
        }
        let id = self.record_with(prev, details);
        self.frame_mut(frame).cursor = id;
        id
    }

    /// Appends an event that hangs off a frame's chain without advancing it (AWS's
    /// `…StateSucceeded` events are recorded this way).
    pub(crate) fn emit_side(&mut self, frame: FrameId, details: EventDetails) -> u64 {
        let prev = self.frame(frame).cursor;
        if !self.frame(frame).record {
            return prev;
        }
        self.record(prev, details)
    }

    /// Advances ready frames until all are blocked or finished.
    fn run(&mut self) {
        while let Some(id) = self.ready.pop_front() {
            if self.status != Status::Running {
                self.ready.clear();
                break;
            }
            if self.frames.get(id).and_then(|f| f.as_ref()).is_none() {
                continue;
            }
            self.advance(id);
        }
        // A blocked execution holds its live data only.
        self.spare = Vec::new();
    }

    /// Runs one frame state after state until it blocks or ends.
    fn advance(&mut self, id: FrameId) {
        loop {
            if self.status != Status::Running
                || self.frames.get(id).and_then(Option::as_ref).is_none()
            {
                return;
            }
            let step = std::mem::replace(&mut self.frame_mut(id).step, Step::Done);
            let Step::Enter { state, input } = step else {
                self.frame_mut(id).step = step;
                return;
            };
            let node = self.frame(id).node.clone();
            let Some(def) = node.state(&state) else {
                let cause = format!("The state '{state}' does not exist in the definition.");
                self.frame_failed(id, Failure::new("States.Runtime", cause, Origin::Runtime));
                return;
            };
            if self.frame(id).parent.is_none() {
                match &mut self.last_top {
                    // The name's buffer is reused: one top-level state after another.
                    Some((name, kept)) => {
                        name.clone_from(&state);
                        let previous = std::mem::replace(kept, input.clone());
                        crate::dataflow::recycle(self, previous);
                    }
                    None => self.last_top = Some((state.clone(), input.clone())),
                }
            }
            let entered_prev = self.frame(id).cursor;
            let entered_id = self.emit_with(id, || EventDetails::StateEntered {
                state_type: def.kind.type_name(),
                name: state.clone(),
                input: input.clone(),
            });
            let active = Active {
                name: state,
                input,
                entered_id,
                entered_prev,
                entered_time: self.now,
                retries: vec![0; def.retry.len()],
            };
            self.execute(id, def, active);
            let live = self.frames.get(id).and_then(Option::as_ref);
            if !live.is_some_and(|f| matches!(f.step, Step::Enter { .. })) {
                return;
            }
        }
    }

    /// Runs (or re-runs, after a retry interval) a state's work.
    pub(crate) fn execute(&mut self, id: FrameId, def: &State, mut active: Active) {
        let result = match &def.kind {
            StateKind::Pass(p) => crate::states::pass(self, id, def, p, &mut active),
            StateKind::Choice(c) => crate::states::choice(self, id, def, c, &active),
            StateKind::Succeed => crate::states::succeed(self, id, def, &active),
            StateKind::Fail(f) => crate::states::fail(self, id, def, f, &active),
            StateKind::Wait(w) => match crate::states::wait(self, id, def, w, &active) {
                Ok(Some(timer)) => {
                    self.frame_mut(id).step = Step::Wait { active, timer };
                    return;
                }
                Ok(None) => crate::states::finish_wait(self, id, def, &active),
                Err(f) => Err(f),
            },
            StateKind::Task(t) => match crate::task::schedule(self, id, def, t, active) {
                Ok(()) => return,
                Err(e) => {
                    let (active, failure) = *e;
                    self.state_failed(id, def, active, failure);
                    return;
                }
            },
            StateKind::Parallel(p) => {
                match crate::fanout::start_parallel(self, id, def, p, active) {
                    Ok(()) => return,
                    Err(e) => {
                        let (active, failure) = *e;
                        self.state_failed(id, def, active, failure);
                        return;
                    }
                }
            }
            StateKind::Map(m) => match crate::fanout::start_map(self, id, def, m, active) {
                Ok(()) => return,
                Err(e) => {
                    let (active, failure) = *e;
                    self.state_failed(id, def, active, failure);
                    return;
                }
            },
        };
        if let Err(failure) = result {
            self.state_failed(id, def, active, failure);
        }
    }

    /// Moves a frame past a state that completed with `output`; the next state's
    /// name is written into `name` (the finished state's, so its buffer is reused).
    pub(crate) fn transition(&mut self, id: FrameId, def: &State, output: Payload, name: String) {
        match &def.transition {
            Some(Transition::Next(next)) => {
                let mut state = name;
                state.clone_from(next);
                self.frame_mut(id).step = Step::Enter {
                    state,
                    input: output,
                };
            }
            _ => self.frame_succeeded(id, output),
        }
    }

    /// A state raised an error: retry it, catch it, or fail the frame.
    pub(crate) fn state_failed(
        &mut self,
        id: FrameId,
        def: &State,
        mut active: Active,
        mut failure: Failure,
    ) {
        if let Some(location) = failure.evaluation.take() {
            let prev = if matches!(def.kind, StateKind::Wait(_)) {
                active.entered_id
            } else {
                active.entered_prev
            };
            let event = self.record(
                prev,
                EventDetails::EvaluationFailed {
                    error: failure.error.clone().unwrap_or_default(),
                    cause: failure.cause.clone().unwrap_or_default(),
                    location,
                    state: active.name.clone(),
                },
            );
            if self.frame(id).record {
                self.frame_mut(id).cursor = event;
            }
            match def.kind {
                StateKind::Map(_) => {
                    self.emit(id, EventDetails::MapStateFailed);
                }
                StateKind::Parallel(_) => {
                    self.emit(id, EventDetails::ParallelStateFailed);
                }
                _ => {}
            }
        }
        if let Some(index) = def
            .retry
            .iter()
            .position(|r| failure.matches(&r.error_equals))
        {
            let retrier = &def.retry[index];
            let attempts = active.retries[index];
            if u64::from(attempts) < retrier.max_attempts {
                active.retries[index] += 1;
                let delay = crate::retry::delay_millis(retrier, attempts, &mut self.rng);
                let timer = self.new_timer(TimerPurpose::Frame(id));
                self.out.commands.push(Command::StartTimer {
                    timer,
                    fire_at: self.now.saturating_add(delay),
                });
                self.frame_mut(id).step = Step::Backoff { active, timer };
                return;
            }
        }
        if let Some(catcher) = def.catch.iter().find(|c| failure.matches(&c.error_equals)) {
            match crate::dataflow::catch_output(self, id, def, catcher, &active, &failure) {
                Ok((output, assigned)) => {
                    self.emit(
                        id,
                        EventDetails::StateExited {
                            state_type: def.kind.type_name(),
                            name: active.name.clone(),
                            output: output.clone(),
                            assigned_variables: assigned,
                        },
                    );
                    self.frame_mut(id).step = Step::Enter {
                        state: catcher.next.clone(),
                        input: output,
                    };
                    self.ready.push_back(id);
                }
                Err(f) => self.frame_failed(id, f),
            }
            return;
        }
        self.frame_failed(id, failure);
    }

    /// A frame reached an End state.
    pub(crate) fn frame_succeeded(&mut self, id: FrameId, output: Payload) {
        self.frame_mut(id).step = Step::Done;
        match self.frame(id).parent {
            None => {
                self.record(
                    self.frame(id).cursor,
                    EventDetails::ExecutionSucceeded {
                        output: output.clone(),
                    },
                );
                self.finish(Status::Succeeded { output });
            }
            Some((parent, index)) => {
                crate::fanout::child_succeeded(self, parent, index, id, output)
            }
        }
    }

    /// A frame ended with an error nobody caught inside it.
    pub(crate) fn frame_failed(&mut self, id: FrameId, failure: Failure) {
        self.frame_mut(id).step = Step::Done;
        match self.frame(id).parent {
            None => {
                let details = ErrorDetails {
                    error: failure.error,
                    cause: failure.cause,
                };
                self.record(
                    self.frame(id).cursor,
                    EventDetails::ExecutionFailed(details.clone()),
                );
                self.finish(Status::Failed(details));
            }
            Some((parent, index)) => crate::fanout::child_failed(self, parent, index, id, failure),
        }
    }

    fn finish(&mut self, status: Status) {
        self.status = status;
        self.ready.clear();
        for task in std::mem::take(&mut self.tasks).into_keys() {
            self.out.commands.push(Command::CancelTask { task });
        }
        let mut timers: Vec<u64> = std::mem::take(&mut self.timers).into_keys().collect();
        timers.sort_unstable();
        for timer in timers {
            self.out.commands.push(Command::CancelTimer { timer });
        }
    }

    fn timer_fired(&mut self, timer: u64) {
        let Some(purpose) = self.timers.remove(&timer) else {
            return;
        };
        match purpose {
            TimerPurpose::ExecutionTimeout => {
                let details = ErrorDetails {
                    error: Some("States.Timeout".into()),
                    cause: None,
                };
                let last = self.next_event_id - 1;
                self.record(last, EventDetails::ExecutionTimedOut(details.clone()));
                self.finish(Status::TimedOut(details));
            }
            TimerPurpose::TaskTimeout { task } => {
                self.task_result(task, crate::task::Outcome::TimedOut("States.Timeout"));
            }
            TimerPurpose::TaskHeartbeat { task } => {
                self.task_result(
                    task,
                    crate::task::Outcome::TimedOut("States.HeartbeatTimeout"),
                );
            }
            TimerPurpose::Frame(id) => {
                let Some(frame) = self.frames.get_mut(id).and_then(|f| f.as_mut()) else {
                    return;
                };
                let step = std::mem::replace(&mut frame.step, Step::Done);
                let node = frame.node.clone();
                match step {
                    Step::Wait { active, timer: t } if t == timer => {
                        let Some(def) = node.state(&active.name) else {
                            return;
                        };
                        if let Err(f) = crate::states::finish_wait(self, id, def, &active) {
                            self.state_failed(id, def, active, f);
                        }
                        self.ready.push_back(id);
                    }
                    Step::Backoff { active, timer: t } if t == timer => {
                        let Some(def) = node.state(&active.name) else {
                            return;
                        };
                        self.execute(id, def, active);
                        self.ready.push_back(id);
                    }
                    other => self.frame_mut(id).step = other,
                }
            }
        }
    }

    fn task_result(&mut self, task: u64, outcome: crate::task::Outcome) {
        let Some(id) = self.tasks.remove(&task) else {
            return;
        };
        if let Step::Fanout(_) = self.frame(id).step {
            crate::fanout::task_ended(self, id, task, outcome);
        } else {
            crate::task::complete(self, id, task, outcome);
        }
        self.ready.push_back(id);
    }

    fn stop(&mut self, error: Option<String>, cause: Option<String>) {
        let details = ErrorDetails { error, cause };
        let last = self.next_event_id - 1;
        self.record(last, EventDetails::ExecutionAborted(details.clone()));
        self.finish(Status::Aborted(details));
    }

    /// A random number for jitter, task tokens, `States.UUID`, ….
    pub(crate) fn entropy(&mut self) -> &mut crate::random::SplitMix64 {
        &mut self.rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_facts_recorded_before_time_ordered_tokens_keep_random_tokens() {
        let recorded = serde_json::json!({
            "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:m:e",
            "name": "e",
            "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "state_machine_name": "m",
            "role_arn": "arn:aws:iam::123456789012:role/r",
            "region": "us-east-1",
            "account": "123456789012",
            "redrive_count": 0,
            "input_text": null,
            "seed": 3
        });
        let info: ExecutionInfo = serde_json::from_value(recorded).unwrap();
        assert!(!info.time_ordered_tokens);
    }
}
