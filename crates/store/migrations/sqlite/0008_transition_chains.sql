-- Stepwise store, schema 8: an execution's transitions are a chain, not an index.
--
-- Rows of `transitions` were found through an index on (execution id, first
-- event, version). Running executions each insert at their own spot of that
-- index, so every transition wrote a 4 KiB index page to the WAL (and later to
-- the database) for a 20-byte entry: about a quarter of all pages written. Now
-- each row names the previous row of its execution, and the execution names its
-- last row, and a commit writes nothing beside the row it appends and the
-- execution row it updates anyway. Every 64th version is a checkpoint, indexed:
-- a read starts at the checkpoint nearest its position and walks back at most
-- 64 rows at a time (one index entry per 64 transitions).

ALTER TABLE transitions ADD COLUMN previous INTEGER;
ALTER TABLE executions ADD COLUMN last_transition INTEGER;

UPDATE transitions SET previous = chain.previous
FROM (SELECT seq, LAG(seq) OVER (PARTITION BY execution_id ORDER BY first_event, version)
             AS previous
      FROM transitions) AS chain
WHERE chain.seq = transitions.seq;

UPDATE executions SET last_transition = chain.last
FROM (SELECT execution_id, seq AS last
      FROM (SELECT execution_id, seq,
                   ROW_NUMBER() OVER (PARTITION BY execution_id
                                      ORDER BY first_event DESC, version DESC) AS n
            FROM transitions)
      WHERE n = 1) AS chain
WHERE chain.execution_id = executions.id;

DROP INDEX transitions_by_execution;
CREATE INDEX transitions_checkpoints ON transitions (execution_id, version)
    WHERE version % 64 = 0;
