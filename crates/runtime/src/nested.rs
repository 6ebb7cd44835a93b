//! Nested workflows: `arn:aws:states:::states:startExecution` (`.sync`,
//! `.sync:2`, `.waitForTaskToken`), carried out by the runtime itself.
//!
//! A `.sync` child records its parent's task in its start facts (journaled with
//! its first transition), and the transition that ends the child also writes the
//! parent's result into the parent's inbox: the answer cannot be lost or doubled
//! by a crash. A parent whose task ends without that answer (stop, timeout)
//! stops the child the same way, through the child's inbox.
//! A child its parent never learnt of (the task ended while the child was being
//! started, or a crash came between) is found from the child's side: after the
//! start is reported, and for every running child after a restart, the child's
//! link is checked against its parent's waiting tasks ([`stop_if_orphaned`]).

use std::sync::Arc;

use engine::{Execution, Input, TaskRequest};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use store::{Ending, ExecutionStatus, NewInboxRow};

use crate::core::Inner;
use crate::{Error, TaskOutcome};

const PREFIX: &str = "arn:aws:states:::states:startExecution";

/// The parent task a `.sync` child reports to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ParentLink {
    pub execution_arn: String,
    pub task: u64,
    /// `.sync:2`: `Input` and `Output` as JSON rather than text.
    pub json: bool,
}

/// How a `startExecution` resource waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Returns once the child started.
    Start,
    /// `.sync` (`json` false) or `.sync:2`: returns when the child ends.
    Sync { json: bool },
}

fn mode(resource: &str) -> Option<Mode> {
    match resource.strip_prefix(PREFIX)? {
        "" | ".waitForTaskToken" => Some(Mode::Start),
        ".sync" => Some(Mode::Sync { json: false }),
        ".sync:2" => Some(Mode::Sync { json: true }),
        _ => None,
    }
}

/// True for the resources this module carries out.
pub(crate) fn handles(resource: &str) -> bool {
    mode(resource).is_some()
}

/// True for a task whose child is stopped when the task ends unanswered.
pub(crate) fn stops_with_parent(resource: &str) -> bool {
    matches!(mode(resource), Some(Mode::Sync { .. }))
}

/// The inbox row that stops `child` because its parent's task ended.
pub(crate) fn stop_row(parent: &str, child: &str, now: i64) -> NewInboxRow {
    let stop = Input::Stop {
        error: None,
        cause: None,
    };
    NewInboxRow {
        execution_arn: child.to_string(),
        kind: "stop".to_string(),
        dedup_key: format!("stop:{child}:by:{parent}"),
        payload: serde_json::to_string(&stop).unwrap_or_default(),
        visible_at: now,
    }
}

/// Stops `child` if it is a `.sync` child whose parent task no longer waits for
/// it: the task ended (timeout, stop, a retry) while the child was being started,
/// or around a crash, before the parent learnt the child's ARN. A child whose
/// parent cannot be resumed is left alone.
pub(crate) async fn stop_if_orphaned(inner: &Arc<Inner>, child: &str) -> crate::Result<()> {
    let Some(actor) = crate::recovery::load(inner, child).await? else {
        return Ok(());
    };
    let link = actor.state.lock().await.parent.clone();
    let Some(link) = link else { return Ok(()) };
    let waits = match crate::recovery::load(inner, &link.execution_arn).await? {
        Some(parent) => parent.state.lock().await.tasks.contains_key(&link.task),
        None => {
            let owned = link.execution_arn.clone();
            match inner.store(move |s| s.execution_state(&owned)).await {
                Ok(s) => s.status == ExecutionStatus::Running,
                Err(Error::Store(store::Error::NotFound { .. })) => false,
                Err(e) => return Err(e),
            }
        }
    };
    if !waits {
        crate::standard::stop(inner, child, None, None).await?;
    }
    Ok(())
}

/// How a child ended, for its parent's task.
struct ChildEnd<'a> {
    execution_arn: &'a str,
    name: &'a str,
    state_machine_arn: &'a str,
    input: &'a str,
    start_ms: i64,
    /// Standard children only (Express ones cannot be redriven).
    redrive_count: Option<u32>,
    ending: &'a Ending,
}

/// The child's end in DescribeExecution's shape (`Input` and `Output` as text
/// for `.sync`, as JSON for `.sync:2`; `Error` and `Cause` when it did not
/// succeed), and whether it succeeded. A child that did not succeed fails the
/// task with `States.TaskFailed` and that shape as the cause.
fn child_shape(child: &ChildEnd<'_>, json: bool) -> (bool, Value) {
    let text = |t: &str| -> Value {
        if json {
            serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string()))
        } else {
            Value::String(t.to_string())
        }
    };
    let ending = child.ending;
    let succeeded = ending.status == ExecutionStatus::Succeeded;
    let mut m = Map::new();
    if !succeeded {
        if let Some(c) = &ending.cause {
            m.insert("Cause".into(), c.clone().into());
        }
        if let Some(e) = &ending.error {
            m.insert("Error".into(), e.clone().into());
        }
    }
    m.insert("ExecutionArn".into(), child.execution_arn.into());
    m.insert("Input".into(), text(child.input));
    m.insert("InputDetails".into(), json!({"Included": true}));
    m.insert("Name".into(), child.name.into());
    if let Some(out) = &ending.output {
        m.insert("Output".into(), text(out));
        m.insert("OutputDetails".into(), json!({"Included": true}));
    }
    if let Some(count) = child.redrive_count {
        m.insert("RedriveCount".into(), count.into());
        if succeeded {
            m.insert("RedriveStatus".into(), "NOT_REDRIVABLE".into());
            m.insert(
                "RedriveStatusReason".into(),
                "Execution is SUCCEEDED and cannot be redriven".into(),
            );
        } else {
            m.insert("RedriveStatus".into(), "REDRIVABLE".into());
        }
    }
    m.insert("StartDate".into(), child.start_ms.into());
    m.insert("StateMachineArn".into(), child.state_machine_arn.into());
    m.insert("Status".into(), ending.status.as_str().into());
    m.insert("StopDate".into(), ending.stopped_at.into());
    (succeeded, Value::Object(m))
}

/// The inbox row that answers the parent's task with the child's end
/// ([`child_shape`]).
pub(crate) fn result_row(
    parent: &ParentLink,
    child: &Execution,
    started_at: i64,
    ending: &Ending,
) -> NewInboxRow {
    let info = child.info();
    let end = ChildEnd {
        execution_arn: &info.execution_arn,
        name: &info.name,
        state_machine_arn: &info.state_machine_arn,
        input: info.input_text.as_deref().unwrap_or("{}"),
        start_ms: started_at,
        redrive_count: Some(info.redrive_count),
        ending,
    };
    let input = match child_shape(&end, parent.json) {
        (true, output) => Input::TaskSucceeded {
            task: parent.task,
            output,
        },
        (false, shape) => Input::TaskFailed {
            task: parent.task,
            error: Some("States.TaskFailed".to_string()),
            cause: Some(shape.to_string()),
        },
    };
    NewInboxRow {
        execution_arn: parent.execution_arn.clone(),
        kind: "task_result".to_string(),
        dedup_key: format!(
            "child:{}:{}:{}",
            info.execution_arn, info.redrive_count, ending.stopped_at
        ),
        payload: serde_json::to_string(&input).unwrap_or_default(),
        visible_at: ending.stopped_at,
    }
}

/// A child's name when the task gives none: derived from the parent and the
/// task, so a task invoked again after a crash finds the child it started.
fn default_name(parent: &str, task: u64) -> String {
    // Two FNV-1a hashes (different offsets) of "<parent>#<task>", as a UUID.
    let text = format!("{parent}#{task}");
    let fnv = |offset: u64| {
        text.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The integration error of a failed StartExecution call, as AWS words it.
fn service_error(e: &Error) -> TaskOutcome {
    let code = e.code();
    TaskOutcome::Failed {
        error: Some(format!("StepFunctions.{code}Exception")),
        cause: Some(format!(
            "{e} (Service: AWSStepFunctions; Status Code: {}; Error Code: {code}; Request ID: {}; Proxy: null)",
            if e.is_server_error() { 500 } else { 400 },
            crate::arn::uuid()
        )),
    }
}

fn bad_parameters(message: String) -> TaskOutcome {
    TaskOutcome::Failed {
        error: Some("States.Runtime".to_string()),
        cause: Some(message),
    }
}

/// The StartExecution response as the integration reports it.
fn start_response(execution_arn: &str, start_ms: i64) -> Value {
    let request_id = crate::arn::uuid();
    json!({
        "ExecutionArn": execution_arn,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "x-amzn-RequestId": [request_id],
                "Content-Type": ["application/x-amz-json-1.0"],
            },
            "HttpHeaders": {
                "Content-Type": "application/x-amz-json-1.0",
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StartDate": start_ms,
    })
}

/// Starts the child of a `startExecution` task; returns the inputs that report
/// it. `.sync` answers with `TaskSubmitted` only: the rest comes from the
/// child's end through the inbox. `.waitForTaskToken` waits for SendTask*.
pub(crate) async fn run(inner: &Arc<Inner>, parent: &str, req: &TaskRequest) -> Vec<Input> {
    let task = req.task;
    let submitted = |response: Value| Input::TaskSubmitted {
        task,
        output: response,
    };
    let outcome = |o: TaskOutcome| crate::invoker::outcome_inputs(task, o);
    let Some(mode) = mode(&req.resource) else {
        return outcome(bad_parameters(format!(
            "Unsupported resource '{}'",
            req.resource
        )));
    };
    let params = &req.parameters;
    let Some(target) = params.get("StateMachineArn").and_then(Value::as_str) else {
        return outcome(bad_parameters(
            "The field 'StateMachineArn' is required and must be a string".to_string(),
        ));
    };
    let name = match params.get("Name") {
        None | Some(Value::Null) => default_name(parent, task),
        Some(Value::String(n)) => n.clone(),
        Some(_) => {
            return outcome(bad_parameters(
                "The field 'Name' must be a string".to_string(),
            ));
        }
    };
    let input_text = match params.get("Input") {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let (arn, start_ms, done) =
        match start_child(inner, target, &name, input_text, mode, parent, req).await {
            Ok(s) => s,
            Err(failed) => return outcome(failed),
        };
    let response = start_response(&arn, start_ms);
    match mode {
        Mode::Start if req.resource.ends_with(".waitForTaskToken") => vec![submitted(response)],
        Mode::Start => outcome(TaskOutcome::Succeeded(response)),
        Mode::Sync { .. } => {
            let mut inputs = vec![submitted(response)];
            // An Express child ran to its end already.
            if let Some(done) = done {
                inputs.extend(outcome(done));
            }
            inputs
        }
    }
}

/// (execution ARN, start date, the outcome when the child already ended).
type ChildStart = (String, i64, Option<TaskOutcome>);

async fn start_child(
    inner: &Arc<Inner>,
    target_arn: &str,
    name: &str,
    input_text: String,
    mode: Mode,
    parent: &str,
    req: &TaskRequest,
) -> Result<ChildStart, TaskOutcome> {
    crate::arn::check_name(name).map_err(|e| service_error(&e))?;
    let target = crate::start::resolve(inner, target_arn, name)
        .await
        .map_err(|e| service_error(&e))?;
    let (text, input) =
        crate::start::check_input(Some(input_text), inner.config.limits.max_payload_bytes)
            .map_err(|e| service_error(&e))?;
    if target.express {
        let arn = crate::arn::express_arn(&target.machine_arn, name);
        return match mode {
            Mode::Start => {
                let start = crate::core::now_ms();
                crate::express::spawn(
                    inner,
                    target,
                    arn.clone(),
                    name.to_string(),
                    text,
                    input,
                    None,
                );
                Ok((arn, start, None))
            }
            Mode::Sync { json } => {
                let r = crate::express::run(
                    inner,
                    &target,
                    arn.clone(),
                    name.to_string(),
                    text,
                    input,
                    None,
                )
                .await
                .map_err(|e| service_error(&e))?;
                Ok((arn, r.start_ms, Some(express_outcome(&r, json))))
            }
        };
    }
    let link = match mode {
        Mode::Start => None,
        Mode::Sync { json } => Some(ParentLink {
            execution_arn: parent.to_string(),
            task: req.task,
            json,
        }),
    };
    let machine_arn = target.machine_arn.clone();
    match crate::standard::start_linked(inner, target, name.to_string(), text.clone(), input, link)
        .await
    {
        Ok(s) => Ok((s.execution_arn, s.start_date_ms, None)),
        Err(Error::ExecutionAlreadyExists(arn)) => {
            // Invoked again after a crash: the child this task started before
            // (same name, same input) is ours; its end reaches us through the
            // link it was started with.
            let owned = crate::arn::execution_arn(&machine_arn, name);
            match inner.store(move |s| s.describe_execution(&owned)).await {
                Ok(e) if e.input == text => Ok((e.arn, e.started_at, None)),
                _ => Err(service_error(&Error::ExecutionAlreadyExists(arn))),
            }
        }
        Err(e) => Err(service_error(&e)),
    }
}

/// The `.sync` outcome of an Express child that ran in memory.
fn express_outcome(r: &crate::SyncResult, json: bool) -> TaskOutcome {
    let ending = Ending {
        status: match r.status.as_str() {
            "SUCCEEDED" => ExecutionStatus::Succeeded,
            "TIMED_OUT" => ExecutionStatus::TimedOut,
            _ => ExecutionStatus::Failed,
        },
        output: r.output.clone(),
        error: r.error.clone(),
        cause: r.cause.clone(),
        stopped_at: r.stop_ms,
    };
    let end = ChildEnd {
        execution_arn: &r.execution_arn,
        name: &r.name,
        state_machine_arn: &r.state_machine_arn,
        input: &r.input,
        start_ms: r.start_ms,
        redrive_count: None,
        ending: &ending,
    };
    match child_shape(&end, json) {
        (true, output) => TaskOutcome::Succeeded(output),
        (false, shape) => TaskOutcome::Failed {
            error: Some("States.TaskFailed".to_string()),
            cause: Some(shape.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Runtime, RuntimeConfig, StartExecution};
    use std::time::Duration;
    use store::{MachineType, SqliteStore, StateMachine, Store};

    fn machine(store: &dyn Store, name: &str, definition: &str) -> String {
        let arn = format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}");
        store
            .create_state_machine(StateMachine {
                arn: arn.clone(),
                name: name.to_string(),
                machine_type: MachineType::Standard,
                definition: definition.to_string(),
                role_arn: "arn:aws:iam::123456789012:role/r".into(),
                description: None,
                created_at: 1,
                revision_id: format!("rev-{name}"),
                logging_configuration: None,
                tracing_configuration: None,
            })
            .unwrap();
        arn
    }

    async fn start(rt: &Runtime, machine: &str, name: &str) -> String {
        rt.start_execution(StartExecution {
            target_arn: machine.to_string(),
            name: Some(name.to_string()),
            input: Some("{}".to_string()),
            trace_header: None,
        })
        .await
        .unwrap()
        .execution_arn
    }

    /// Starts a child linked to `parent`'s task `task`, as a `.sync` task does.
    async fn start_child(rt: &Runtime, machine: &str, name: &str, parent: &str, task: u64) {
        let inner = &rt.inner;
        let target = crate::start::resolve(inner, machine, name).await.unwrap();
        let link = ParentLink {
            execution_arn: parent.to_string(),
            task,
            json: false,
        };
        crate::standard::start_linked(
            inner,
            target,
            name.into(),
            "{}".into(),
            json!({}),
            Some(link),
        )
        .await
        .unwrap();
    }

    fn status(store: &dyn Store, machine: &str, name: &str) -> ExecutionStatus {
        let arn = crate::arn::execution_arn(machine, name);
        store.describe_execution(&arn).unwrap().status
    }

    /// A crash can leave a `.sync` child whose parent task ended before the
    /// parent recorded the child's ARN. After a restart each running child asks
    /// its parent: only a child whose task still waits for it keeps running.
    #[test]
    fn a_restart_stops_the_children_no_parent_task_waits_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let runtime = || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
        };
        let waits = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#;
        let activity = "arn:aws:states:us-east-1:123456789012:activity:work";
        let parent_def = format!(
            r#"{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"{activity}","End":true}}}}}}"#
        );
        let child_sm = runtime().block_on(async {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
            let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
            rt.start().await.unwrap();
            store
                .create_activity(store::Activity {
                    arn: activity.to_string(),
                    name: "work".to_string(),
                    created_at: 1,
                })
                .unwrap();
            let child_sm = machine(&*store, "child", waits);
            let parent_sm = machine(&*store, "parent", &parent_def);
            let waiting = start(&rt, &parent_sm, "waiting").await;
            let closed = start(&rt, &parent_sm, "closed").await;
            rt.stop_execution(&closed, None, None).await.unwrap();
            let actor = rt.inner.actor(&waiting).unwrap();
            let tasks: Vec<u64> = actor.state.lock().await.tasks.keys().copied().collect();
            let [task] = tasks[..] else {
                panic!("one pending task, not {tasks:?}")
            };
            start_child(&rt, &child_sm, "kept", &waiting, task).await;
            start_child(&rt, &child_sm, "retried", &waiting, task + 100).await;
            start_child(&rt, &child_sm, "of-closed", &closed, task).await;
            child_sm
        });
        runtime().block_on(async {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
            let rt = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
            rt.start().await.unwrap();
            let done = Duration::from_secs(10);
            for name in ["retried", "of-closed"] {
                let arn = crate::arn::execution_arn(&child_sm, name);
                rt.wait_until_done(&arn, done).await.unwrap();
                assert_eq!(
                    status(&*store, &child_sm, name),
                    ExecutionStatus::Aborted,
                    "{name}"
                );
            }
            assert_eq!(status(&*store, &child_sm, "kept"), ExecutionStatus::Running);
        });
    }

    #[test]
    fn default_names_are_stable_per_task_and_valid() {
        let a = default_name("arn:aws:states:us-east-1:1:execution:m:e", 3);
        assert_eq!(
            a,
            default_name("arn:aws:states:us-east-1:1:execution:m:e", 3)
        );
        assert_ne!(
            a,
            default_name("arn:aws:states:us-east-1:1:execution:m:e", 4)
        );
        assert!(crate::arn::check_name(&a).is_ok());
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn modes_follow_the_resource_suffix() {
        assert_eq!(mode(PREFIX), Some(Mode::Start));
        assert_eq!(
            mode(&format!("{PREFIX}.sync")),
            Some(Mode::Sync { json: false })
        );
        assert_eq!(
            mode(&format!("{PREFIX}.sync:2")),
            Some(Mode::Sync { json: true })
        );
        assert_eq!(
            mode(&format!("{PREFIX}.waitForTaskToken")),
            Some(Mode::Start)
        );
        assert_eq!(mode(&format!("{PREFIX}.sync:3")), None);
        assert!(!stops_with_parent(&format!("{PREFIX}.waitForTaskToken")));
    }
}
