//! Standard executions, live: start, apply an input (commit first, then act),
//! task dispatch, inbox delivery and stop.
//!
//! Every change goes through [`apply`]: under the actor's lock the engine handles
//! the input, the resulting transition (events, end, timers, outbox, tokens and
//! the journal entry) is committed, and only then are tasks invoked. A failed
//! commit leaves the in-memory state ahead of the store, so the actor is dropped
//! and rebuilt from the journal.

use std::sync::Arc;

use engine::{Execution, Input, TaskRequest};
use serde_json::Value;
use store::{CommitOutcome, NewExecution, StartOutcome, Transition};

use crate::core::{Counters, Inner, lock, now_ms};
use crate::journal::{Actor, ActorState, Entry, Held, StartFacts, TimedInput};
use crate::start::Resolved;
use crate::{Error, Result, Started};

/// Starts a Standard execution: durable when this returns.
pub(crate) async fn start(
    inner: &Arc<Inner>,
    target: Resolved,
    name: String,
    input_text: String,
    input: Value,
) -> Result<Started> {
    start_linked(inner, target, name, input_text, input, None).await
}

/// Starts a Standard execution whose end answers `parent`'s task (nested `.sync`).
pub(crate) async fn start_linked(
    inner: &Arc<Inner>,
    target: Resolved,
    name: String,
    input_text: String,
    input: Value,
    parent: Option<crate::nested::ParentLink>,
) -> Result<Started> {
    let arn = crate::arn::execution_arn(&target.machine_arn, &name);
    if let Some(existing) = inner.actor(&arn) {
        // A start of the same name may still be committing: wait for it.
        drop(existing.state.lock().await);
        return idempotent(inner, &arn, &input_text).await;
    }
    let plan = inner.plan(&target.definition, false)?;
    let now = now_ms();
    let info = engine::ExecutionInfo {
        execution_arn: arn.clone(),
        name: name.clone(),
        state_machine_arn: target.machine_arn.clone(),
        state_machine_name: crate::arn::machine_name(&target.machine_arn).to_string(),
        role_arn: target.role_arn.clone(),
        region: inner.config.region.clone(),
        account: inner.config.account.clone(),
        redrive_count: 0,
        state_machine_version_arn: target.version_arn.clone(),
        state_machine_alias_arn: target.alias_arn.clone(),
        input_text: Some(input_text.as_str().into()),
        seed: crate::arn::random_u64(),
        time_ordered_tokens: true,
        missing_activities: crate::activities::missing(inner, plan.activities()).await,
    };
    let limits = engine::Limits {
        keep_events: true,
        ..inner.config.limits.clone()
    };
    let facts = StartFacts {
        info: info.clone(),
        input: input_text.clone(),
        now,
        definition: target.definition.clone(),
        limits: limits.clone(),
        mock_case: target.mock_case.clone(),
        parent: parent.clone(),
    };
    let (exec, decision) = Execution::start(plan, info, input, limits, now);
    let mut state = ActorState::new(exec, now);
    state.parent = parent;
    let mut first = Transition::new(&arn, 0);
    first.journal = Some(journal_text(&Entry::Start(Box::new(facts)))?);
    let invoke = state.absorb(&arn, &decision, &mut first);
    let timers_added = !first.timers_add.is_empty() || !first.inbox_add.is_empty();
    let resident = wakes_soon(&first, now);
    let actor = Arc::new(Actor {
        arn: arn.clone(),
        state: tokio::sync::Mutex::new(state),
    });
    // Hold the lock while committing: inputs for this execution wait for it.
    let mut guard = actor.state.lock().await;
    let other = {
        let mut actors = lock(&inner.actors);
        let other = actors.get(&arn).cloned();
        if other.is_none() {
            actors.insert(arn.clone(), Arc::clone(&actor));
        }
        other
    };
    if let Some(other) = other {
        drop(guard);
        drop(other.state.lock().await);
        return idempotent(inner, &arn, &input_text).await;
    }
    let new = NewExecution {
        arn: arn.clone(),
        state_machine_arn: target.machine_arn.clone(),
        state_machine_version_arn: target.version_arn.clone(),
        state_machine_alias_arn: target.alias_arn.clone(),
        name,
        input: input_text.clone(),
        started_at: now,
    };
    let outcome = inner.store(move |s| s.start_execution(new, first)).await;
    match outcome {
        Ok(StartOutcome::Started) => {
            guard.version = 1;
            if guard.ended {
                lock(&inner.actors).remove(&arn);
            } else if !resident {
                evict_if_idle(inner, &actor, &mut guard);
            }
            drop(guard);
            if timers_added {
                inner.timer_wake.notify_one();
            }
            for req in invoke {
                dispatch(inner, &arn, req);
            }
            Ok(Started {
                execution_arn: arn,
                start_date_ms: now,
            })
        }
        Ok(StartOutcome::Existing(_)) | Err(_) => {
            guard.ended = true;
            lock(&inner.actors).remove(&arn);
            drop(guard);
            outcome?;
            idempotent(inner, &arn, &input_text).await
        }
    }
}

/// StartExecution of a name already taken: the same running execution with the
/// same input is the same request again; anything else is a conflict.
async fn idempotent(inner: &Arc<Inner>, arn: &str, input_text: &str) -> Result<Started> {
    let owned = arn.to_string();
    let e = inner
        .store(move |s| s.describe_execution(&owned))
        .await
        .map_err(|_| Error::ExecutionAlreadyExists(arn.to_string()))?;
    if e.status == store::ExecutionStatus::Running && e.input == input_text {
        Ok(Started {
            execution_arn: e.arn,
            start_date_ms: e.started_at,
        })
    } else {
        Err(Error::ExecutionAlreadyExists(arn.to_string()))
    }
}

pub(crate) fn journal_text(entry: &Entry) -> Result<String> {
    serde_json::to_string(entry).map_err(|e| Error::Internal(format!("journal entry: {e}")))
}

/// What [`apply`] did.
pub(crate) enum Applied {
    /// Committed at this time.
    Done { now: i64 },
    /// The execution is not running (any more); nothing was written.
    NotRunning,
}

/// Applies one input to a running execution and makes it durable, then carries
/// out its commands. `inbox` rows are consumed in the same transaction.
pub(crate) async fn apply(
    inner: &Arc<Inner>,
    actor: &Arc<Actor>,
    input: Input,
    inbox: Vec<i64>,
) -> Result<Applied> {
    let mut actor = Arc::clone(actor);
    loop {
        let mut st = actor.state.lock().await;
        if !st.evicted {
            return apply_locked(inner, &actor, &mut st, input, inbox).await;
        }
        drop(st);
        match crate::recovery::load(inner, &actor.arn).await? {
            Some(fresh) => actor = fresh,
            None => return Ok(Applied::NotRunning),
        }
    }
}

/// Keep an execution whose next timer is this close in memory: rebuilding it
/// would cost more than it saves.
const RESIDENT_WAIT_MS: i64 = 2_000;

/// True if `t` arms a timer that fires within [`RESIDENT_WAIT_MS`].
fn wakes_soon(t: &Transition, now: i64) -> bool {
    t.timers_add
        .iter()
        .any(|timer| timer.fire_at - now < RESIDENT_WAIT_MS)
}

/// Drops a running execution that waits on timers only (no task, token,
/// activity or child execution in flight) from memory: a waiting execution
/// costs rows, not memory. The next input rebuilds it from its journal
/// ([`crate::recovery::load`]); holders of this actor see `evicted` and load
/// again. Call with the actor's lock held, after its last commit.
pub(crate) fn evict_if_idle(inner: &Inner, actor: &Arc<Actor>, st: &mut ActorState) {
    if st.ended || st.evicted || !st.tasks.is_empty() {
        return;
    }
    let mut actors = lock(&inner.actors);
    if actors
        .get(&actor.arn)
        .is_some_and(|a| Arc::ptr_eq(a, actor))
    {
        actors.remove(&actor.arn);
        st.evicted = true;
        Counters::bump(&inner.stats.evictions);
    }
}

pub(crate) async fn apply_locked(
    inner: &Arc<Inner>,
    actor: &Arc<Actor>,
    st: &mut ActorState,
    input: Input,
    inbox: Vec<i64>,
) -> Result<Applied> {
    apply_or_hold(inner, actor, st, input, inbox, false).await
}

/// How long a worker's start of an activity task may wait for the task's
/// answer to share its commit before it is committed alone.
const HOLD_START: std::time::Duration = std::time::Duration::from_millis(50);

/// Applies `input`; with `hold`, a transition that only records events (a
/// worker's `ActivityStarted`) is kept in memory instead of committed: the
/// execution's next transition (usually the task's answer) commits it too,
/// else a flush [`HOLD_START`] later. See `activities::take` for why the
/// worker may have its task before that commit.
pub(crate) async fn apply_or_hold(
    inner: &Arc<Inner>,
    actor: &Arc<Actor>,
    st: &mut ActorState,
    input: Input,
    inbox: Vec<i64>,
    hold: bool,
) -> Result<Applied> {
    if st.ended {
        return Ok(Applied::NotRunning);
    }
    if st.evicted {
        // Only `apply` and `deliver_inbox` reach an evicted actor (it has no
        // tasks for the activity paths to find); they load it again first.
        return Err(Error::Internal(format!(
            "{} was evicted; load it again",
            actor.arn
        )));
    }
    let now = now_ms().max(st.last_now);
    st.last_now = now;
    let arn = actor.arn.as_str();
    let (mut t, mut inputs) = match st.held.take() {
        Some(held) => (held.transition, held.inputs),
        None => (Transition::new(arn, st.version), Vec::new()),
    };
    let held_timers = t.timers_add.len();
    t.inbox_consumed.extend(inbox);
    let missing = crate::activities::missing(inner, st.exec.plan().activities()).await;
    st.exec.set_missing_activities(missing.clone());
    inputs.push(TimedInput {
        input: input.clone(),
        now,
        missing,
    });
    st.before_input(&input, &mut t);
    let decision = st.exec.handle(input, now);
    let invoke = st.absorb(arn, &decision, &mut t);
    if held_timers > 0 && !t.timers_remove.is_empty() {
        // A timer the held part armed and this input removed: rows are removed
        // before rows are added, so the combined transition must not add it.
        let removed = t.timers_remove.clone();
        let mut i = 0;
        t.timers_add.retain(|timer| {
            i += 1;
            i > held_timers || !removed.contains(&timer.timer_id)
        });
    }
    if hold && invoke.is_empty() && st.cancelled.is_empty() && only_events(&t) {
        st.held = Some(Held {
            transition: t,
            inputs,
        });
        let (inner, actor) = (Arc::clone(inner), Arc::clone(actor));
        tokio::spawn(async move {
            tokio::time::sleep(HOLD_START).await;
            let mut st = actor.state.lock().await;
            if let Err(e) = flush(&inner, &actor, &mut st).await {
                eprintln!("stepwise runtime: {}: {e}", actor.arn);
            }
        });
        return Ok(Applied::Done { now });
    }
    commit_locked(inner, actor, st, t, inputs, invoke, now).await
}

/// True if `t` writes history events and timers only.
fn only_events(t: &Transition) -> bool {
    t.ending.is_none()
        && t.redrive.is_none()
        && t.timers_remove.is_empty()
        && t.outbox_add.is_empty()
        && t.outbox_remove.is_empty()
        && t.inbox_consumed.is_empty()
        && t.inbox_add.is_empty()
        && t.tokens_add.is_empty()
        && t.tokens_invalidate.is_empty()
}

/// Commits the held transition, if any (and the execution still runs).
pub(crate) async fn flush(
    inner: &Arc<Inner>,
    actor: &Arc<Actor>,
    st: &mut ActorState,
) -> Result<()> {
    if st.ended || st.evicted {
        return Ok(());
    }
    let Some(held) = st.held.take() else {
        return Ok(());
    };
    let now = st.last_now;
    commit_locked(
        inner,
        actor,
        st,
        held.transition,
        held.inputs,
        Vec::new(),
        now,
    )
    .await?;
    Ok(())
}

/// Makes transition `t` (the effect of `inputs`) durable, then acts on it.
async fn commit_locked(
    inner: &Arc<Inner>,
    actor: &Arc<Actor>,
    st: &mut ActorState,
    mut t: Transition,
    inputs: Vec<TimedInput>,
    invoke: Vec<TaskRequest>,
    now: i64,
) -> Result<Applied> {
    let arn = actor.arn.as_str();
    t.journal = Some(journal_text(&Entry::of_inputs(inputs))?);
    let timers_added = !t.timers_add.is_empty() || !t.inbox_add.is_empty();
    let resident = wakes_soon(&t, now);
    let result = inner.commit(vec![t]).await;
    match result {
        Ok(outcomes) => match outcomes.first() {
            Some(CommitOutcome::Committed { version }) => st.version = *version,
            other => {
                let what = format!("{other:?}");
                return Err(fail_commit(inner, actor, st, what).await);
            }
        },
        Err(e) => return Err(fail_commit(inner, actor, st, e.to_string()).await),
    }
    inner.in_flight.cancel(arn, st.cancelled.drain(..));
    if st.ended {
        let mut actors = lock(&inner.actors);
        if actors.get(arn).is_some_and(|a| Arc::ptr_eq(a, actor)) {
            actors.remove(arn);
        }
    } else if !resident {
        evict_if_idle(inner, actor, st);
    }
    if timers_added {
        inner.timer_wake.notify_one();
    }
    for req in invoke {
        dispatch(inner, arn, req);
    }
    Ok(Applied::Done { now })
}

/// A commit failed: the memory is ahead of the store. Drop this actor and
/// rebuild the execution from its journal.
async fn fail_commit(
    inner: &Arc<Inner>,
    actor: &Arc<Actor>,
    st: &mut ActorState,
    what: String,
) -> Error {
    Counters::bump(&inner.stats.commit_failures);
    eprintln!(
        "stepwise runtime: commit for {} failed ({what}); rebuilding it from its journal",
        actor.arn
    );
    st.ended = true;
    {
        let mut actors = lock(&inner.actors);
        if actors
            .get(&actor.arn)
            .is_some_and(|a| Arc::ptr_eq(a, actor))
        {
            actors.remove(&actor.arn);
        }
    }
    let inner2 = Arc::clone(inner);
    let arn = actor.arn.clone();
    tokio::spawn(async move {
        if let Err(e) = crate::recovery::recover_one(&inner2, &arn).await {
            eprintln!("stepwise runtime: cannot rebuild {arn}: {e}");
        }
    });
    Error::Internal(format!("commit failed: {what}"))
}

/// Feeds an input to a running execution; a finished or unknown one ignores it.
pub(crate) async fn deliver(inner: &Arc<Inner>, arn: &str, input: Input) -> Result<Applied> {
    match crate::recovery::load(inner, arn).await? {
        Some(actor) => apply(inner, &actor, input, Vec::new()).await,
        None => Ok(Applied::NotRunning),
    }
}

/// Invokes a task in the background; its outcome comes back as input(s).
/// Unless a mock answers it: activity tasks wait in their activity's queue
/// for a worker; nested executions are started here; every other resource
/// goes to the invoker. For `.waitForTaskToken` the invoker's answer is only
/// the `TaskSubmitted` response (the token was stored with the step that
/// scheduled the task): the task ends with SendTask* or its timeouts.
pub(crate) fn dispatch(inner: &Arc<Inner>, arn: &str, req: TaskRequest) {
    let real = !crate::mocks::mocks_state(inner, arn, &req.state_name);
    if real && crate::activities::is_activity(&req.resource) {
        crate::activities::enqueue(inner, arn, &req);
        return;
    }
    let nested = real && crate::nested::handles(&req.resource);
    // A nested child is stopped through its inbox instead (`forget_task`).
    let cancelled = (!nested).then(|| inner.in_flight.register(arn, req.task));
    let stops_child = nested && crate::nested::stops_with_parent(&req.resource);
    let inner = Arc::clone(inner);
    let arn = arn.to_string();
    tokio::spawn(async move {
        let task = req.task;
        let inputs = match cancelled {
            None => crate::nested::run(&inner, &arn, &req).await,
            Some(cancelled) => {
                let callback = real && req.resource.ends_with(".waitForTaskToken");
                let outcome = tokio::select! {
                    outcome = crate::mocks::invoke(&inner, &arn, req) => outcome,
                    // Abandoned: dropping the invocation stops its process.
                    _ = cancelled => return,
                };
                inner.in_flight.finished(&arn, task);
                if callback {
                    crate::invoker::callback_inputs(task, outcome)
                } else {
                    crate::invoker::outcome_inputs(task, outcome)
                }
            }
        };
        let mut child = None;
        for input in inputs {
            if let Input::TaskSubmitted { output, .. } = &input
                && stops_child
            {
                child = output
                    .get("ExecutionArn")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            match deliver(&inner, &arn, input).await {
                Ok(Applied::NotRunning) => break,
                Ok(Applied::Done { .. }) => {}
                Err(e) => {
                    eprintln!("stepwise runtime: result of task {task} of {arn}: {e}");
                    return;
                }
            }
        }
        // The parent learnt the child's ARN only now: if its task ended
        // meanwhile, nothing else stops the child.
        if let Some(child) = child
            && let Err(e) = crate::nested::stop_if_orphaned(&inner, &child).await
        {
            eprintln!("stepwise runtime: stopping {child}, child of {arn}: {e}");
        }
    });
}

/// Hands an execution's visible inbox rows (fired timers, …) to it, in order.
/// Rows of an execution that is no longer running are consumed without effect.
pub(crate) async fn deliver_inbox(inner: &Arc<Inner>, arn: &str) -> Result<()> {
    'load: loop {
        let Some(actor) = crate::recovery::load(inner, arn).await? else {
            return discard_inbox(inner, arn).await;
        };
        let mut st = actor.state.lock().await;
        if st.evicted {
            continue 'load;
        }
        loop {
            let owned = arn.to_string();
            let rows = inner.store(move |s| s.inbox(&owned, now_ms())).await?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in rows {
                let input: Input = match serde_json::from_str(&row.payload) {
                    Ok(i) => i,
                    Err(e) => {
                        eprintln!(
                            "stepwise runtime: unreadable inbox row {} of {arn}: {e}",
                            row.id
                        );
                        continue;
                    }
                };
                if let Applied::NotRunning =
                    apply_locked(inner, &actor, &mut st, input, vec![row.id]).await?
                {
                    drop(st);
                    return discard_inbox(inner, arn).await;
                }
                if st.evicted {
                    // Waiting again: reload it only for rows still waiting.
                    drop(st);
                    let owned = arn.to_string();
                    if inner
                        .store(move |s| s.inbox(&owned, now_ms()))
                        .await?
                        .is_empty()
                    {
                        return Ok(());
                    }
                    continue 'load;
                }
            }
        }
    }
}

/// Consumes the inbox rows of an execution that is not running (a timer that
/// fired as it ended). A running one not yet in memory keeps them for later.
async fn discard_inbox(inner: &Arc<Inner>, arn: &str) -> Result<()> {
    let owned = arn.to_string();
    let state = match inner.store(move |s| s.execution_state(&owned)).await {
        Ok(s) => s,
        Err(Error::Store(store::Error::NotFound { .. })) => return Ok(()),
        Err(e) => return Err(e),
    };
    if state.status == store::ExecutionStatus::Running {
        return Ok(());
    }
    let owned = arn.to_string();
    let rows = inner.store(move |s| s.inbox(&owned, i64::MAX)).await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut t = Transition::new(arn, state.version);
    t.inbox_consumed = rows.iter().map(|r| r.id).collect();
    inner.store(move |s| s.commit(vec![t])).await?;
    Ok(())
}

/// StopExecution: the stop is applied like any input; the stop date is the time
/// of its transition. Stopping a closed execution returns its stop date.
pub(crate) async fn stop(
    inner: &Arc<Inner>,
    arn: &str,
    error: Option<String>,
    cause: Option<String>,
) -> Result<i64> {
    crate::arn::check_execution_arn(arn)?;
    if let Some(actor) = crate::recovery::load(inner, arn).await?
        && let Applied::Done { now } =
            apply(inner, &actor, Input::Stop { error, cause }, Vec::new()).await?
    {
        return Ok(now);
    }
    let owned = arn.to_string();
    match inner.store(move |s| s.describe_execution(&owned)).await {
        Ok(e) => Ok(e.stopped_at.unwrap_or_else(now_ms)),
        Err(Error::Store(store::Error::NotFound { .. })) => {
            Err(Error::ExecutionDoesNotExist(arn.to_string()))
        }
        Err(e) => Err(e),
    }
}
