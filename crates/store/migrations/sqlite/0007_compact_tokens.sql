-- Stepwise store, schema 7: task tokens in one tree.
--
-- A token row lived in a rowid table plus the index its TEXT primary key
-- implies, and carried its execution's ARN: two trees written per token and
-- some 150 bytes a row. Keyed by the token itself (WITHOUT ROWID) and naming
-- the execution by its integer id, a token is one small entry in one tree.

CREATE TABLE task_tokens_7 (
    token        TEXT PRIMARY KEY,
    execution_id INTEGER NOT NULL,
    task_id      INTEGER NOT NULL,
    -- 1 while the task waits for SendTask*; 0 once it ended.
    active       INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO task_tokens_7 (token, execution_id, task_id, active)
SELECT t.token, e.id, t.task_id, t.status = 'ACTIVE'
FROM task_tokens t JOIN executions e ON e.arn = t.execution_arn;

DROP TABLE task_tokens;
ALTER TABLE task_tokens_7 RENAME TO task_tokens;
