//! Activities and task tokens: GetActivityTask, SendTaskSuccess,
//! SendTaskFailure, SendTaskHeartbeat.
//!
//! An activity task is durable before a worker can see it: the step that
//! scheduled it committed its outbox row and its token (`task_tokens`). The
//! queue a worker polls is in memory, filled from there (live, and by recovery
//! for every task no worker took yet). Taking a task is a transition of its
//! execution (`ActivityStarted` with the worker's name), committed with the
//! task's answer or shortly after the worker got it (see [`take`]): after a
//! restart a task is queued again unless that start was committed.
//! A token is answered through its execution: the answer is applied only while
//! the execution still waits for that task, and the transition that ends the
//! task invalidates the token (single use).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::{Input, ResourceKind, TaskRequest};
use serde_json::Value;
use tokio::sync::Notify;

use crate::core::{Inner, lock};
use crate::standard::{Applied, apply_locked, apply_or_hold};
use crate::{Error, Result};

/// A task handed to a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityTask {
    pub task_token: String,
    /// The task's input as JSON text.
    pub input: String,
}

/// Activity queues by activity ARN.
#[derive(Default)]
pub(crate) struct Queues {
    queues: Mutex<HashMap<String, Arc<Queue>>>,
    /// Activities seen to exist (a task for any other is checked first).
    known: Mutex<std::collections::HashSet<String>>,
    /// Tokens handed to workers by this process: token → (execution, task),
    /// so that an answer needs no store read to find its execution.
    handed: Mutex<HashMap<String, (String, u64)>>,
}

/// Beyond this many unanswered tokens the index starts over (answers then
/// look their token up in the store).
const MAX_HANDED: usize = 100_000;

/// Forgets that an activity exists (DeleteActivity).
pub(crate) fn forget(inner: &Inner, activity: &str) {
    lock(&inner.activities.known).remove(activity);
}

#[derive(Default)]
struct Queue {
    items: Mutex<VecDeque<(String, u64)>>,
    ready: Notify,
}

impl Queues {
    fn get(&self, activity: &str) -> Arc<Queue> {
        Arc::clone(lock(&self.queues).entry(activity.to_string()).or_default())
    }
}

/// True for `arn:aws:states:<region>:<account>:activity:<name>`.
pub(crate) fn is_activity(resource: &str) -> bool {
    ResourceKind::of(resource) == ResourceKind::Activity
}

/// Puts a scheduled activity task in its queue and wakes one waiting worker.
/// A task for an activity that does not exist fails with `States.Runtime`
/// rather than wait for a worker that cannot come.
pub(crate) fn enqueue(inner: &Arc<Inner>, execution: &str, req: &TaskRequest) {
    if lock(&inner.activities.known).contains(&req.resource) {
        push(inner, execution, req.task, &req.resource);
        return;
    }
    let inner = Arc::clone(inner);
    let execution = execution.to_string();
    let (task, activity, state) = (req.task, req.resource.clone(), req.state_name.clone());
    tokio::spawn(async move {
        let owned = activity.clone();
        match inner.store(move |s| s.describe_activity(&owned)).await {
            Err(Error::Store(store::Error::NotFound { .. })) => {
                let failed = Input::TaskFailed {
                    task,
                    error: Some("States.Runtime".to_string()),
                    cause: Some(format!(
                        "An error occurred while executing the state '{state}'. The activity {activity} does not exist."
                    )),
                };
                if let Err(e) = crate::standard::deliver(&inner, &execution, failed).await {
                    eprintln!("stepwise runtime: task {task} of {execution}: {e}");
                }
            }
            Ok(_) => {
                lock(&inner.activities.known).insert(activity.clone());
                push(&inner, &execution, task, &activity);
            }
            // Queued also when the store cannot tell: a worker may still come.
            Err(_) => push(&inner, &execution, task, &activity),
        }
    });
}

/// The activities among `activities` that do not exist: an execution is told
/// before each input, so that a Task state for one fails as it is entered, as
/// on AWS. Existing ones are remembered; a store that cannot tell counts as
/// "exists" (the task then waits for a worker).
pub(crate) async fn missing(inner: &Arc<Inner>, activities: &[String]) -> Vec<String> {
    let mut missing = Vec::new();
    for activity in activities {
        if lock(&inner.activities.known).contains(activity) {
            continue;
        }
        let owned = activity.clone();
        match inner.store(move |s| s.describe_activity(&owned)).await {
            Err(Error::Store(store::Error::NotFound { .. })) => missing.push(activity.clone()),
            Ok(_) => {
                lock(&inner.activities.known).insert(activity.clone());
            }
            Err(_) => {}
        }
    }
    missing
}

fn push(inner: &Inner, execution: &str, task: u64, activity: &str) {
    let q = inner.activities.get(activity);
    lock(&q.items).push_back((execution.to_string(), task));
    q.ready.notify_one();
}

/// GetActivityTask: the oldest task no worker took, waiting up to `wait` for
/// one; `None` when none arrived.
pub(crate) async fn get_task(
    inner: &Arc<Inner>,
    activity: &str,
    worker_name: Option<String>,
    wait: Duration,
) -> Result<Option<ActivityTask>> {
    if !lock(&inner.activities.known).contains(activity) {
        let owned = activity.to_string();
        match inner.store(move |s| s.describe_activity(&owned)).await {
            Ok(_) => {}
            Err(Error::Store(store::Error::NotFound { .. })) => {
                return Err(Error::ActivityDoesNotExist(activity.to_string()));
            }
            Err(e) => return Err(e),
        }
        lock(&inner.activities.known).insert(activity.to_string());
    }
    let q = inner.activities.get(activity);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let next = lock(&q.items).pop_front();
        match next {
            Some((execution, task)) => {
                if let Some(t) = take(inner, &execution, task, worker_name.clone()).await? {
                    // More may be waiting: pass the wake-up on.
                    if !lock(&q.items).is_empty() {
                        q.ready.notify_one();
                    }
                    return Ok(Some(t));
                }
            }
            None => {
                if tokio::time::timeout_at(deadline, q.ready.notified())
                    .await
                    .is_err()
                {
                    return Ok(None);
                }
            }
        }
    }
}

/// Hands task `task` of `execution` to a worker: records `ActivityStarted`;
/// `None` if the task no longer waits for one (it timed out, the execution
/// ended).
///
/// The start is held in memory and committed with the execution's next
/// transition — the task's answer, typically milliseconds later — or alone
/// after `HOLD_START`: one commit per task instead of two. The worker gets its
/// task before the start is durable; a crash in between loses only the
/// `ActivityStarted` event: the task and its token were durable with the step
/// that scheduled it, so after a restart the task is offered again and the
/// first worker's token is still accepted (delivery is at least once: the
/// first answer ends the task, a later one finds the token spent).
async fn take(
    inner: &Arc<Inner>,
    execution: &str,
    task: u64,
    worker_name: Option<String>,
) -> Result<Option<ActivityTask>> {
    let Some(actor) = inner.actor(execution) else {
        return Ok(None);
    };
    let mut st = actor.state.lock().await;
    let (token, input) = match st.tasks.get(&task) {
        Some(p) if !p.started => (
            p.request.task_token.clone().unwrap_or_default(),
            p.request.parameters.to_string(),
        ),
        _ => return Ok(None),
    };
    let input_event = Input::TaskStarted { task, worker_name };
    match apply_or_hold(inner, &actor, &mut st, input_event, Vec::new(), true).await? {
        Applied::Done { .. } => {
            let mut handed = lock(&inner.activities.handed);
            if handed.len() >= MAX_HANDED {
                handed.clear();
            }
            handed.insert(token.clone(), (execution.to_string(), task));
            Ok(Some(ActivityTask {
                task_token: token,
                input,
            }))
        }
        Applied::NotRunning => Ok(None),
    }
}

/// What a worker reports with its token.
pub(crate) enum Answer {
    Success(String),
    Failure {
        error: Option<String>,
        cause: Option<String>,
    },
    Heartbeat,
}

/// True for text shaped like the tokens this runtime issues (a UUID).
fn well_formed(token: &str) -> bool {
    token.len() == 36
        && token.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.
pub(crate) async fn answer(inner: &Arc<Inner>, token: &str, answer: Answer) -> Result<()> {
    let output = match &answer {
        Answer::Success(text) => {
            let v: Value = serde_json::from_str(text)
                .map_err(|e| Error::InvalidOutput(format!("Invalid JSON: {e}")))?;
            if text.len() > inner.config.limits.max_payload_bytes {
                return Err(Error::InvalidOutput(
                    "The output exceeds the maximum number of bytes service limit".to_string(),
                ));
            }
            Some(v)
        }
        _ => None,
    };
    if !well_formed(token) {
        return Err(Error::InvalidToken);
    }
    let handed = lock(&inner.activities.handed).get(token).cloned();
    let (execution, task) = match handed {
        Some(found) => found,
        None => {
            let owned = token.to_string();
            let Some(row) = inner.store(move |s| s.task_token(&owned)).await? else {
                return Err(Error::TaskDoesNotExist);
            };
            if !row.active {
                return Err(Error::TaskTimedOut);
            }
            (row.execution_arn, row.task_id as u64)
        }
    };
    let closed = || {
        lock(&inner.activities.handed).remove(token);
        Error::TaskTimedOut
    };
    let Some(actor) = inner.actor(&execution) else {
        return Err(closed());
    };
    let mut st = actor.state.lock().await;
    // The execution still waits for this task, and this is its token.
    let Some(pending) = st
        .tasks
        .get(&task)
        .filter(|p| p.request.task_token.as_deref() == Some(token))
    else {
        return Err(closed());
    };
    let input = match answer {
        Answer::Success(_) => Input::TaskSucceeded {
            task,
            output: output.unwrap_or(Value::Null),
        },
        Answer::Failure { error, cause } => Input::TaskFailed { task, error, cause },
        Answer::Heartbeat => {
            if pending.request.heartbeat_seconds.is_none() {
                // Nothing to restart: no transition needed.
                return Ok(());
            }
            Input::TaskHeartbeat { task }
        }
    };
    let ends = !matches!(input, Input::TaskHeartbeat { .. });
    match apply_locked(inner, &actor, &mut st, input, Vec::new()).await? {
        Applied::Done { .. } => {
            if ends {
                lock(&inner.activities.handed).remove(token);
            }
            Ok(())
        }
        Applied::NotRunning => Err(closed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_recognised_by_shape() {
        assert!(well_formed("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!well_formed("0f8fad5b-d9cb-469f-a165-70867728950"));
        assert!(!well_formed("0f8fad5bxd9cb-469f-a165-70867728950e"));
        assert!(!well_formed("not a token"));
        assert!(!well_formed(""));
    }
}
