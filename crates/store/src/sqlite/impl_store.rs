//! `Store` for `SqliteStore`: writes go to the writer thread, reads to a pooled reader.

use super::{SqliteStore, commit, executions, history, machines, queues};
use crate::model::*;
use crate::{CommitReply, Result, Store};

impl Store for SqliteStore {
    fn data_dir(&self) -> Option<std::path::PathBuf> {
        self.path.parent().map(std::path::Path::to_path_buf)
    }

    fn create_state_machine(&self, machine: StateMachine) -> Result<()> {
        self.write(move |c| machines::create_machine(c, &machine))
    }

    fn describe_state_machine(&self, arn: &str) -> Result<StateMachine> {
        self.read(|c| machines::describe_machine(c, arn))
    }

    fn list_state_machines(&self, page: &PageRequest) -> Result<Page<StateMachine>> {
        self.read(|c| machines::list_machines(c, page))
    }

    fn update_state_machine(&self, update: StateMachineUpdate) -> Result<StateMachine> {
        self.write(move |c| machines::update_machine(c, &update))
    }

    fn delete_state_machine(&self, arn: &str) -> Result<()> {
        let arn = arn.to_string();
        self.write(move |c| machines::delete_machine(c, &arn))
    }

    fn publish_version(
        &self,
        state_machine_arn: &str,
        description: Option<String>,
        now: i64,
    ) -> Result<StateMachineVersion> {
        let arn = state_machine_arn.to_string();
        self.write(move |c| machines::publish_version(c, &arn, description.clone(), now))
    }

    fn describe_version(
        &self,
        state_machine_arn: &str,
        number: i64,
    ) -> Result<StateMachineVersion> {
        self.read(|c| machines::describe_version(c, state_machine_arn, number))
    }

    fn list_versions(
        &self,
        state_machine_arn: &str,
        page: &PageRequest,
    ) -> Result<Page<StateMachineVersion>> {
        self.read(|c| machines::list_versions(c, state_machine_arn, page))
    }

    fn delete_version(&self, state_machine_arn: &str, number: i64) -> Result<()> {
        let arn = state_machine_arn.to_string();
        self.write(move |c| machines::delete_version(c, &arn, number))
    }

    fn create_alias(&self, alias: Alias) -> Result<()> {
        self.write(move |c| machines::create_alias(c, &alias))
    }

    fn describe_alias(&self, arn: &str) -> Result<Alias> {
        self.read(|c| machines::describe_alias(c, arn))
    }

    fn update_alias(
        &self,
        arn: &str,
        routing_configuration: Option<String>,
        description: Option<String>,
        now: i64,
    ) -> Result<Alias> {
        let arn = arn.to_string();
        self.write(move |c| {
            machines::update_alias(
                c,
                &arn,
                routing_configuration.clone(),
                description.clone(),
                now,
            )
        })
    }

    fn list_aliases(&self, state_machine_arn: &str, page: &PageRequest) -> Result<Page<Alias>> {
        self.read(|c| machines::list_aliases(c, state_machine_arn, page))
    }

    fn delete_alias(&self, arn: &str) -> Result<()> {
        let arn = arn.to_string();
        self.write(move |c| machines::delete_alias(c, &arn))
    }

    fn create_activity(&self, activity: Activity) -> Result<Activity> {
        self.write(move |c| machines::create_activity(c, &activity))
    }

    fn describe_activity(&self, arn: &str) -> Result<Activity> {
        self.read(|c| machines::describe_activity(c, arn))
    }

    fn list_activities(&self, page: &PageRequest) -> Result<Page<Activity>> {
        self.read(|c| machines::list_activities(c, page))
    }

    fn delete_activity(&self, arn: &str) -> Result<()> {
        let arn = arn.to_string();
        self.write(move |c| machines::delete_activity(c, &arn))
    }

    fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> Result<()> {
        let (arn, tags) = (arn.to_string(), tags.to_vec());
        self.write(move |c| machines::tag(c, &arn, &tags))
    }

    fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()> {
        let (arn, keys) = (arn.to_string(), keys.to_vec());
        self.write(move |c| machines::untag(c, &arn, &keys))
    }

    fn list_tags(&self, arn: &str) -> Result<Vec<(String, String)>> {
        self.read(|c| machines::list_tags(c, arn))
    }

    fn start_execution(&self, execution: NewExecution, first: Transition) -> Result<StartOutcome> {
        self.write(move |c| executions::start(c, &execution, &first))
    }

    fn describe_execution(&self, arn: &str) -> Result<Execution> {
        self.read(|c| executions::describe(c, arn))
    }

    fn list_executions(
        &self,
        filter: &ExecutionFilter,
        page: &PageRequest,
    ) -> Result<Page<ExecutionSummary>> {
        self.read(|c| executions::list(c, filter, page))
    }

    fn execution_state(&self, arn: &str) -> Result<ExecutionState> {
        self.read(|c| executions::execution_state(c, arn))
    }

    fn running_executions(&self, after: Option<&str>, limit: usize) -> Result<Vec<ExecutionState>> {
        self.read(|c| executions::running(c, after, limit))
    }

    fn commit(&self, batch: Vec<Transition>) -> Result<Vec<CommitOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.write(move |c| commit::apply_batch(c, &batch))
    }

    fn commit_then(&self, batch: Vec<Transition>, done: CommitReply) {
        if batch.is_empty() {
            return done(Ok(Vec::new()));
        }
        self.write_then(move |c| commit::apply_batch(c, &batch), done);
    }

    fn journal(&self, execution_arn: &str, after: i64, limit: usize) -> Result<Vec<JournalEntry>> {
        self.read(|c| history::journal(c, execution_arn, after, limit))
    }

    fn history(&self, execution_arn: &str, query: &HistoryQuery) -> Result<Page<EventRow>> {
        self.read(|c| history::page(c, execution_arn, query))
    }

    fn all_events(&self, execution_arn: &str) -> Result<Vec<EventRow>> {
        self.read(|c| history::all(c, execution_arn))
    }

    fn append_inbox(&self, rows: Vec<NewInboxRow>) -> Result<Vec<InboxAppend>> {
        self.write(move |c| queues::append_inbox(c, &rows))
    }

    fn inbox(&self, execution_arn: &str, now: i64) -> Result<Vec<InboxRow>> {
        self.read(|c| queues::inbox(c, execution_arn, now))
    }

    fn executions_with_inbox(&self, now: i64, limit: usize) -> Result<Vec<String>> {
        self.read(|c| queues::executions_with_inbox(c, now, limit))
    }

    fn due_timers(&self, now: i64, limit: usize) -> Result<Vec<Timer>> {
        self.read(|c| queues::due_timers(c, now, limit))
    }

    fn next_timer_at(&self) -> Result<Option<i64>> {
        self.read(queues::next_timer_at)
    }

    fn fire_timers(&self, timers: &[(String, i64)], now: i64) -> Result<usize> {
        let timers = timers.to_vec();
        self.write(move |c| queues::fire_timers(c, &timers, now))
    }

    fn outbox(&self, now: i64, limit: usize) -> Result<Vec<OutboxRow>> {
        self.read(|c| queues::outbox(c, now, limit))
    }

    fn claim_outbox(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>> {
        let owner = owner.to_string();
        self.write(move |c| queues::claim_outbox(c, &owner, now, lease_ms, limit))
    }

    fn complete_outbox(
        &self,
        execution_arn: &str,
        task_id: i64,
        result: Option<NewInboxRow>,
    ) -> Result<()> {
        let arn = execution_arn.to_string();
        self.write(move |c| queues::complete_outbox(c, &arn, task_id, result.as_ref()))
    }

    fn task_token(&self, token: &str) -> Result<Option<TaskToken>> {
        self.read(|c| queues::task_token(c, token))
    }
}
