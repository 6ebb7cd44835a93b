-- Stepwise store, schema 3: when an execution was last redriven (RedriveExecution's
-- redriveDate; NULL while it never was).

ALTER TABLE executions ADD COLUMN redrive_date INTEGER;
