//! RedriveExecution: a closed Standard execution (FAILED, TIMED_OUT or ABORTED)
//! is rebuilt from its journal and handed `Input::Redrive`; the engine records
//! `ExecutionRedriven` and re-enters the state the execution ended in. The
//! transition is committed like any other (its journal entry is the redrive, so
//! recovery replays it), and the execution is RUNNING again.
//!
//! AWS's rules, checked before anything is written: Express executions are not
//! redriven (they are never stored here, so they do not exist); the status must
//! be FAILED, TIMED_OUT or ABORTED; at most 1000 redrives; within 14 days of the
//! stop; within a year of the start; under the 25,000-event history limit.

use std::sync::Arc;

use engine::Input;
use store::{CommitOutcome, ExecutionStatus, Transition};

use crate::core::{Inner, lock, now_ms};
use crate::journal::{Actor, Entry};
use crate::{Error, Result};

/// Most redrives of one execution (AWS's quota).
pub const MAX_REDRIVES: i64 = 1000;
/// How long after it stopped an execution can be redriven (AWS: 14 days).
pub const REDRIVABLE_PERIOD_MS: i64 = 14 * 24 * 3600 * 1000;
/// The longest an execution may stay open (AWS: one year).
const MAX_OPEN_MS: i64 = 365 * 24 * 3600 * 1000;
/// AWS's execution history limit.
const MAX_EVENTS: i64 = 25_000;
/// How long a client token answers with the same redrive (AWS: 15 minutes).
const TOKEN_TTL_MS: i64 = 15 * 60 * 1000;

/// Why `e` cannot be redriven at `now`, in the words of DescribeExecution's
/// `redriveStatusReason`; `None` if it can.
pub fn not_redrivable_reason(e: &store::Execution, now: i64) -> Option<String> {
    match e.status {
        ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted => {}
        s => return Some(format!("Execution is {s} and cannot be redriven")),
    }
    if e.redrive_count >= MAX_REDRIVES {
        return Some("Execution redrive count limit exceeded".to_string());
    }
    if e.next_event_id > MAX_EVENTS {
        return Some("Execution history event limit exceeded".to_string());
    }
    if now - e.started_at > MAX_OPEN_MS {
        return Some("Execution has exceeded the max execution time".to_string());
    }
    if e.stopped_at.is_some_and(|t| now - t > REDRIVABLE_PERIOD_MS) {
        return Some("Execution redrivable period exceeded".to_string());
    }
    None
}

/// Redrives `arn`; returns the redrive date (epoch ms).
pub(crate) async fn redrive(
    inner: &Arc<Inner>,
    arn: &str,
    client_token: Option<String>,
) -> Result<i64> {
    crate::arn::check_execution_arn(arn)?;
    let token_key = client_token.map(|t| (arn.to_string(), t));
    if let Some(key) = &token_key {
        let tokens = lock(&inner.redrive_tokens);
        if let Some(&at) = tokens.get(key)
            && now_ms() - at < TOKEN_TTL_MS
        {
            return Ok(at);
        }
    }
    let running =
        || Error::ExecutionNotRedrivable("Execution is RUNNING and cannot be redriven".into());
    if let Some(actor) = inner.actor(arn) {
        // The transition that ended it is visible to readers as soon as it commits,
        // before its actor retires: wait for that transition, then look again.
        drop(actor.state.lock().await);
        if inner.actor(arn).is_some() {
            return Err(running());
        }
    }
    let owned = arn.to_string();
    let e = match inner.store(move |s| s.describe_execution(&owned)).await {
        Ok(e) => e,
        Err(Error::Store(store::Error::NotFound { .. })) => {
            return Err(Error::ExecutionDoesNotExist(arn.to_string()));
        }
        Err(e) => return Err(e),
    };
    if let Some(reason) = not_redrivable_reason(&e, now_ms()) {
        return Err(Error::ExecutionNotRedrivable(reason));
    }
    let journal = crate::recovery::read_journal(inner, arn).await?;
    let Some((mut st, _)) = crate::recovery::replay(inner, arn, &journal)? else {
        return Err(Error::Internal(format!(
            "{arn} has no start entry in its journal"
        )));
    };
    st.version = e.version;
    let now = now_ms().max(st.last_now);
    st.last_now = now;
    let mut t = Transition::new(arn, st.version);
    let missing = crate::activities::missing(inner, st.exec.plan().activities()).await;
    st.exec.set_missing_activities(missing.clone());
    t.journal = Some(crate::standard::journal_text(&Entry::Input {
        input: Input::Redrive,
        now,
        missing,
    })?);
    let decision = st.exec.handle(Input::Redrive, now);
    if decision.events.is_empty() {
        return Err(Error::ExecutionNotRedrivable(
            "Execution has no state to be redriven from".into(),
        ));
    }
    let invoke = st.absorb(arn, &decision, &mut t);
    let timers_added = !t.timers_add.is_empty();
    let actor = Arc::new(Actor {
        arn: arn.to_string(),
        state: tokio::sync::Mutex::new(st),
    });
    // Hold the lock while committing: inputs for this execution wait for it.
    let mut guard = actor.state.lock().await;
    {
        let mut actors = lock(&inner.actors);
        if actors.contains_key(arn) {
            return Err(running());
        }
        actors.insert(arn.to_string(), Arc::clone(&actor));
    }
    let forget = |inner: &Inner| {
        let mut actors = lock(&inner.actors);
        if actors.get(arn).is_some_and(|a| Arc::ptr_eq(a, &actor)) {
            actors.remove(arn);
        }
    };
    match inner.store(move |s| s.commit(vec![t])).await {
        Ok(outcomes) => match outcomes.first() {
            Some(CommitOutcome::Committed { version }) => guard.version = *version,
            // Someone else changed it first (another redrive).
            _ => {
                guard.ended = true;
                forget(inner);
                return Err(running());
            }
        },
        Err(err) => {
            guard.ended = true;
            forget(inner);
            return Err(err);
        }
    }
    if guard.ended {
        forget(inner);
    }
    drop(guard);
    if timers_added {
        inner.timer_wake.notify_one();
    }
    for req in invoke {
        crate::standard::dispatch(inner, arn, req);
    }
    if let Some(key) = token_key {
        let mut tokens = lock(&inner.redrive_tokens);
        tokens.retain(|_, at| now - *at < TOKEN_TTL_MS);
        tokens.insert(key, now);
    }
    Ok(now)
}
