//! The timer loop: one task that sleeps until the earliest timer row is due (or
//! a transition arms an earlier one), moves due timers into the inbox, and hands
//! each execution's inbox to it.
//!
//! Wait states, retry back-offs, task and execution timeouts all arrive this
//! way. A waiting execution costs a row, not a sleeping task.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::Error;
use crate::core::{Inner, lock, now_ms};

/// At most this long between looks at the store, so inbox rows left behind (an
/// execution that was busy, a failed delivery) are retried.
const MAX_SLEEP_MS: i64 = 1000;
const BATCH: usize = 500;

/// Starts the loop (once). It ends when the runtime is dropped.
pub(crate) fn spawn(inner: &Arc<Inner>) {
    if inner
        .timer_loop_started
        .swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        return;
    }
    let weak = Arc::downgrade(inner);
    let wake = Arc::clone(&inner.timer_wake);
    tokio::spawn(async move {
        loop {
            let Some(sleep_ms) = tick(&weak).await else {
                return;
            };
            if sleep_ms > 0 {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(sleep_ms as u64)) => {}
                    _ = wake.notified() => {}
                }
            }
        }
    });
}

/// One round; returns how long to sleep, or `None` once the runtime is gone.
async fn tick(weak: &Weak<Inner>) -> Option<i64> {
    let inner = weak.upgrade()?;
    match round(&inner).await {
        Ok(sleep) => Some(sleep),
        // The tokio runtime is going away: stop quietly.
        Err(Error::ShuttingDown) => None,
        Err(e) => {
            eprintln!("stepwise runtime: timer loop: {e}");
            Some(MAX_SLEEP_MS)
        }
    }
}

async fn round(inner: &Arc<Inner>) -> crate::Result<i64> {
    let now = now_ms();
    let due = inner.store(move |s| s.due_timers(now, BATCH)).await?;
    let full = due.len() == BATCH;
    if !due.is_empty() {
        let keys: Vec<(String, i64)> = due
            .into_iter()
            .map(|t| (t.execution_arn, t.timer_id))
            .collect();
        inner.store(move |s| s.fire_timers(&keys, now)).await?;
    }
    let arns = inner
        .store(move |s| s.executions_with_inbox(now, BATCH))
        .await?;
    for arn in arns {
        if !lock(&inner.delivering).insert(arn.clone()) {
            continue;
        }
        let inner = Arc::clone(inner);
        tokio::spawn(async move {
            if let Err(e) = crate::standard::deliver_inbox(&inner, &arn).await {
                eprintln!("stepwise runtime: inbox of {arn}: {e}");
            }
            lock(&inner.delivering).remove(&arn);
        });
    }
    if full {
        return Ok(0);
    }
    let next = inner.store(|s| s.next_timer_at()).await?;
    let now = now_ms();
    Ok(match next {
        Some(at) => (at - now).clamp(0, MAX_SLEEP_MS),
        None => MAX_SLEEP_MS,
    })
}
