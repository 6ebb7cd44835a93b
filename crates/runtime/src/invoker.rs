//! Task dispatch: the [`Invoker`] that carries out a Task state's work.
//!
//! Integrations (activities, callbacks, Lambda-compatible functions, HTTP, AWS
//! SDK calls) are later work; until then [`NoIntegration`] fails every task with
//! `Stepwise.NoIntegration`, which a Catch or Retry can handle like any error.

use std::future::Future;
use std::pin::Pin;

use engine::Input;
pub use engine::TaskRequest;
pub use engine::simulate::TaskOutcome;

/// A boxed, sendable future (the trait stays object-safe: `Arc<dyn Invoker>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Carries out a task and reports its outcome. Called at least once per task:
/// after a crash a task whose result was not committed is invoked again with the
/// same `TaskRequest` (same `task` id and token), so an integration that must not
/// repeat its effect dedups by them.
pub trait Invoker: Send + Sync {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome>;
}

/// The invoker used until real integrations exist: every task fails with
/// `Stepwise.NoIntegration`, its cause naming the resource.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIntegration;

impl Invoker for NoIntegration {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        Box::pin(async move {
            TaskOutcome::Failed {
                error: Some("Stepwise.NoIntegration".to_string()),
                cause: Some(format!(
                    "No integration is available for resource '{}' (state '{}')",
                    request.resource, request.state_name
                )),
            }
        })
    }
}

/// A task's outcome as the inputs that report it.
pub(crate) fn outcome_inputs(task: u64, mut outcome: TaskOutcome) -> Vec<Input> {
    let mut inputs = Vec::new();
    loop {
        match outcome {
            TaskOutcome::Submitted { response, then } => {
                inputs.push(Input::TaskSubmitted {
                    task,
                    output: response,
                });
                outcome = *then;
            }
            TaskOutcome::Succeeded(output) => {
                inputs.push(Input::TaskSucceeded { task, output });
                return inputs;
            }
            TaskOutcome::Failed { error, cause } => {
                inputs.push(Input::TaskFailed { task, error, cause });
                return inputs;
            }
            TaskOutcome::TimedOut => {
                inputs.push(Input::TaskTimedOut { task });
                return inputs;
            }
        }
    }
}
