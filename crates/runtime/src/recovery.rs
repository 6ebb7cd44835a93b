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
use store::{EventRow, HistoryQuery, PageRequest, Transition};

use crate::core::{Counters, Inner, lock};
use crate::journal::{Actor, ActorState, Entry};
use crate::{Error, Result};

/// Rebuilds every RUNNING execution; returns how many were resumed.
pub(crate) async fn recover_all(inner: &Arc<Inner>) -> Result<usize> {
    let mut after: Option<String> = None;
    let mut resumed = 0;
    loop {
        let cursor = after.clone();
        let batch = inner
            .store(move |s| s.running_executions(cursor.as_deref(), 200))
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.arn.clone());
        for state in batch {
            match recover_one(inner, &state.arn).await {
                Ok(true) => resumed += 1,
                Ok(false) => {}
                Err(e) => eprintln!("stepwise runtime: cannot resume {}: {e}", state.arn),
            }
        }
    }
    Ok(resumed)
}

/// Rebuilds one execution and puts it back to work; `false` if it was not
/// resumed (not running, or its replay disagreed with its history).
pub(crate) async fn recover_one(inner: &Arc<Inner>, arn: &str) -> Result<bool> {
    if inner.actor(arn).is_some() {
        return Ok(false);
    }
    let owned = arn.to_string();
    let state = inner.store(move |s| s.execution_state(&owned)).await?;
    if state.status != store::ExecutionStatus::Running {
        return Ok(false);
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
        eprintln!(
            "stepwise runtime: REPLAY MISMATCH for {arn}: {diff}; the execution is not resumed"
        );
        return Ok(false);
    }
    st.version = state.version;
    let pending = st.pending_invocations();
    let actor = Arc::new(Actor {
        arn: arn.to_string(),
        state: tokio::sync::Mutex::new(st),
    });
    lock(&inner.actors).insert(arn.to_string(), actor);
    Counters::bump(&inner.stats.recovered);
    for req in pending {
        crate::standard::dispatch(inner, arn, req);
    }
    // Timers that fired into the inbox before the crash are picked up by the
    // timer loop's inbox sweep.
    inner.timer_wake.notify_one();
    Ok(true)
}

pub(crate) async fn read_journal(inner: &Arc<Inner>, arn: &str) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let owned = arn.to_string();
        let page = inner.store(move |s| s.journal(&owned, after, 1000)).await?;
        let Some(last) = page.last() else { break };
        after = last.version;
        for row in page {
            let entry: Entry = serde_json::from_str(&row.entry).map_err(|e| {
                Error::Internal(format!("journal entry {} of {arn}: {e}", row.version))
            })?;
            entries.push(entry);
        }
    }
    Ok(entries)
}

async fn read_history(inner: &Arc<Inner>, arn: &str) -> Result<Vec<EventRow>> {
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let owned = arn.to_string();
        let query = HistoryQuery {
            reverse_order: false,
            page: PageRequest {
                max_results: 1000,
                next_token: token,
            },
        };
        let page = inner.store(move |s| s.history(&owned, &query)).await?;
        events.extend(page.items);
        token = page.next_token;
        if token.is_none() {
            return Ok(events);
        }
    }
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
    for entry in entries {
        let Entry::Input { input, now } = entry else {
            return Err(Error::Internal(format!("{arn}: a second start entry")));
        };
        let mut t = Transition::new(arn, 0);
        st.last_now = *now;
        st.before_input(input, &mut t);
        let d = st.exec.handle(input.clone(), *now);
        st.absorb(arn, &d, &mut t);
        events.append(&mut t.events);
    }
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
