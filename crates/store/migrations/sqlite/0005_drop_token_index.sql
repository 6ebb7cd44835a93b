-- No query looks task tokens up by execution (answers look them up by token),
-- and every scheduled task paid for keeping this index.
DROP INDEX IF EXISTS task_tokens_by_execution;
