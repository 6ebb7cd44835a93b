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

mod error;
mod invoker;

use std::sync::Arc;
use std::time::Duration;

pub use error::{Error, Result};
pub use invoker::{BoxFuture, Invoker, NoIntegration, TaskOutcome, TaskRequest};

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
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            region: "us-east-1".to_string(),
            account: "123456789012".to_string(),
            limits: engine::Limits::default(),
            invoker: Arc::new(NoIntegration),
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

/// The execution driver; share it as `Arc<Runtime>`.
pub struct Runtime {
    store: Arc<dyn store::Store>,
    config: RuntimeConfig,
}

impl Runtime {
    /// A runtime over `store`; call [`Runtime::start`] before starting executions.
    pub fn new(store: Arc<dyn store::Store>, config: RuntimeConfig) -> Arc<Runtime> {
        Arc::new(Runtime { store, config })
    }

    /// Resumes every RUNNING Standard execution from its journal, re-dispatches
    /// its pending tasks, then starts the timer loop.
    pub async fn start(self: &Arc<Self>) -> Result<()> {
        let _ = (&self.store, &self.config);
        Err(Error::Internal("not implemented yet".into()))
    }

    /// StartExecution: Standard executions are durable when this returns;
    /// Express ones run in memory.
    pub async fn start_execution(&self, req: StartExecution) -> Result<Started> {
        let _ = req;
        Err(Error::Internal("not implemented yet".into()))
    }

    /// StartSyncExecution (EXPRESS only): runs to the end in memory.
    pub async fn start_sync_execution(&self, req: StartExecution) -> Result<SyncResult> {
        let _ = req;
        Err(Error::Internal("not implemented yet".into()))
    }

    /// StopExecution; returns the stop date (epoch ms).
    pub async fn stop_execution(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<i64> {
        let _ = (arn, error, cause);
        Err(Error::Internal("not implemented yet".into()))
    }

    /// Waits until the execution is no longer RUNNING (for tests).
    pub async fn wait_until_done(&self, arn: &str, timeout: Duration) -> Result<()> {
        let _ = (arn, timeout);
        Err(Error::Internal("not implemented yet".into()))
    }
}
