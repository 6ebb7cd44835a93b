//! Task dispatch: the [`Invoker`] that carries out a Task state's work.
//!
//! Integrations (activities, callbacks, Lambda-compatible functions, HTTP, AWS
//! SDK calls) are later work; until then [`NoIntegration`] fails every task with
//! `Stepwise.NoIntegration`, which a Catch or Retry can handle like any error.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

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

/// Sends each task to the integration registered for its resource: the longest
/// matching prefix wins (`arn:aws:states:::lambda:invoke`, `arn:aws:lambda:`,
/// `arn:aws:states:::http:invoke`, …); resources no route claims go to the
/// fallback ([`NoIntegration`] unless [`Router::fallback`] sets another).
pub struct Router {
    routes: Vec<(String, Arc<dyn Invoker>)>,
    fallback: Arc<dyn Invoker>,
}

impl Default for Router {
    fn default() -> Self {
        Router {
            routes: Vec::new(),
            fallback: Arc::new(NoIntegration),
        }
    }
}

impl Router {
    pub fn new() -> Self {
        Router::default()
    }

    /// Routes resources starting with `prefix` to `invoker`.
    pub fn route(mut self, prefix: impl Into<String>, invoker: Arc<dyn Invoker>) -> Self {
        self.routes.push((prefix.into(), invoker));
        // Longest prefix first, so the first match is the most specific.
        self.routes.sort_by_key(|r| std::cmp::Reverse(r.0.len()));
        self
    }

    /// Where resources that no route claims go.
    pub fn fallback(mut self, invoker: Arc<dyn Invoker>) -> Self {
        self.fallback = invoker;
        self
    }

    /// The integration that carries out `resource`.
    pub fn resolve(&self, resource: &str) -> &Arc<dyn Invoker> {
        self.routes
            .iter()
            .find(|(prefix, _)| resource.starts_with(prefix.as_str()))
            .map_or(&self.fallback, |(_, invoker)| invoker)
    }
}

impl Invoker for Router {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        let invoker = Arc::clone(self.resolve(&request.resource));
        Box::pin(async move { invoker.invoke(request).await })
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

/// The inputs of a `.waitForTaskToken` task's invocation: the service's answer
/// is the `TaskSubmitted` response; a failure fails the task; the result itself
/// arrives later by token.
pub(crate) fn callback_inputs(task: u64, outcome: TaskOutcome) -> Vec<Input> {
    match outcome {
        TaskOutcome::Submitted { response, .. } | TaskOutcome::Succeeded(response) => {
            vec![Input::TaskSubmitted {
                task,
                output: response,
            }]
        }
        failed => outcome_inputs(task, failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(&'static str);

    impl Invoker for Named {
        fn invoke(&self, _request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
            let name = self.0;
            Box::pin(async move { TaskOutcome::Succeeded(serde_json::json!(name)) })
        }
    }

    fn request(resource: &str) -> TaskRequest {
        TaskRequest {
            task: 1,
            state_name: "S".to_string(),
            resource: resource.to_string(),
            parameters: serde_json::Value::Null,
            timeout_seconds: None,
            heartbeat_seconds: None,
            task_token: None,
            caller: None,
        }
    }

    #[test]
    fn the_longest_matching_prefix_wins_and_the_rest_fall_back() {
        let router = Router::new()
            .route("arn:aws:states:::", Arc::new(Named("states")))
            .route("arn:aws:states:::lambda:invoke", Arc::new(Named("lambda")));
        let run = |resource: &str| {
            let outcome = block_on(router.invoke(request(resource)));
            match outcome {
                TaskOutcome::Succeeded(v) => v.as_str().unwrap_or("?").to_string(),
                TaskOutcome::Failed { error, .. } => error.unwrap_or_default(),
                other => format!("{other:?}"),
            }
        };
        assert_eq!(
            run("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            "lambda"
        );
        assert_eq!(run("arn:aws:states:::http:invoke"), "states");
        assert_eq!(
            run("arn:aws:lambda:us-east-1:1:function:f"),
            "Stepwise.NoIntegration"
        );
    }

    fn block_on<T>(f: BoxFuture<'_, T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }
}
