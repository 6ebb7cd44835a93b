//! Drives executions: durable Standard executions and in-memory Express runs.
//!
//! The server calls [`Runtime`]; the runtime calls the pure `engine` for every
//! decision and the `store` for every durable fact.
//!
//! Architecture Invariant: a Standard execution's transition (its history events,
//! end state, timers, outbox rows and the journal entry of the input that caused
//! it) is committed in one store transaction before any command it produced is
//! carried out. Recovery replays the journal through a fresh `engine::Execution`;
//! the events it produces must equal the stored history.

mod activities;
mod arn;
mod core;
mod error;
mod express;
mod inflight;
mod invoker;
mod journal;
mod logging;
mod mocks;
mod nested;
mod recovery;
mod redrive;
mod standard;
mod start;
mod timers;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::core::{Inner, lock};

pub use activities::ActivityTask;
pub use error::{Error, Result};
pub use invoker::{BoxFuture, Invoker, NoIntegration, Router, TaskOutcome, TaskRequest};
pub use mocks::MockConfig;
pub use redrive::{MAX_REDRIVES, REDRIVABLE_PERIOD_MS, not_redrivable_reason};

/// How the runtime forms ARNs and which limits executions get.
#[derive(Clone)]
pub struct RuntimeConfig {
    /// The region in every ARN (default `us-east-1`).
    pub region: String,
    /// The account in every ARN (default `123456789012`).
    pub account: String,
    /// Payload limits; `keep_events` is forced on for Standard and off for Express.
    pub limits: engine::Limits,
    /// Carries out Task states (default: [`NoIntegration`]).
    pub invoker: Arc<dyn Invoker>,
    /// Where execution logs go (`<log_dir>/<log group>.jsonl`); by default the
    /// `logs` folder beside the store's files, if it has any.
    pub log_dir: Option<std::path::PathBuf>,
    /// A MockConfigFile: executions started as `<machine ARN>#<TestCaseName>`
    /// get that test case's responses for the states it mocks.
    pub mocks: Option<Arc<MockConfig>>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            region: "us-east-1".to_string(),
            account: "123456789012".to_string(),
            limits: engine::Limits::default(),
            invoker: Arc::new(NoIntegration),
            log_dir: None,
            mocks: None,
        }
    }
}

impl std::fmt::Debug for RuntimeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeConfig")
            .field("region", &self.region)
            .field("account", &self.account)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// StartExecution / StartSyncExecution's request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StartExecution {
    /// A state machine, version (`…:stateMachine:sm:3`) or alias (`…:stateMachine:sm:prod`) ARN.
    pub target_arn: String,
    /// Defaults to a UUID.
    pub name: Option<String>,
    /// JSON text; defaults to `{}`.
    pub input: Option<String>,
    pub trace_header: Option<String>,
}

/// StartExecution's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub execution_arn: String,
    /// Epoch milliseconds.
    pub start_date_ms: i64,
}

/// StartSyncExecution's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncResult {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub start_ms: i64,
    pub stop_ms: i64,
    /// `SUCCEEDED`, `FAILED` or `TIMED_OUT` (AWS's `SyncExecutionStatus`).
    pub status: String,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub trace_header: Option<String>,
    /// `billingDetails.billedMemoryUsedInMB` (64 MB, AWS's minimum).
    pub billed_memory_mb: i64,
    /// `billingDetails.billedDurationInMilliseconds`: rounded up to 100 ms.
    pub billed_duration_ms: i64,
}

/// Counters for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Executions rebuilt from their journal and resumed.
    pub recovered: u64,
    /// Replays whose events differed from the stored history (should stay 0).
    pub replay_mismatches: u64,
    /// Transitions whose commit failed (the execution was rebuilt).
    pub commit_failures: u64,
    /// Standard executions held in memory now (those waiting on timers only
    /// are evicted and rebuilt from their journal when woken).
    pub running: usize,
    /// Actors dropped from memory while their execution waited on timers only.
    pub evictions: u64,
    /// Executions rebuilt from their journal: by recovery at startup, and
    /// evicted ones when an input reaches them.
    pub rebuilds: u64,
}

/// The execution driver; share it as `Arc<Runtime>`.
///
/// Standard executions are event-sourced: each input an execution handles is
/// committed (history events, end, timers, outbox rows, journal entry) in one
/// store transaction before its commands are carried out, and [`Runtime::start`]
/// rebuilds running executions from the journal after a restart. Express
/// executions run in memory only.
pub struct Runtime {
    inner: Arc<Inner>,
}

impl Runtime {
    /// A runtime over `store`; call [`Runtime::start`] before starting executions.
    pub fn new(store: Arc<dyn store::Store>, config: RuntimeConfig) -> Arc<Runtime> {
        Arc::new(Runtime {
            inner: Arc::new(Inner::new(store, config)),
        })
    }

    /// Resumes every RUNNING Standard execution from its journal, re-dispatches
    /// its pending tasks, then starts the timer loop (which also fires timers
    /// that fell due while the process was down). Call it once, inside a tokio
    /// runtime.
    pub async fn start(self: &Arc<Self>) -> Result<()> {
        recovery::recover_all(&self.inner).await?;
        timers::spawn(&self.inner);
        Ok(())
    }

    /// StartExecution: checks the target, name and input; a Standard execution
    /// is durable (its first transition committed) when this returns, an Express
    /// one runs in memory in the background. Idempotent by name for Standard: the
    /// same name and input while it runs give the same ARN.
    pub async fn start_execution(&self, req: StartExecution) -> Result<Started> {
        let name = match req.name {
            Some(n) => n,
            None => arn::uuid(),
        };
        arn::check_name(&name)?;
        let (target_arn, case) = mocks::split(&req.target_arn);
        let mut target = start::resolve(&self.inner, target_arn, &name).await?;
        let (text, input) =
            start::check_input(req.input, self.inner.config.limits.max_payload_bytes)?;
        target.mock_case = case.map(str::to_string);
        if target.express {
            let arn = arn::express_arn(&target.machine_arn, &name);
            mocks::select(
                &self.inner,
                &target.machine_arn,
                &req.target_arn,
                case,
                &arn,
            )?;
            let start_date_ms = core::now_ms();
            express::spawn(
                &self.inner,
                target,
                arn.clone(),
                name,
                text,
                input,
                req.trace_header,
            );
            return Ok(Started {
                execution_arn: arn,
                start_date_ms,
            });
        }
        let arn = arn::execution_arn(&target.machine_arn, &name);
        mocks::select(
            &self.inner,
            &target.machine_arn,
            &req.target_arn,
            case,
            &arn,
        )?;
        standard::start(&self.inner, target, name, text, input).await
    }

    /// StartSyncExecution (EXPRESS only): runs to the end in memory, with real
    /// time, and returns the result; nothing is stored.
    pub async fn start_sync_execution(&self, req: StartExecution) -> Result<SyncResult> {
        let name = match req.name {
            Some(n) => n,
            None => arn::uuid(),
        };
        arn::check_name(&name)?;
        let (target_arn, case) = mocks::split(&req.target_arn);
        let target = start::resolve(&self.inner, target_arn, &name).await?;
        if !target.express {
            return Err(Error::StateMachineTypeNotSupported);
        }
        let (text, input) =
            start::check_input(req.input, self.inner.config.limits.max_payload_bytes)?;
        let arn = arn::express_arn(&target.machine_arn, &name);
        mocks::select(
            &self.inner,
            &target.machine_arn,
            &req.target_arn,
            case,
            &arn,
        )?;
        let result = express::run(
            &self.inner,
            &target,
            arn.clone(),
            name,
            text,
            input,
            req.trace_header,
        )
        .await;
        mocks::forget(&self.inner, &arn);
        result
    }

    /// StopExecution: the execution ends ABORTED with `error`/`cause`; returns
    /// the stop date (epoch ms). Stopping a closed execution returns its stop date.
    pub async fn stop_execution(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<i64> {
        standard::stop(&self.inner, arn, error, cause).await
    }

    /// RedriveExecution: restarts a FAILED, TIMED_OUT or ABORTED Standard
    /// execution from the state it ended in (durable when this returns); returns
    /// the redrive date (epoch ms). The same `client_token` within 15 minutes
    /// answers the same date without redriving again.
    pub async fn redrive_execution(&self, arn: &str, client_token: Option<String>) -> Result<i64> {
        redrive::redrive(&self.inner, arn, client_token).await
    }

    /// GetActivityTask: the oldest activity task no worker took yet, waiting
    /// up to `wait` (AWS: 60 s) for one; `None` if none arrived. The worker's
    /// name goes into `ActivityStarted`.
    pub async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<String>,
        wait: Duration,
    ) -> Result<Option<ActivityTask>> {
        activities::get_task(&self.inner, activity_arn, worker_name, wait).await
    }

    /// Commits every worker's start still held in memory (see
    /// `activities::take`): call before a clean stop, so that tasks already
    /// with a worker are not offered again after the restart.
    pub async fn flush_held(&self) {
        let actors: Vec<_> = core::lock(&self.inner.actors).values().cloned().collect();
        for actor in actors {
            let mut st = actor.state.lock().await;
            if let Err(e) = standard::flush(&self.inner, &actor, &mut st).await {
                eprintln!("stepwise runtime: {}: {e}", actor.arn);
            }
        }
    }

    /// DeleteActivity happened: polls of `activity_arn` check the store again
    /// (and answer ActivityDoesNotExist).
    pub fn forget_activity(&self, activity_arn: &str) {
        activities::forget(&self.inner, activity_arn);
    }

    /// UpdateStateMachine or DeleteStateMachine happened: executions started
    /// from now on read the machine from the store again.
    pub fn forget_machine(&self, machine_arn: &str) {
        self.inner.machines.forget(machine_arn);
    }

    /// SendTaskSuccess: `output` (JSON text) is the task's result. Durable when
    /// this returns; the token is then spent.
    pub async fn send_task_success(&self, token: &str, output: String) -> Result<()> {
        activities::answer(&self.inner, token, activities::Answer::Success(output)).await
    }

    /// SendTaskFailure: the task fails with `error`/`cause`.
    pub async fn send_task_failure(
        &self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<()> {
        activities::answer(
            &self.inner,
            token,
            activities::Answer::Failure { error, cause },
        )
        .await
    }

    /// SendTaskHeartbeat: restarts the task's HeartbeatSeconds clock.
    pub async fn send_task_heartbeat(&self, token: &str) -> Result<()> {
        activities::answer(&self.inner, token, activities::Answer::Heartbeat).await
    }

    /// Carries out one task with the configured integrations (TestState's
    /// unmocked Task states).
    pub async fn invoke(&self, request: TaskRequest) -> TaskOutcome {
        self.inner.config.invoker.invoke(request).await
    }

    /// Waits until the execution is no longer RUNNING (for tests and tools).
    pub async fn wait_until_done(&self, arn: &str, timeout: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let express = lock(&self.inner.express).contains(arn);
            if !express {
                let owned = arn.to_string();
                match self
                    .inner
                    .store(move |s| s.describe_execution(&owned))
                    .await
                {
                    Ok(e) if e.status != store::ExecutionStatus::Running => return Ok(()),
                    Ok(_) => {}
                    Err(Error::Store(store::Error::NotFound { .. })) => {
                        if arn.contains(":express:") {
                            return Ok(());
                        }
                        return Err(Error::ExecutionDoesNotExist(arn.to_string()));
                    }
                    Err(e) => return Err(e),
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::WaitTimeout(arn.to_string()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Counters since this runtime was created.
    pub fn stats(&self) -> Stats {
        let s = &self.inner.stats;
        Stats {
            recovered: s.recovered.load(Ordering::Relaxed),
            replay_mismatches: s.replay_mismatches.load(Ordering::Relaxed),
            commit_failures: s.commit_failures.load(Ordering::Relaxed),
            running: lock(&self.inner.actors).len(),
            evictions: s.evictions.load(Ordering::Relaxed),
            rebuilds: s.rebuilds.load(Ordering::Relaxed),
        }
    }
}
