//! One running Standard execution in memory (its [`Actor`]), the journal entries
//! that rebuild it, and the translation of an engine `Decision` into the store
//! `Transition` that makes it durable.
//!
//! The same bookkeeping runs live and during replay, so the pending tasks and
//! armed timers a recovered actor knows are exactly those the store holds rows for.

use std::collections::{HashMap, HashSet};

use engine::{Command, Decision, Execution, ExecutionInfo, Input, Limits, Status, TaskRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{Ending, EventRow, ExecutionStatus, NewOutboxRow, NewTaskToken, NewTimer, Transition};

use crate::nested::ParentLink;

/// What a journal row holds: the facts an execution started from (version 1),
/// then every input it handled, with the time it was handled at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Entry {
    Start(Box<StartFacts>),
    Input {
        input: Input,
        now: i64,
        /// The activities found missing before it (`Execution::set_missing_activities`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        missing: Vec<String>,
    },
    /// Several inputs committed by one transition (a worker's start of an
    /// activity task held back and committed with the task's answer).
    Inputs(Vec<TimedInput>),
}

/// One input and the time it was handled at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TimedInput {
    pub input: Input,
    pub now: i64,
    /// The activities found missing before it (`Execution::set_missing_activities`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

impl Entry {
    /// The journal entry of inputs handled by one transition.
    pub fn of_inputs(mut inputs: Vec<TimedInput>) -> Entry {
        if inputs.len() == 1
            && let Some(TimedInput {
                input,
                now,
                missing,
            }) = inputs.pop()
        {
            return Entry::Input {
                input,
                now,
                missing,
            };
        }
        Entry::Inputs(inputs)
    }
}

/// A transition applied in memory but not yet committed, with the inputs
/// whose journal entry it will carry.
pub(crate) struct Held {
    pub transition: Transition,
    pub inputs: Vec<TimedInput>,
}

/// Everything `Execution::start` took, so a replay starts identically even after
/// the state machine was updated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StartFacts {
    pub info: ExecutionInfo,
    pub input: String,
    pub now: i64,
    pub definition: String,
    pub limits: Limits,
    /// The `startExecution.sync` task of another execution waiting for this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    /// The mock test case it runs (`<ARN>#<TestCaseName>`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mock_case: Option<String>,
}

/// One running execution: inputs are applied under its lock, one at a time.
pub(crate) struct Actor {
    pub arn: String,
    pub state: tokio::sync::Mutex<ActorState>,
}

/// The folded execution and what the store holds for it.
pub(crate) struct ActorState {
    pub exec: Execution,
    /// The store's version of the execution (compare-and-set).
    pub version: i64,
    /// Timers with a durable row.
    pub timers: HashSet<u64>,
    /// Tasks with an outbox row or awaiting a callback.
    pub tasks: HashMap<u64, PendingTask>,
    /// The parent task told when this execution ends (nested `.sync`).
    pub parent: Option<ParentLink>,
    /// When the execution started (epoch ms), for its parent's result.
    pub started_at: i64,
    /// The last `now` handed to the engine (time never runs backwards for it).
    pub last_now: i64,
    pub ended: bool,
    /// Tasks abandoned by the inputs applied since the last commit (timed out,
    /// stopped): their invocations are stopped once that commit is durable.
    pub cancelled: Vec<u64>,
    /// Dropped from memory while it waits on timers only: whoever still holds
    /// this actor must load the execution again (it is rebuilt from its journal).
    pub evicted: bool,
    /// An activity task's start, handed to its worker and not yet committed:
    /// the next transition of this execution carries it, or a flush shortly after.
    pub held: Option<Held>,
}

impl ActorState {
    pub fn new(exec: Execution, now: i64) -> Self {
        ActorState {
            exec,
            version: 0,
            timers: HashSet::new(),
            tasks: HashMap::new(),
            parent: None,
            started_at: now,
            last_now: now,
            ended: false,
            cancelled: Vec::new(),
            evicted: false,
            held: None,
        }
    }

    /// Notes what an input settles before the engine sees it: the task it answers
    /// loses its outbox row and token, the timer that fired its row.
    pub fn before_input(&mut self, input: &Input, t: &mut Transition) {
        match input {
            Input::TaskSucceeded { task, .. }
            | Input::TaskFailed { task, .. }
            | Input::TaskTimedOut { task } => self.forget_task(*task, t, false),
            Input::TaskSubmitted { task, output } => {
                if let Some(p) = self.tasks.get_mut(task) {
                    p.submitted = true;
                    p.drop_outbox(*task, t);
                    if crate::nested::stops_with_parent(&p.request.resource) {
                        p.child = output
                            .get("ExecutionArn")
                            .and_then(Value::as_str)
                            .map(str::to_string);
                    }
                }
            }
            Input::TaskStarted { task, .. } => {
                if let Some(p) = self.tasks.get_mut(task) {
                    p.started = true;
                    p.submitted = true;
                    p.drop_outbox(*task, t);
                }
            }
            Input::TimerFired { timer } => {
                if self.timers.remove(timer) {
                    t.timers_remove.push(*timer as i64);
                }
            }
            Input::TaskHeartbeat { .. } | Input::Stop { .. } | Input::Redrive => {}
        }
    }

    /// The task ended: its outbox row and token go. A `.sync` child of a task
    /// that ended without the child's answer (timeout, stop, execution end) is
    /// stopped through its inbox, in the same transaction.
    fn forget_task(&mut self, task: u64, t: &mut Transition, stop_child: bool) {
        if let Some(mut p) = self.tasks.remove(&task) {
            p.drop_outbox(task, t);
            if let Some(token) = p.request.task_token {
                t.tokens_invalidate.push(token);
            }
            if stop_child {
                self.cancelled.push(task);
            }
            if stop_child && let Some(child) = p.child {
                t.inbox_add.push(crate::nested::stop_row(
                    &t.execution_arn,
                    &child,
                    self.last_now,
                ));
            }
        }
    }

    /// Folds a decision into the bookkeeping and the transition; returns the
    /// tasks to invoke once the transition is durable.
    pub fn absorb(
        &mut self,
        arn: &str,
        decision: &Decision,
        t: &mut Transition,
    ) -> Vec<TaskRequest> {
        if self.ended && *self.exec.status() == Status::Running {
            // A redrive brought the closed execution back.
            self.ended = false;
            t.redrive = Some(self.last_now);
        }
        t.events
            .extend(decision.events.iter().map(EventRow::from_event));
        let mut invoke = Vec::new();
        for c in &decision.commands {
            match c {
                Command::InvokeTask(req) => {
                    // An activity task waits in an in-memory queue rebuilt by
                    // replay: no dispatcher would read an outbox row for it.
                    let outbox = !crate::activities::is_activity(&req.resource);
                    if outbox {
                        t.outbox_add.push(NewOutboxRow {
                            task_id: req.task as i64,
                            kind: "invoke".to_string(),
                            payload: serde_json::to_string(req).unwrap_or_default(),
                            idempotency_key: format!("{arn}#task-{}", req.task),
                        });
                    }
                    if let Some(token) = &req.task_token {
                        t.tokens_add.push(NewTaskToken {
                            token: token.clone(),
                            task_id: req.task as i64,
                        });
                    }
                    self.tasks.insert(
                        req.task,
                        PendingTask {
                            request: req.clone(),
                            submitted: false,
                            started: false,
                            outbox,
                            child: None,
                        },
                    );
                    invoke.push(req.clone());
                }
                Command::StartTimer { timer, fire_at } => {
                    self.timers.insert(*timer);
                    t.timers_add.push(NewTimer {
                        timer_id: *timer as i64,
                        fire_at: *fire_at,
                        payload: serde_json::to_string(&Input::TimerFired { timer: *timer })
                            .unwrap_or_default(),
                    });
                }
                Command::CancelTimer { timer } => {
                    if self.timers.remove(timer) {
                        t.timers_remove.push(*timer as i64);
                    }
                }
                Command::CancelTask { task } => self.forget_task(*task, t, true),
            }
        }
        if *self.exec.status() != Status::Running && !self.ended {
            self.ended = true;
            t.ending = Some(ending(self.exec.status(), self.last_now));
            for timer in self.timers.drain() {
                t.timers_remove.push(timer as i64);
            }
            let tasks: Vec<u64> = self.tasks.keys().copied().collect();
            for task in tasks {
                self.forget_task(task, t, true);
            }
            invoke.clear();
            if let (Some(parent), Some(ending)) = (&self.parent, &t.ending) {
                t.inbox_add.push(crate::nested::result_row(
                    parent,
                    &self.exec,
                    self.started_at,
                    ending,
                ));
            }
        }
        invoke
    }

    /// Tasks invoked whose result is not recorded: to invoke (again) on recovery.
    pub fn pending_invocations(&self) -> Vec<TaskRequest> {
        let mut v: Vec<TaskRequest> = self
            .tasks
            .values()
            .filter(|p| !p.submitted)
            .map(|p| p.request.clone())
            .collect();
        v.sort_by_key(|r| r.task);
        v
    }
}

/// A task invoked and not yet answered.
pub(crate) struct PendingTask {
    pub request: TaskRequest,
    /// The service accepted it (`TaskSubmitted`) or a worker took it
    /// (`ActivityStarted`): it is not invoked again after a restart.
    pub submitted: bool,
    /// An activity task a worker took.
    pub started: bool,
    /// The task has an outbox row (activity tasks have none).
    pub outbox: bool,
    /// The execution a `startExecution.sync` task started.
    pub child: Option<String>,
}

impl PendingTask {
    /// The task's outbox row goes with transition `t`, if it has one.
    fn drop_outbox(&mut self, task: u64, t: &mut Transition) {
        if self.outbox {
            self.outbox = false;
            t.outbox_remove.push(task as i64);
        }
    }
}

/// The stored end of an execution whose engine status is not Running.
pub(crate) fn ending(status: &Status, now: i64) -> Ending {
    let (status, output, details) = match status {
        Status::Running | Status::Succeeded { .. } => {
            let output = match status {
                Status::Succeeded { output } => Some(output.to_string()),
                _ => None,
            };
            (ExecutionStatus::Succeeded, output, None)
        }
        Status::Failed(d) => (ExecutionStatus::Failed, None, Some(d)),
        Status::TimedOut(d) => (ExecutionStatus::TimedOut, None, Some(d)),
        Status::Aborted(d) => (ExecutionStatus::Aborted, None, Some(d)),
    };
    Ending {
        status,
        output,
        error: details.and_then(|d| d.error.clone()),
        cause: details.and_then(|d| d.cause.clone()),
        stopped_at: now,
    }
}
