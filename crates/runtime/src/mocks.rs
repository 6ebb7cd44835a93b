//! Step Functions Local's mocked service integrations in a live runtime.
//!
//! With a MockConfigFile loaded ([`MockConfig`]), StartExecution and
//! StartSyncExecution accept `<state machine ARN>#<TestCaseName>`: that
//! execution's tasks in states the test case names get the case's canned
//! responses (the n-th invocation of a state gets the n-th response); every other
//! state goes to the real integrations. The case name is part of the execution's
//! start facts in its journal, so a recovered execution uses the same case, and
//! the invocation counts are rebuilt from its history.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use engine::simulate::Mocks;
use serde_json::Value;
use store::EventRow;

use crate::core::{Inner, lock};
use crate::{Error, Result, TaskOutcome, TaskRequest};

/// A MockConfigFile and the executions that run one of its test cases.
pub struct MockConfig {
    file: Value,
    running: Mutex<HashMap<String, Arc<Mutex<Selected>>>>,
}

/// One execution's test case and how often each mocked state was invoked.
struct Selected {
    mocks: Mocks,
    /// State → invocations so far; `None` until counted from the history
    /// (an execution recovered after a restart).
    counts: Option<HashMap<String, usize>>,
    /// Task id → its invocation number, so a task invoked again gets the same
    /// response.
    by_task: HashMap<u64, usize>,
}

impl std::fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockConfig").finish_non_exhaustive()
    }
}

impl MockConfig {
    /// Checks every test case of every state machine in the file.
    pub fn new(file: Value) -> std::result::Result<MockConfig, String> {
        let machines = file
            .get("StateMachines")
            .and_then(Value::as_object)
            .ok_or("the mock file has no \"StateMachines\" object")?;
        for (machine, body) in machines {
            let cases = body
                .get("TestCases")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("state machine '{machine}' has no \"TestCases\" object"))?;
            for case in cases.keys() {
                Mocks::from_config(&file, machine, case)
                    .map_err(|e| format!("state machine '{machine}': {e}"))?;
            }
        }
        Ok(MockConfig {
            file,
            running: Mutex::new(HashMap::new()),
        })
    }

    /// The test case `case` of the machine `machine` (its name).
    fn case(&self, machine: &str, case: &str) -> Result<Mocks> {
        let known = self
            .file
            .get("StateMachines")
            .and_then(|m| m.get(machine))
            .and_then(|m| m.get("TestCases"))
            .and_then(|c| c.get(case))
            .is_some();
        if !known {
            return Err(Error::ValidationException(format!(
                "Test case '{case}' of state machine '{machine}' is not in the mock configuration"
            )));
        }
        Mocks::from_config(&self.file, machine, case).map_err(Error::ValidationException)
    }
}

/// Splits `<ARN>#<TestCaseName>`.
pub(crate) fn split(target: &str) -> (&str, Option<&str>) {
    match target.split_once('#') {
        Some((arn, case)) => (arn, Some(case)),
        None => (target, None),
    }
}

/// Checks a test case named at start and attaches it to the execution `arn`
/// (a start of an existing execution keeps that execution's counts).
pub(crate) fn select(
    inner: &Inner,
    machine_arn: &str,
    target_arn: &str,
    case: Option<&str>,
    arn: &str,
) -> Result<()> {
    let Some(case) = case else { return Ok(()) };
    let Some(config) = &inner.config.mocks else {
        return Err(Error::InvalidArn(format!(
            "Invalid ARN: {target_arn} (a test case needs a mock configuration)"
        )));
    };
    let mocks = config.case(crate::arn::machine_name(machine_arn), case)?;
    lock(&config.running)
        .entry(arn.to_string())
        .or_insert_with(|| {
            Arc::new(Mutex::new(Selected {
                mocks,
                counts: Some(HashMap::new()),
                by_task: HashMap::new(),
            }))
        });
    Ok(())
}

/// An execution rebuilt from its journal that ran test case `case`: its counts
/// come from its history at its next invocation.
pub(crate) fn recovered(inner: &Inner, arn: &str, machine_arn: &str, case: Option<&str>) {
    let (Some(case), Some(config)) = (case, &inner.config.mocks) else {
        return;
    };
    match config.case(crate::arn::machine_name(machine_arn), case) {
        Ok(mocks) => {
            lock(&config.running).insert(
                arn.to_string(),
                Arc::new(Mutex::new(Selected {
                    mocks,
                    counts: None,
                    by_task: HashMap::new(),
                })),
            );
        }
        Err(e) => eprintln!("stepwise runtime: {arn} ran mock test case '{case}': {e}"),
    }
}

/// True when execution `arn` runs a test case that mocks state `state`.
pub(crate) fn mocks_state(inner: &Inner, arn: &str, state: &str) -> bool {
    let Some(config) = &inner.config.mocks else {
        return false;
    };
    let selected = lock(&config.running).get(arn).cloned();
    selected.is_some_and(|s| lock(&s).mocks.responses(state).is_some())
}

/// Forgets an execution that has ended.
pub(crate) fn forget(inner: &Inner, arn: &str) {
    if let Some(config) = &inner.config.mocks {
        lock(&config.running).remove(arn);
    }
}

/// Carries out a task of execution `arn`: its test case's response if the case
/// mocks the state, else the configured integration.
pub(crate) async fn invoke(inner: &Arc<Inner>, arn: &str, req: TaskRequest) -> TaskOutcome {
    let selected = inner
        .config
        .mocks
        .as_ref()
        .and_then(|c| lock(&c.running).get(arn).cloned());
    let Some(selected) = selected else {
        return inner.config.invoker.invoke(req).await;
    };
    let mocked = lock(&selected).mocks.responses(&req.state_name).is_some();
    if !mocked {
        return inner.config.invoker.invoke(req).await;
    }
    if lock(&selected).counts.is_none() {
        let counts = match crate::recovery::read_history(inner, arn).await {
            Ok(events) => invocations_before_pending(&events),
            Err(e) => {
                return TaskOutcome::Failed {
                    error: Some("States.Runtime".into()),
                    cause: Some(format!("could not count the mocked invocations: {e}")),
                };
            }
        };
        let mut s = lock(&selected);
        if s.counts.is_none() {
            s.counts = Some(counts);
        }
    }
    let mut s = lock(&selected);
    let Selected {
        mocks,
        counts,
        by_task,
    } = &mut *s;
    let index = match by_task.get(&req.task) {
        Some(i) => *i,
        None => {
            let n = counts
                .get_or_insert_with(HashMap::new)
                .entry(req.state_name.clone())
                .or_default();
            let i = *n;
            *n += 1;
            by_task.insert(req.task, i);
            i
        }
    };
    let list = mocks.responses(&req.state_name).unwrap_or_default();
    list.get(index)
        .or(list.last())
        .cloned()
        .unwrap_or(TaskOutcome::Failed {
            error: Some("States.Runtime".into()),
            cause: Some(format!("No mocked response for state '{}'", req.state_name)),
        })
}

/// Per state, the tasks it scheduled whose outcome is recorded: the invocation
/// number the next (or a re-sent pending) task of that state starts from. A
/// scheduled event belongs to the state entered last on its chain of
/// `previousEventId`s.
fn invocations_before_pending(events: &[EventRow]) -> HashMap<String, usize> {
    let mut state_of: HashMap<i64, String> = HashMap::new();
    let mut scheduled_of: HashMap<i64, i64> = HashMap::new();
    let mut open: HashMap<i64, String> = HashMap::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for e in events {
        let state = if e.event_type.ends_with("StateEntered") {
            serde_json::from_str::<Value>(&e.details)
                .ok()
                .and_then(|d| {
                    d.get("stateEnteredEventDetails")?
                        .get("name")?
                        .as_str()
                        .map(str::to_string)
                })
        } else {
            state_of.get(&e.previous_id).cloned()
        };
        if let Some(s) = &state {
            state_of.insert(e.id, s.clone());
        }
        let t = e.event_type.as_str();
        let scheduled = matches!(
            t,
            "TaskScheduled" | "LambdaFunctionScheduled" | "ActivityScheduled"
        );
        if scheduled {
            scheduled_of.insert(e.id, e.id);
            if let Some(s) = state {
                open.insert(e.id, s);
            }
        } else if let Some(&sched) = scheduled_of.get(&e.previous_id) {
            scheduled_of.insert(e.id, sched);
            let ended = [
                "Succeeded",
                "Failed",
                "TimedOut",
                "StartFailed",
                "ScheduleFailed",
            ]
            .iter()
            .any(|end| t.ends_with(end));
            if ended && let Some(s) = open.remove(&sched) {
                *counts.entry(s).or_default() += 1;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, prev: i64, t: &str, details: Value) -> EventRow {
        EventRow {
            id,
            previous_id: prev,
            event_type: t.to_string(),
            timestamp: 0,
            details: details.to_string(),
        }
    }

    #[test]
    fn counts_finished_invocations_per_state_and_leaves_pending_ones_open() {
        let entered = |name: &str| serde_json::json!({"stateEnteredEventDetails": {"name": name}});
        let none = serde_json::json!({});
        let events = vec![
            row(1, 0, "ExecutionStarted", none.clone()),
            row(2, 1, "TaskStateEntered", entered("A")),
            row(3, 2, "TaskScheduled", none.clone()),
            row(4, 3, "TaskStarted", none.clone()),
            row(5, 4, "TaskFailed", none.clone()),
            row(6, 5, "TaskScheduled", none.clone()),
            row(7, 6, "TaskStarted", none.clone()),
            row(8, 7, "TaskSucceeded", none.clone()),
            row(9, 8, "TaskStateExited", none.clone()),
            row(10, 9, "TaskStateEntered", entered("B")),
            row(11, 10, "LambdaFunctionScheduled", none.clone()),
        ];
        let counts = invocations_before_pending(&events);
        assert_eq!(counts.get("A"), Some(&2));
        assert_eq!(counts.get("B"), None);
    }

    #[test]
    fn splits_a_test_case_off_the_arn() {
        assert_eq!(
            split("arn:aws:states:us-east-1:1:stateMachine:m#Happy"),
            ("arn:aws:states:us-east-1:1:stateMachine:m", Some("Happy"))
        );
        assert_eq!(split("arn:x"), ("arn:x", None));
    }
}
