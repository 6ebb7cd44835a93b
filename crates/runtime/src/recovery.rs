//! Recovery: rebuilds each running Standard execution from its journal.
//!
//! `Execution::start` with the recorded facts, then every journaled input with its
//! recorded time: the engine is deterministic, so the events it produces must be
//! the stored history, byte for byte. A mismatch is reported loudly and that
//! execution is left alone (not resumed) rather than extended from a state that
//! disagrees with its history. Nothing durable is re-armed: timers are rows the
//! timer loop fires; tasks whose result is not recorded are invoked again.

use std::sync::Arc;

use engine::Execution;
use store::{EventRow, Transition};

use crate::core::{Counters, Inner, lock};
use crate::journal::{Actor, ActorState, Entry};
use crate::{Error, Result};

/// Rebuilds every RUNNING execution; returns how many were resumed.
pub(crate) async fn recover_all(inner: &Arc<Inner>) -> Result<usize> {
    let mut after: Option<String> = None;
    let mut resumed = 0;
    let mut children = Vec::new();
    loop {
        let cursor = after.clone();
        let batch = inner
            .store(move |s| s.running_executions(cursor.as_deref(), 200))
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.arn.clone());
        for state in batch {
            match recover_one(inner, &state.arn).await {
                Ok(Some(linked)) => {
                    resumed += 1;
                    if linked {
                        children.push(state.arn);
                    }
                }
                Ok(None) => {}
                Err(e) => eprintln!("stepwise runtime: cannot resume {}: {e}", state.arn),
            }
        }
    }
    // A crash between a child's start and its parent's record of it leaves a
    // child its parent cannot stop; every parent is back now, so ask each.
    for child in children {
        if let Err(e) = crate::nested::stop_if_orphaned(inner, &child).await {
            eprintln!("stepwise runtime: checking the parent of {child}: {e}");
        }
    }
    Ok(resumed)
}

/// Rebuilds one execution and puts it back to work (its unrecorded tasks are
/// invoked again; one that waits on timers only is evicted again at once):
/// whether it is a `.sync` child, or `None` if it was not resumed (already in
/// memory, not running, or its replay disagreed with its history).
pub(crate) async fn recover_one(inner: &Arc<Inner>, arn: &str) -> Result<Option<bool>> {
    if inner.actor(arn).is_some() {
        return Ok(None);
    }
    let Some(actor) = load(inner, arn).await? else {
        return Ok(None);
    };
    Counters::bump(&inner.stats.recovered);
    let linked = {
        let mut st = actor.state.lock().await;
        crate::standard::evict_if_idle(inner, &actor, &mut st);
        st.parent.is_some()
    };
    // Timers that fired into the inbox before the crash are picked up by the
    // timer loop's inbox sweep.
    inner.timer_wake.notify_one();
    Ok(Some(linked))
}

/// The actor of a running execution: the one in memory, or rebuilt from the
/// journal (an evicted execution). `None` if it is not running (or unknown),
/// or cannot be resumed. Concurrent loads of one execution wait for one
/// rebuild and get the same actor.
pub(crate) async fn load(inner: &Arc<Inner>, arn: &str) -> Result<Option<Arc<Actor>>> {
    if let Some(actor) = inner.actor(arn) {
        return Ok(Some(actor));
    }
    if lock(&inner.unresumable).contains(arn) {
        return Ok(None);
    }
    let gate = Arc::clone(lock(&inner.loading).entry(arn.to_string()).or_default());
    let result = {
        let _held = gate.lock().await;
        match inner.actor(arn) {
            Some(actor) => Ok(Some(actor)),
            None => rebuild(inner, arn).await,
        }
    };
    {
        // Gates are cloned under this lock: two references (the map's and
        // ours) mean no one else waits on it.
        let mut loading = lock(&inner.loading);
        if Arc::strong_count(&gate) == 2 && loading.get(arn).is_some_and(|g| Arc::ptr_eq(g, &gate))
        {
            loading.remove(arn);
        }
    }
    result
}

/// Replays the journal, checks it against the history, puts the actor in
/// memory and invokes its unrecorded tasks. Called under the load gate.
async fn rebuild(inner: &Arc<Inner>, arn: &str) -> Result<Option<Arc<Actor>>> {
    let owned = arn.to_string();
    let state = match inner.store(move |s| s.execution_state(&owned)).await {
        Ok(state) => state,
        Err(Error::Store(store::Error::NotFound { .. })) => return Ok(None),
        Err(e) => return Err(e),
    };
    if state.status != store::ExecutionStatus::Running {
        return Ok(None);
    }
    let journal = read_journal(inner, arn).await?;
    let history = read_history(inner, arn).await?;
    let rebuilt = replay(inner, arn, &journal)?;
    let Some((mut st, replayed)) = rebuilt else {
        return Err(Error::Internal(format!(
            "{arn} has no start entry in its journal"
        )));
    };
    if let Some(diff) = first_difference(&replayed, &history) {
        Counters::bump(&inner.stats.replay_mismatches);
        lock(&inner.unresumable).insert(arn.to_string());
        eprintln!(
            "stepwise runtime: REPLAY MISMATCH for {arn}: {diff}; the execution is not resumed"
        );
        return Ok(None);
    }
    st.version = state.version;
    let pending = st.pending_invocations();
    let actor = Arc::new(Actor {
        arn: arn.to_string(),
        state: tokio::sync::Mutex::new(st),
    });
    {
        let mut actors = lock(&inner.actors);
        if let Some(other) = actors.get(arn) {
            // Started or redriven meanwhile: that one is current.
            return Ok(Some(Arc::clone(other)));
        }
        actors.insert(arn.to_string(), Arc::clone(&actor));
    }
    Counters::bump(&inner.stats.rebuilds);
    for req in pending {
        crate::standard::dispatch(inner, arn, req);
    }
    Ok(Some(actor))
}

pub(crate) async fn read_journal(inner: &Arc<Inner>, arn: &str) -> Result<Vec<Entry>> {
    let owned = arn.to_string();
    let rows = inner
        .store(move |s| s.journal(&owned, 0, usize::MAX))
        .await?;
    rows.into_iter()
        .map(|row| {
            serde_json::from_str(&row.entry).map_err(|e| {
                Error::Internal(format!("journal entry {} of {arn}: {e}", row.version))
            })
        })
        .collect()
}

/// An execution's whole stored history, oldest first.
pub(crate) async fn read_history(inner: &Arc<Inner>, arn: &str) -> Result<Vec<EventRow>> {
    let owned = arn.to_string();
    inner.store(move |s| s.all_events(&owned)).await
}

/// Folds the journal into a fresh execution; returns its state and the events
/// the replay produced (`None` without a start entry).
pub(crate) fn replay(
    inner: &Inner,
    arn: &str,
    journal: &[Entry],
) -> Result<Option<(ActorState, Vec<EventRow>)>> {
    let mut entries = journal.iter();
    let Some(Entry::Start(facts)) = entries.next() else {
        return Ok(None);
    };
    let plan = inner.plan(&facts.definition, false)?;
    crate::mocks::recovered(
        inner,
        arn,
        &facts.info.state_machine_arn,
        facts.mock_case.as_deref(),
    );
    let input: serde_json::Value = serde_json::from_str(&facts.input)
        .map_err(|e| Error::Internal(format!("recorded input of {arn}: {e}")))?;
    let (exec, decision) = Execution::start(
        plan,
        facts.info.clone(),
        input,
        facts.limits.clone(),
        facts.now,
    );
    let mut st = ActorState::new(exec, facts.now);
    st.parent = facts.parent.clone();
    let mut scratch = Transition::new(arn, 0);
    st.absorb(arn, &decision, &mut scratch);
    let mut events = scratch.events;
    let mut fold = |input: &engine::Input, now: i64, missing: &[String]| {
        let mut t = Transition::new(arn, 0);
        st.last_now = now;
        st.exec.set_missing_activities(missing.to_vec());
        st.before_input(input, &mut t);
        let d = st.exec.handle(input.clone(), now);
        st.absorb(arn, &d, &mut t);
        events.append(&mut t.events);
    };
    for entry in entries {
        match entry {
            Entry::Input {
                input,
                now,
                missing,
            } => fold(input, *now, missing),
            Entry::Inputs(inputs) => {
                for i in inputs {
                    fold(&i.input, i.now, &i.missing);
                }
            }
            Entry::Start(_) => {
                return Err(Error::Internal(format!("{arn}: a second start entry")));
            }
        }
    }
    // Tasks abandoned in the past have no invocation to stop.
    st.cancelled.clear();
    Ok(Some((st, events)))
}

fn first_difference(replayed: &[EventRow], stored: &[EventRow]) -> Option<String> {
    for (i, (a, b)) in replayed.iter().zip(stored).enumerate() {
        if a != b {
            return Some(format!("event #{i}: replay gave {a:?}, history has {b:?}"));
        }
    }
    (replayed.len() != stored.len()).then(|| {
        format!(
            "replay gave {} events, history has {}",
            replayed.len(),
            stored.len()
        )
    })
}
