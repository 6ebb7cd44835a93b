-- Stepwise store, schema 6: one row per transition, appended in commit order.
--
-- History events and journal entries used to be rows keyed by execution ARN
-- (and event id or version). Every transition then inserted into as many spots
-- of those trees as executions were running, and SQLite rebalanced a page
-- beside each spot: about nine 4 KiB pages written per transition for some
-- 2 KiB of data. Now a transition is one row keyed by a global sequence (always
-- appended at the tree's right edge) holding its events and its journal entry,
-- found through one small index entry on an integer execution id.

ALTER TABLE executions ADD COLUMN id INTEGER;
UPDATE executions SET id = rowid;
CREATE UNIQUE INDEX executions_by_id ON executions (id);

CREATE TABLE transitions (
    seq          INTEGER PRIMARY KEY,
    execution_id INTEGER NOT NULL,
    -- The execution's version after the transition.
    version      INTEGER NOT NULL,
    -- The id of its first event; the next event's id when it has none, so that
    -- (first_event, version) orders an execution's rows as version does.
    first_event  INTEGER NOT NULL,
    -- A JSON array of {"id","type","timestamp","previous_id","details"}; NULL
    -- when the transition recorded no event.
    events       TEXT,
    -- The runtime's journal entry; NULL when the transition wrote none.
    journal      TEXT
);

-- History written before: chunks of 100 events in rows of negative version
-- (before every journal entry), then one row per journal entry.
INSERT INTO transitions (execution_id, version, first_event, events, journal)
SELECT execution_id, chunk - chunks, MIN(event_id),
       json_group_array(json_object('id', event_id, 'type', type, 'timestamp', timestamp,
                                   'previous_id', previous_id, 'details', json(details))
                        ORDER BY event_id),
       NULL
FROM (SELECT e.id AS execution_id, h.event_id, h.type, h.timestamp, h.previous_id, h.details,
             (ROW_NUMBER() OVER w - 1) / 100 AS chunk,
             (COUNT(*) OVER (PARTITION BY h.execution_arn) + 99) / 100 AS chunks
      FROM history h JOIN executions e ON e.arn = h.execution_arn
      WINDOW w AS (PARTITION BY h.execution_arn ORDER BY h.event_id))
GROUP BY execution_id, chunk;

INSERT INTO transitions (execution_id, version, first_event, events, journal)
SELECT e.id, j.version, e.next_event_id, NULL, j.entry
FROM journal j JOIN executions e ON e.arn = j.execution_arn
ORDER BY e.id, j.version;

DROP TABLE history;
DROP TABLE journal;

CREATE INDEX transitions_by_execution ON transitions (execution_id, first_event, version);
