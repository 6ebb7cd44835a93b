//! The records the store keeps and the requests it takes, shared by every backend.
//!
//! Times are milliseconds since the Unix epoch, supplied by the caller (the runtime
//! owns the clock), and JSON documents travel as text: the store never interprets a
//! definition, an input or an event's details, so it cannot disagree with the
//! engine about them.

use std::fmt;

use crate::Error;

/// `STANDARD` (durable history, exactly-once transitions) or `EXPRESS` (in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineType {
    Standard,
    Express,
}

impl MachineType {
    /// AWS's spelling, also the stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }

    /// Parses AWS's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "STANDARD" => Some(MachineType::Standard),
            "EXPRESS" => Some(MachineType::Express),
            _ => None,
        }
    }
}

/// A state machine as CreateStateMachine stores it and DescribeStateMachine shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    pub arn: String,
    pub name: String,
    pub machine_type: MachineType,
    /// The ASL text exactly as the user sent it (AWS returns it verbatim).
    pub definition: String,
    pub role_arn: String,
    pub description: Option<String>,
    pub created_at: i64,
    /// Changes on every UpdateStateMachine; PublishStateMachineVersion compares it.
    pub revision_id: String,
    /// `loggingConfiguration` as JSON text.
    pub logging_configuration: Option<String>,
    /// `tracingConfiguration` as JSON text.
    pub tracing_configuration: Option<String>,
}

/// UpdateStateMachine: `None` fields keep their value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateMachineUpdate {
    pub arn: String,
    pub definition: Option<String>,
    pub role_arn: Option<String>,
    pub description: Option<String>,
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
    /// The new revision id; the caller generates it so the store stays clock- and
    /// randomness-free.
    pub revision_id: String,
}

/// A published, immutable version of a state machine.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachineVersion {
    /// `<state machine arn>:<number>`.
    pub arn: String,
    pub state_machine_arn: String,
    /// Starts at 1 and is never reused, even after the version is deleted.
    pub number: i64,
    pub description: Option<String>,
    pub definition: String,
    pub role_arn: String,
    /// The state machine's revision this version was published from.
    pub revision_id: String,
    pub created_at: i64,
}

/// An alias: a name routing StartExecution to one or two versions by weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    pub arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub description: Option<String>,
    /// `routingConfiguration` as JSON text (a list of `{stateMachineVersionArn, weight}`).
    pub routing_configuration: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An activity: a named queue of tasks that workers poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub arn: String,
    pub name: String,
    pub created_at: i64,
}

/// An execution's status, in AWS's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
    PendingRedrive,
}

impl ExecutionStatus {
    /// AWS's spelling, also the stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
            ExecutionStatus::PendingRedrive => "PENDING_REDRIVE",
        }
    }

    /// Parses AWS's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "RUNNING" => ExecutionStatus::Running,
            "SUCCEEDED" => ExecutionStatus::Succeeded,
            "FAILED" => ExecutionStatus::Failed,
            "TIMED_OUT" => ExecutionStatus::TimedOut,
            "ABORTED" => ExecutionStatus::Aborted,
            "PENDING_REDRIVE" => ExecutionStatus::PendingRedrive,
            _ => return None,
        })
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// StartExecution's row, written together with the execution's first transition.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExecution {
    pub arn: String,
    pub state_machine_arn: String,
    pub state_machine_version_arn: Option<String>,
    pub state_machine_alias_arn: Option<String>,
    pub name: String,
    pub input: String,
    pub started_at: i64,
}

/// An execution as DescribeExecution shows it, plus the store's bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub arn: String,
    pub state_machine_arn: String,
    pub state_machine_version_arn: Option<String>,
    pub state_machine_alias_arn: Option<String>,
    pub name: String,
    pub status: ExecutionStatus,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub started_at: i64,
    pub stopped_at: Option<i64>,
    pub redrive_count: i64,
    pub redrive_status: Option<String>,
    /// When RedriveExecution last restarted it (epoch ms).
    pub redrive_date: Option<i64>,
    /// The compare-and-set counter: the number of committed transitions.
    pub version: i64,
    /// The id the next history event gets (one past the last stored id).
    pub next_event_id: i64,
}

/// One line of ListExecutions: no payloads, so a page stays small.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionSummary {
    pub arn: String,
    pub state_machine_arn: String,
    pub state_machine_version_arn: Option<String>,
    pub state_machine_alias_arn: Option<String>,
    pub name: String,
    pub status: ExecutionStatus,
    pub started_at: i64,
    pub stopped_at: Option<i64>,
    pub redrive_count: i64,
    pub redrive_date: Option<i64>,
}

/// What the runtime needs to resume an execution: its CAS version and snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionState {
    pub arn: String,
    pub status: ExecutionStatus,
    pub version: i64,
    pub next_event_id: i64,
    /// The engine's serialised state as of `version`; `None` means "replay history".
    pub snapshot: Option<Vec<u8>>,
}

/// ListExecutions' filters; every `Some` must match.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecutionFilter {
    pub state_machine_arn: Option<String>,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    pub status: Option<ExecutionStatus>,
}

/// One history event, already serialised by the engine (`EventRow::from_event`).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub previous_id: i64,
    /// AWS's type name, e.g. `TaskStateEntered`.
    pub event_type: String,
    pub timestamp: i64,
    /// The event's details member as JSON text, e.g.
    /// `{"stateEnteredEventDetails":{…}}`; empty object for events without details.
    pub details: String,
}

/// How an execution ended, written in the transition that ends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    pub status: ExecutionStatus,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub stopped_at: i64,
}

/// A timer to arm: fires by moving into the inbox at `fire_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTimer {
    /// The engine's timer id, unique within the execution.
    pub timer_id: i64,
    pub fire_at: i64,
    /// Handed back in the inbox row when it fires.
    pub payload: String,
}

/// An armed timer.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub execution_arn: String,
    pub timer_id: i64,
    pub fire_at: i64,
    pub payload: String,
}

/// A side effect to carry out after the transition commits (transactional outbox).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutboxRow {
    /// The engine's task id, unique within the execution.
    pub task_id: i64,
    /// What to do (`invoke`, `start_execution`, …); the runtime's vocabulary.
    pub kind: String,
    pub payload: String,
    /// Sent to the target so a repeated invocation is recognised; unique store-wide.
    pub idempotency_key: String,
}

/// A pending side effect and its dispatch lease.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub execution_arn: String,
    pub task_id: i64,
    pub kind: String,
    pub payload: String,
    pub idempotency_key: String,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub attempts: i64,
}

/// Something that happened outside an execution, waiting for its next transition.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInboxRow {
    pub execution_arn: String,
    /// `start`, `task_result`, `timer`, `stop`, …; the runtime's vocabulary.
    pub kind: String,
    /// Unique store-wide while the row exists: a second delivery of the same result
    /// (same key) is dropped. Include the execution ARN in it.
    pub dedup_key: String,
    pub payload: String,
    /// Not handed out before this instant.
    pub visible_at: i64,
}

/// A stored inbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    pub id: i64,
    pub execution_arn: String,
    pub kind: String,
    pub dedup_key: String,
    pub payload: String,
    pub visible_at: i64,
}

/// Whether an inbox row was added or its dedup key was already present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxAppend {
    Inserted(i64),
    Duplicate,
}

/// A task token handed to a worker (`.waitForTaskToken`, activities).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTaskToken {
    pub token: String,
    pub task_id: i64,
}

/// A stored task token and whether it can still be answered.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskToken {
    pub token: String,
    pub execution_arn: String,
    pub task_id: i64,
    /// False once the task ended, timed out or its state was left.
    pub active: bool,
}

/// Everything one state transition of one execution writes, atomically.
///
/// The store applies it only if the execution's version still equals
/// `expected_version` (compare-and-set), then bumps the version by one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transition {
    pub execution_arn: String,
    pub expected_version: i64,
    /// New history events; ids must increase and start past the stored history.
    pub events: Vec<EventRow>,
    /// Set when this transition redrives a closed execution (RedriveExecution, at
    /// this epoch-ms time): it is RUNNING again without output, error, cause or
    /// stop date, its `redrive_count` goes up by one. Applied before `ending`.
    pub redrive: Option<i64>,
    /// Set when this transition ends the execution.
    pub ending: Option<Ending>,
    pub timers_add: Vec<NewTimer>,
    /// Timer ids of this execution to disarm.
    pub timers_remove: Vec<i64>,
    pub outbox_add: Vec<NewOutboxRow>,
    /// Task ids of this execution whose pending side effect is no longer wanted.
    pub outbox_remove: Vec<i64>,
    /// Inbox row ids this transition consumed.
    pub inbox_consumed: Vec<i64>,
    /// Inbox rows for other executions (a child's result for its parent, a stop
    /// for a child), written with this transition so none is lost or doubled; a
    /// row whose dedup key is present is dropped.
    pub inbox_add: Vec<NewInboxRow>,
    pub tokens_add: Vec<NewTaskToken>,
    /// Tokens that must no longer be accepted.
    pub tokens_invalidate: Vec<String>,
    /// The engine's state after this transition; `None` keeps the stored one.
    pub snapshot: Option<Vec<u8>>,
    /// The runtime's record of what caused this transition (opaque text), stored
    /// under the execution's new version; recovery replays these in order.
    pub journal: Option<String>,
}

impl Transition {
    /// An empty transition of `execution_arn` expecting `expected_version`.
    pub fn new(execution_arn: impl Into<String>, expected_version: i64) -> Self {
        Transition {
            execution_arn: execution_arn.into(),
            expected_version,
            ..Transition::default()
        }
    }
}

/// One journal entry: the execution's version after the transition that wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    pub version: i64,
    pub entry: String,
}

/// The per-item answer of `Store::commit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Written; the execution is now at `version`.
    Committed { version: i64 },
    /// Someone else committed first; nothing of this item was written.
    VersionConflict { current: i64 },
    /// No such execution; nothing was written.
    NotFound,
}

/// StartExecution's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum StartOutcome {
    /// Created, with the first transition applied (version 1).
    Started,
    /// An execution of that state machine with that name exists; the caller compares
    /// inputs to decide between idempotent success and ExecutionAlreadyExists.
    Existing(Box<Execution>),
}

/// A page request: AWS's `maxResults` and `nextToken`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageRequest {
    /// 0 means the default (100); values above 1000 are capped, as AWS does.
    pub max_results: usize,
    pub next_token: Option<String>,
}

impl PageRequest {
    /// The first page of at most `max_results` items.
    pub fn first(max_results: usize) -> Self {
        PageRequest {
            max_results,
            next_token: None,
        }
    }

    /// The effective page size.
    pub fn limit(&self) -> usize {
        match self.max_results {
            0 => 100,
            n => n.min(1000),
        }
    }
}

/// One page of a listing; `next_token` is `Some` while more items may follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// GetExecutionHistory's order and page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryQuery {
    pub reverse_order: bool,
    pub page: PageRequest,
}

impl EventRow {
    /// The stored row of an engine event: its AWS JSON form minus the columns kept
    /// separately.
    pub fn from_event(event: &engine::HistoryEvent) -> Self {
        EventRow {
            id: event.id as i64,
            previous_id: event.previous_event_id as i64,
            event_type: event.type_name(),
            timestamp: event.timestamp,
            details: event.details_text(),
        }
    }

    /// The event as GetExecutionHistory lists it (the engine's `to_json` shape).
    pub fn to_json(&self) -> Result<serde_json::Value, Error> {
        let details: serde_json::Value = serde_json::from_str(&self.details)
            .map_err(|e| Error::Corrupt(format!("event {} details: {e}", self.id)))?;
        let mut m = serde_json::Map::new();
        m.insert(
            "timestamp".into(),
            engine::time::format_timestamp(self.timestamp).into(),
        );
        m.insert("type".into(), self.event_type.clone().into());
        m.insert("id".into(), self.id.into());
        m.insert("previousEventId".into(), self.previous_id.into());
        if let serde_json::Value::Object(d) = details {
            m.extend(d);
        }
        Ok(serde_json::Value::Object(m))
    }
}
