//! Runs one execution to its end in-process: tasks are answered by an [`Invoker`]
//! and timers by a [`Clock`]. With [`VirtualClock`] and [`Mocks`] the whole run is
//! deterministic and takes no real time, which is what tests, `stepwise run
//! --clock virtual` and benchmarks use.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use crate::event::HistoryEvent;
use crate::execution::{Command, Execution, ExecutionInfo, Input, Limits, Status, TaskRequest};
use crate::plan::Plan;

/// What a task's integration answered.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    TimedOut,
    /// The service accepted the work (`TaskSubmitted` with its response) and the
    /// outcome follows: the shape of `.waitForTaskToken` and `.sync` tasks.
    Submitted {
        response: Value,
        then: Box<TaskOutcome>,
    },
}

/// Answers task invocations.
pub trait Invoker {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome;
}

/// Supplies time: reads it and waits for it.
pub trait Clock {
    fn now(&self) -> i64;
    /// Returns once `at` (ms since the epoch) has come.
    fn sleep_until(&mut self, at: i64);
}

/// A clock that jumps to each timer: waits take no real time, yet the history's
/// timestamps advance as if they had.
#[derive(Debug, Clone)]
pub struct VirtualClock(pub i64);

impl Clock for VirtualClock {
    fn now(&self) -> i64 {
        self.0
    }
    fn sleep_until(&mut self, at: i64) {
        self.0 = self.0.max(at);
    }
}

/// How the run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub status: Status,
    /// Every event, when history was kept.
    pub history: Vec<HistoryEvent>,
    /// Events recorded, kept or not.
    pub event_count: u64,
}

/// Runs an execution until it ends (or nothing can make progress).
pub fn run(
    plan: Arc<Plan>,
    info: ExecutionInfo,
    input: Value,
    limits: Limits,
    clock: &mut dyn Clock,
    invoker: &mut dyn Invoker,
    keep_history: bool,
) -> RunOutcome {
    let limits = Limits {
        keep_events: limits.keep_events && keep_history,
        ..limits
    };
    let (mut exec, first) = Execution::start(plan, info, input, limits, clock.now());
    let mut history = Vec::new();
    let mut timers: BTreeMap<(i64, u64), ()> = BTreeMap::new();
    let mut timer_due: HashMap<u64, i64> = HashMap::new();
    let mut tasks: VecDeque<TaskRequest> = VecDeque::new();
    let mut absorb = |d: crate::execution::Decision,
                      history: &mut Vec<HistoryEvent>,
                      tasks: &mut VecDeque<TaskRequest>,
                      timers: &mut BTreeMap<(i64, u64), ()>| {
        history.extend(d.events);
        for c in d.commands {
            match c {
                Command::InvokeTask(t) => tasks.push_back(t),
                Command::StartTimer { timer, fire_at } => {
                    timers.insert((fire_at, timer), ());
                    timer_due.insert(timer, fire_at);
                }
                Command::CancelTimer { timer } => {
                    if let Some(at) = timer_due.remove(&timer) {
                        timers.remove(&(at, timer));
                    }
                }
                Command::CancelTask { task } => tasks.retain(|t| t.task != task),
            }
        }
    };
    absorb(first, &mut history, &mut tasks, &mut timers);
    while exec.status() == &Status::Running {
        let input = if let Some(task) = tasks.pop_front() {
            let mut outcome = invoker.invoke(&task);
            while let TaskOutcome::Submitted { response, then } = outcome {
                let d = exec.handle(
                    Input::TaskSubmitted {
                        task: task.task,
                        output: response,
                    },
                    clock.now(),
                );
                absorb(d, &mut history, &mut tasks, &mut timers);
                outcome = *then;
            }
            match outcome {
                TaskOutcome::Succeeded(output) => Input::TaskSucceeded {
                    task: task.task,
                    output,
                },
                TaskOutcome::Failed { error, cause } => Input::TaskFailed {
                    task: task.task,
                    error,
                    cause,
                },
                TaskOutcome::TimedOut => Input::TaskTimedOut { task: task.task },
                TaskOutcome::Submitted { .. } => continue,
            }
        } else if let Some((&(at, timer), _)) = timers.iter().next() {
            timers.remove(&(at, timer));
            clock.sleep_until(at);
            Input::TimerFired { timer }
        } else {
            break;
        };
        let d = exec.handle(input, clock.now());
        absorb(d, &mut history, &mut tasks, &mut timers);
    }
    RunOutcome {
        status: exec.status().clone(),
        history,
        event_count: exec.event_count(),
    }
}

/// Canned task results, per state, in invocation order (Step Functions Local's
/// MockConfigFile semantics: the n-th invocation of a state gets the n-th response).
#[derive(Debug, Clone, Default)]
pub struct Mocks {
    responses: HashMap<String, Vec<TaskOutcome>>,
    calls: HashMap<String, usize>,
}

impl Mocks {
    pub fn new(responses: HashMap<String, Vec<TaskOutcome>>) -> Self {
        Mocks {
            responses,
            calls: HashMap::new(),
        }
    }

    /// The responses for `state` in invocation order (`None`: not mocked).
    pub fn responses(&self, state: &str) -> Option<&[TaskOutcome]> {
        self.responses.get(state).map(Vec::as_slice)
    }

    /// Reads one `{"Return": value}` or `{"Throw": {"Error", "Cause"}}` response.
    pub fn response(v: &Value) -> Result<TaskOutcome, String> {
        if let Some(r) = v.get("Return") {
            return Ok(TaskOutcome::Succeeded(r.clone()));
        }
        if let Some(t) = v.get("Throw") {
            let error = t.get("Error").and_then(Value::as_str).map(str::to_string);
            let cause = t.get("Cause").and_then(Value::as_str).map(str::to_string);
            if error.as_deref() == Some("States.Timeout") {
                return Ok(TaskOutcome::TimedOut);
            }
            return Ok(TaskOutcome::Failed { error, cause });
        }
        Err("a mocked response needs a \"Return\" or a \"Throw\" field".to_string())
    }

    /// Reads a MockConfigFile and picks one test case of one state machine.
    pub fn from_config(config: &Value, state_machine: &str, case: &str) -> Result<Mocks, String> {
        let machines = config
            .get("StateMachines")
            .and_then(Value::as_object)
            .ok_or("the mock file has no \"StateMachines\" object")?;
        let machine = match machines.get(state_machine) {
            Some(m) => m,
            None if machines.len() == 1 => machines.values().next().ok_or("no state machine")?,
            None => {
                return Err(format!(
                    "the mock file has no state machine named '{state_machine}' (it has: {})",
                    machines.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        };
        let test_case = machine
            .get("TestCases")
            .and_then(|t| t.get(case))
            .and_then(Value::as_object)
            .ok_or_else(|| format!("the mock file has no test case '{case}'"))?;
        let library = config.get("MockedResponses").and_then(Value::as_object);
        let mut responses = HashMap::new();
        for (state, response_name) in test_case {
            let name = response_name.as_str().ok_or_else(|| {
                format!("test case '{case}': the mock for '{state}' must be a name")
            })?;
            let table = library
                .and_then(|l| l.get(name))
                .and_then(Value::as_object)
                .ok_or_else(|| format!("no mocked response named '{name}'"))?;
            let mut ordered: Vec<(usize, TaskOutcome)> = Vec::new();
            for (key, response) in table {
                let (from, to) = parse_range(key).ok_or_else(|| {
                    format!("mocked response '{name}': bad invocation key '{key}'")
                })?;
                let outcome = Mocks::response(response)
                    .map_err(|e| format!("mocked response '{name}' key '{key}': {e}"))?;
                for i in from..=to {
                    ordered.push((i, outcome.clone()));
                }
            }
            ordered.sort_by_key(|(i, _)| *i);
            let mut list = Vec::new();
            for (i, o) in ordered {
                if i != list.len() {
                    return Err(format!(
                        "mocked response '{name}': invocation {} has no response",
                        list.len()
                    ));
                }
                list.push(o);
            }
            responses.insert(state.clone(), list);
        }
        Ok(Mocks::new(responses))
    }
}

/// `"0"` or `"1-3"`.
fn parse_range(key: &str) -> Option<(usize, usize)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b && b - a < 100_000).then_some((a, b))
        }
        None => {
            let n = key.trim().parse().ok()?;
            Some((n, n))
        }
    }
}

impl Invoker for Mocks {
    fn invoke(&mut self, request: &TaskRequest) -> TaskOutcome {
        let n = self.calls.entry(request.state_name.clone()).or_default();
        let i = *n;
        *n += 1;
        match self.responses.get(&request.state_name) {
            Some(list) => list
                .get(i)
                .or(list.last())
                .cloned()
                .unwrap_or(TaskOutcome::Failed {
                    error: Some("States.Runtime".into()),
                    cause: Some(format!(
                        "No mocked response for state '{}'",
                        request.state_name
                    )),
                }),
            None => TaskOutcome::Failed {
                error: Some("States.Runtime".into()),
                cause: Some(format!(
                    "No mocked response for state '{}' (resource {})",
                    request.state_name, request.resource
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_invocation_ranges() {
        assert_eq!(parse_range("0"), Some((0, 0)));
        assert_eq!(parse_range("1-3"), Some((1, 3)));
        assert_eq!(parse_range("3-1"), None);
        assert_eq!(parse_range("x"), None);
    }
}
