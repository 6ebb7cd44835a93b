-- Stepwise store, schema 1. Times are INTEGER milliseconds since the Unix epoch;
-- JSON documents are TEXT. Kept in the SQL subset PostgreSQL also runs (bar types).

CREATE TABLE state_machines (
    arn                   TEXT PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    type                  TEXT NOT NULL CHECK (type IN ('STANDARD', 'EXPRESS')),
    definition            TEXT NOT NULL,
    role_arn              TEXT NOT NULL,
    description           TEXT,
    created_at            INTEGER NOT NULL,
    revision_id           TEXT NOT NULL,
    logging_configuration TEXT,
    tracing_configuration TEXT,
    -- Version numbers are never reused, even after a version is deleted.
    next_version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX state_machines_by_created ON state_machines (created_at, arn);

CREATE TABLE state_machine_versions (
    state_machine_arn TEXT NOT NULL,
    number            INTEGER NOT NULL,
    description       TEXT,
    definition        TEXT NOT NULL,
    role_arn          TEXT NOT NULL,
    revision_id       TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (state_machine_arn, number)
);

CREATE TABLE state_machine_aliases (
    arn                   TEXT PRIMARY KEY,
    state_machine_arn     TEXT NOT NULL,
    name                  TEXT NOT NULL,
    description           TEXT,
    routing_configuration TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    UNIQUE (state_machine_arn, name)
);

CREATE TABLE activities (
    arn        TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

CREATE TABLE executions (
    arn                       TEXT PRIMARY KEY,
    state_machine_arn         TEXT NOT NULL,
    state_machine_version_arn TEXT,
    state_machine_alias_arn   TEXT,
    name                      TEXT NOT NULL,
    status                    TEXT NOT NULL,
    input                     TEXT NOT NULL,
    output                    TEXT,
    error                     TEXT,
    cause                     TEXT,
    started_at                INTEGER NOT NULL,
    stopped_at                INTEGER,
    redrive_count             INTEGER NOT NULL DEFAULT 0,
    redrive_status            TEXT,
    -- Compare-and-set counter: one per committed transition.
    version                   INTEGER NOT NULL,
    snapshot                  BLOB,
    next_event_id             INTEGER NOT NULL,
    -- Unused by SQLite (one writer); the PostgreSQL backend's claim lease.
    lease_owner               TEXT,
    lease_until               INTEGER,
    UNIQUE (state_machine_arn, name)
);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, started_at DESC, arn DESC);
CREATE INDEX executions_by_started ON executions (started_at DESC, arn DESC);
CREATE INDEX executions_by_status ON executions (status, arn);

CREATE TABLE history (
    execution_arn TEXT NOT NULL,
    event_id      INTEGER NOT NULL,
    type          TEXT NOT NULL,
    timestamp     INTEGER NOT NULL,
    previous_id   INTEGER NOT NULL,
    details       TEXT NOT NULL,
    PRIMARY KEY (execution_arn, event_id)
) WITHOUT ROWID;

CREATE TABLE inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_arn TEXT NOT NULL,
    kind          TEXT NOT NULL,
    dedup_key     TEXT NOT NULL UNIQUE,
    payload       TEXT NOT NULL,
    visible_at    INTEGER NOT NULL
);
CREATE INDEX inbox_by_execution ON inbox (execution_arn, id);
CREATE INDEX inbox_by_visible ON inbox (visible_at);

CREATE TABLE timers (
    execution_arn TEXT NOT NULL,
    timer_id      INTEGER NOT NULL,
    fire_at       INTEGER NOT NULL,
    payload       TEXT NOT NULL,
    claimed_by    TEXT,
    claim_until   INTEGER,
    PRIMARY KEY (execution_arn, timer_id)
);
CREATE INDEX timers_by_fire_at ON timers (fire_at);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_arn   TEXT NOT NULL,
    task_id         INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    lease_owner     TEXT,
    lease_until     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (execution_arn, task_id)
);
CREATE INDEX outbox_by_lease ON outbox (lease_until);

CREATE TABLE task_tokens (
    token         TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    task_id       INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INVALIDATED'))
);
CREATE INDEX task_tokens_by_execution ON task_tokens (execution_arn, task_id);
