//! The `Store` trait: every read and write the runtime and server need, backend-neutral.
//!
//! Each method is one atomic unit: it either happens completely or returns an error
//! and changes nothing. Methods take and return plain data (no driver types, no
//! transactions across calls) so that a PostgreSQL backend is a second
//! implementation, not a rewrite.

use crate::Result;
use crate::model::*;

/// Receives the outcome of [`Store::commit_then`].
pub type CommitReply = Box<dyn FnOnce(Result<Vec<CommitOutcome>>) + Send>;

/// The one boundary to persistence.
pub trait Store: Send + Sync {
    // ---- state machines ----

    /// CreateStateMachine. `AlreadyExists` if the name or ARN is taken.
    fn create_state_machine(&self, machine: StateMachine) -> Result<()>;
    /// DescribeStateMachine. `NotFound` if absent.
    fn describe_state_machine(&self, arn: &str) -> Result<StateMachine>;
    /// ListStateMachines, oldest first.
    fn list_state_machines(&self, page: &PageRequest) -> Result<Page<StateMachine>>;
    /// UpdateStateMachine; returns the updated machine.
    fn update_state_machine(&self, update: StateMachineUpdate) -> Result<StateMachine>;
    /// DeleteStateMachine: the machine, its versions, aliases and tags. Executions
    /// stay (their histories remain describable, as on AWS). Deleting an absent
    /// machine succeeds, as on AWS.
    fn delete_state_machine(&self, arn: &str) -> Result<()>;

    // ---- versions and aliases ----

    /// PublishStateMachineVersion. If the latest version was published from the
    /// machine's current revision, returns that version instead (AWS's idempotency).
    fn publish_version(
        &self,
        state_machine_arn: &str,
        description: Option<String>,
        now: i64,
    ) -> Result<StateMachineVersion>;
    /// DescribeStateMachine on a version ARN.
    fn describe_version(&self, state_machine_arn: &str, number: i64)
    -> Result<StateMachineVersion>;
    /// ListStateMachineVersions, newest first.
    fn list_versions(
        &self,
        state_machine_arn: &str,
        page: &PageRequest,
    ) -> Result<Page<StateMachineVersion>>;
    /// DeleteStateMachineVersion. Deleting an absent version succeeds, as on AWS.
    fn delete_version(&self, state_machine_arn: &str, number: i64) -> Result<()>;
    /// CreateStateMachineAlias. `AlreadyExists` if the ARN is taken.
    fn create_alias(&self, alias: Alias) -> Result<()>;
    /// DescribeStateMachineAlias.
    fn describe_alias(&self, arn: &str) -> Result<Alias>;
    /// UpdateStateMachineAlias: `None` keeps a field.
    fn update_alias(
        &self,
        arn: &str,
        routing_configuration: Option<String>,
        description: Option<String>,
        now: i64,
    ) -> Result<Alias>;
    /// ListStateMachineAliases, oldest first.
    fn list_aliases(&self, state_machine_arn: &str, page: &PageRequest) -> Result<Page<Alias>>;
    /// DeleteStateMachineAlias. Deleting an absent alias succeeds.
    fn delete_alias(&self, arn: &str) -> Result<()>;

    // ---- activities and tags ----

    /// CreateActivity. Returns the stored activity: an existing one of the same name
    /// is returned unchanged (AWS's idempotency).
    fn create_activity(&self, activity: Activity) -> Result<Activity>;
    /// DescribeActivity.
    fn describe_activity(&self, arn: &str) -> Result<Activity>;
    /// ListActivities, oldest first.
    fn list_activities(&self, page: &PageRequest) -> Result<Page<Activity>>;
    /// DeleteActivity (and its tags). Deleting an absent activity succeeds.
    fn delete_activity(&self, arn: &str) -> Result<()>;
    /// TagResource: adds or overwrites tags.
    fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> Result<()>;
    /// UntagResource.
    fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()>;
    /// ListTagsForResource, by key.
    fn list_tags(&self, arn: &str) -> Result<Vec<(String, String)>>;

    // ---- executions ----

    /// StartExecution: inserts the execution (version 0) and applies `first`, its
    /// first transition, in one transaction, so an execution never exists without
    /// its `ExecutionStarted` event. `first.expected_version` must be 0.
    fn start_execution(&self, execution: NewExecution, first: Transition) -> Result<StartOutcome>;
    /// DescribeExecution.
    fn describe_execution(&self, arn: &str) -> Result<Execution>;
    /// ListExecutions, newest first.
    fn list_executions(
        &self,
        filter: &ExecutionFilter,
        page: &PageRequest,
    ) -> Result<Page<ExecutionSummary>>;
    /// The version and snapshot the runtime resumes from.
    fn execution_state(&self, arn: &str) -> Result<ExecutionState>;
    /// Running executions in ARN order after `after`, for recovery on start.
    fn running_executions(&self, after: Option<&str>, limit: usize) -> Result<Vec<ExecutionState>>;

    /// Applies each transition whose expected version matches, all in one
    /// transaction; per item `Committed`, `VersionConflict` or `NotFound` (the
    /// latter two write nothing of that item). `Err` means nothing of the batch was
    /// written (or, for an I/O error during commit, that it is unknown whether it
    /// was: the caller must re-read).
    fn commit(&self, batch: Vec<Transition>) -> Result<Vec<CommitOutcome>>;

    /// [`Store::commit`] answered through `done` rather than by blocking: a
    /// backend with its own writer queues the batch and returns at once (async
    /// callers then need no thread of their own per commit). `done` may run on
    /// another thread and must not block.
    fn commit_then(&self, batch: Vec<Transition>, done: CommitReply) {
        done(self.commit(batch));
    }

    /// The journal entries of one execution after version `after`, by version
    /// ascending (at most `limit`); empty for an unknown execution.
    fn journal(&self, execution_arn: &str, after: i64, limit: usize) -> Result<Vec<JournalEntry>>;

    /// GetExecutionHistory: one page, by event id ascending or descending.
    fn history(&self, execution_arn: &str, query: &HistoryQuery) -> Result<Page<EventRow>>;

    /// An execution's whole history, oldest first (what a replay is checked
    /// against). A backend may read it in one pass instead of page by page.
    fn all_events(&self, execution_arn: &str) -> Result<Vec<EventRow>> {
        let mut events = Vec::new();
        let mut query = HistoryQuery {
            reverse_order: false,
            page: crate::PageRequest::first(1000),
        };
        loop {
            let page = self.history(execution_arn, &query)?;
            events.extend(page.items);
            match page.next_token {
                Some(token) => query.page.next_token = Some(token),
                None => return Ok(events),
            }
        }
    }

    // ---- inbox ----

    /// Adds inbox rows; a row whose dedup key is present is dropped (`Duplicate`).
    fn append_inbox(&self, rows: Vec<NewInboxRow>) -> Result<Vec<InboxAppend>>;
    /// The visible inbox rows of one execution, oldest first.
    fn inbox(&self, execution_arn: &str, now: i64) -> Result<Vec<InboxRow>>;
    /// Executions with visible inbox rows, oldest row first: work to pick up.
    fn executions_with_inbox(&self, now: i64, limit: usize) -> Result<Vec<String>>;

    // ---- timers ----

    /// Timers with `fire_at <= now`, earliest first.
    fn due_timers(&self, now: i64, limit: usize) -> Result<Vec<Timer>>;
    /// The earliest armed timer's `fire_at`, so a scheduler knows how long to sleep.
    fn next_timer_at(&self) -> Result<Option<i64>>;
    /// Fires timers: each still-armed one is deleted and becomes an inbox row
    /// (kind `timer`, its payload, dedup key `timer:<execution>:<id>`) in one
    /// transaction. Returns how many fired (a timer already removed is skipped).
    fn fire_timers(&self, timers: &[(String, i64)], now: i64) -> Result<usize>;

    // ---- outbox and task tokens ----

    /// Pending side effects not leased at `now`, oldest first (read-only).
    fn outbox(&self, now: i64, limit: usize) -> Result<Vec<OutboxRow>>;
    /// Leases up to `limit` unleased (or expired) outbox rows to `owner` until
    /// `now + lease_ms`, counting an attempt; the dispatcher then invokes them.
    fn claim_outbox(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>>;
    /// A side effect finished: deletes its outbox row and, in the same transaction,
    /// adds its result to the inbox (dropped if the dedup key is present).
    fn complete_outbox(
        &self,
        execution_arn: &str,
        task_id: i64,
        result: Option<NewInboxRow>,
    ) -> Result<()>;
    /// Looks up a task token.
    fn task_token(&self, token: &str) -> Result<Option<TaskToken>>;

    /// The directory a file-backed store keeps its files in (the runtime writes
    /// execution logs beside them); `None` for a store without one.
    fn data_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
}
