-- Stepwise store, schema 2: the runtime's journal of what drove each transition
-- (the serialised input and its time; the start facts at version 1). Recovery
-- replays it through the engine; the history it reproduces is checked against
-- the stored one. The store never interprets an entry.

CREATE TABLE journal (
    execution_arn TEXT NOT NULL,
    -- The execution's version after the transition that wrote the entry.
    version       INTEGER NOT NULL,
    entry         TEXT NOT NULL,
    PRIMARY KEY (execution_arn, version)
) WITHOUT ROWID;
