//! Express executions: the same engine, in memory, with real time (tokio sleeps
//! for timers) and no history kept (`Limits::keep_events` false). Nothing is
//! written to the store: a crash loses a running Express execution, which is the
//! at-most-once behaviour AWS documents for synchronous Express.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use engine::{Command, Execution, ExecutionInfo, Input, Status};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::core::{Inner, lock, now_ms};
use crate::start::Resolved;
use crate::{SyncResult, TaskOutcome};

/// Runs an Express execution to its end.
pub(crate) async fn run(
    inner: &Arc<Inner>,
    target: &Resolved,
    arn: String,
    name: String,
    input_text: String,
    input: Value,
    trace_header: Option<String>,
) -> crate::Result<SyncResult> {
    let plan = inner.plan(&target.definition, true)?;
    let start = now_ms();
    let info = ExecutionInfo {
        execution_arn: arn.clone(),
        name: name.clone(),
        state_machine_arn: target.machine_arn.clone(),
        state_machine_name: crate::arn::machine_name(&target.machine_arn).to_string(),
        role_arn: target.role_arn.clone(),
        region: inner.config.region.clone(),
        account: inner.config.account.clone(),
        redrive_count: 0,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        input_text: Some(input_text.as_str().into()),
        seed: crate::arn::random_u64(),
        time_ordered_tokens: true,
        missing_activities: Vec::new(),
    };
    // Events are built only when someone reads them: the execution log.
    let log = match &inner.logs {
        Some(sink) => crate::logging::LogConfig::parse(target.logging.as_deref())
            .map(|config| (sink.clone(), config)),
        None => None,
    };
    let limits = engine::Limits {
        keep_events: log.is_some(),
        ..inner.config.limits.clone()
    };
    let (mut exec, first) = Execution::start(plan, info, input, limits, start);
    if let Some((sink, config)) = &log {
        sink.write(config, &arn, &first.events);
    }
    let mut timers: BTreeSet<(i64, u64)> = BTreeSet::new();
    let mut due: HashMap<u64, i64> = HashMap::new();
    let mut tasks: JoinSet<(u64, TaskOutcome)> = JoinSet::new();
    let mut running: HashMap<u64, tokio::task::AbortHandle> = HashMap::new();
    let mut commands = first.commands;
    loop {
        for c in commands.drain(..) {
            match c {
                Command::InvokeTask(req) => {
                    let (inner, arn) = (Arc::clone(inner), arn.clone());
                    let task = req.task;
                    let handle = tasks.spawn(async move {
                        (task, crate::mocks::invoke(&inner, &arn, req).await)
                    });
                    running.insert(task, handle);
                }
                Command::StartTimer { timer, fire_at } => {
                    timers.insert((fire_at, timer));
                    due.insert(timer, fire_at);
                }
                Command::CancelTimer { timer } => {
                    if let Some(at) = due.remove(&timer) {
                        timers.remove(&(at, timer));
                    }
                }
                // Abandoned (timed out, its branch failed): stop its work.
                Command::CancelTask { task } => {
                    if let Some(handle) = running.remove(&task) {
                        handle.abort();
                    }
                }
            }
        }
        if *exec.status() != Status::Running {
            break;
        }
        let next_timer = timers.first().copied();
        let inputs: Vec<Input> = match next_timer {
            None if tasks.is_empty() => break,
            _ => {
                let sleep = next_timer.map_or(Duration::from_secs(86_400 * 365), |(at, _)| {
                    Duration::from_millis((at - now_ms()).max(0) as u64)
                });
                tokio::select! {
                    Some(joined) = tasks.join_next(), if !tasks.is_empty() => match joined {
                        Ok((task, outcome)) => {
                            running.remove(&task);
                            crate::invoker::outcome_inputs(task, outcome)
                        }
                        // Aborted above: its task was abandoned.
                        Err(e) if e.is_cancelled() => Vec::new(),
                        Err(e) => vec![Input::TaskFailed {
                            task: 0,
                            error: Some("States.Runtime".into()),
                            cause: Some(format!("task invocation failed: {e}")),
                        }],
                    },
                    _ = tokio::time::sleep(sleep), if next_timer.is_some() => {
                        let (at, timer) = next_timer.unwrap_or_default();
                        timers.remove(&(at, timer));
                        due.remove(&timer);
                        vec![Input::TimerFired { timer }]
                    }
                }
            }
        };
        for input in inputs {
            let d = exec.handle(input, now_ms());
            if let Some((sink, config)) = &log {
                sink.write(config, &arn, &d.events);
            }
            commands.extend(d.commands);
        }
    }
    tasks.abort_all();
    let stop = now_ms();
    let (status, output, error, cause) = match exec.status() {
        Status::Succeeded { output } => ("SUCCEEDED", Some(output.to_string()), None, None),
        Status::TimedOut(d) => ("TIMED_OUT", None, d.error.clone(), d.cause.clone()),
        Status::Failed(d) | Status::Aborted(d) => {
            ("FAILED", None, d.error.clone(), d.cause.clone())
        }
        Status::Running => (
            "FAILED",
            None,
            Some("States.Runtime".to_string()),
            Some("The execution could make no further progress".to_string()),
        ),
    };
    let elapsed = (stop - start).max(1);
    Ok(SyncResult {
        execution_arn: arn,
        name,
        state_machine_arn: target.machine_arn.clone(),
        start_ms: start,
        stop_ms: stop,
        status: status.to_string(),
        input: input_text,
        output,
        error,
        cause,
        trace_header,
        billed_memory_mb: 64,
        billed_duration_ms: (elapsed + 99) / 100 * 100,
    })
}

/// StartExecution on an Express machine: runs in the background, in memory.
pub(crate) fn spawn(
    inner: &Arc<Inner>,
    target: Resolved,
    arn: String,
    name: String,
    input_text: String,
    input: Value,
    trace_header: Option<String>,
) {
    lock(&inner.express).insert(arn.clone());
    let inner = Arc::clone(inner);
    tokio::spawn(async move {
        let result = run(
            &inner,
            &target,
            arn.clone(),
            name,
            input_text,
            input,
            trace_header,
        )
        .await;
        if let Err(e) = result {
            eprintln!("stepwise runtime: express execution {arn}: {e}");
        }
        lock(&inner.express).remove(&arn);
        crate::mocks::forget(&inner, &arn);
    });
}
