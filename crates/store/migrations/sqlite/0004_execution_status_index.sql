-- ListExecutions filtered by state machine and status, newest first, reads this
-- index in order instead of scanning the machine's executions for a rare status.
CREATE INDEX executions_by_machine_status
    ON executions (state_machine_arn, status, started_at DESC, arn DESC);
-- The same for a status across all state machines.
CREATE INDEX executions_by_status_started
    ON executions (status, started_at DESC, arn DESC);
