-- The write path keeps the fold's state in memory. Each batch's transaction appends only the
-- log: its raw events, its batch row and its offsets. The derived tables (investigation and
-- worker states, ledgers, day, month and caseload-epoch sums, counters, offsets) are written
-- in bulk at checkpoints, each recording in `checkpoints` the last batch it covers; after a
-- crash the batches past it are folded again from `raw_events`.

-- The position of each event in its batch: the re-fold applies events in the order the live
-- fold did (lateness and held counts depend on it).
ALTER TABLE raw_events ADD COLUMN batch_seq INTEGER;

-- What a batch's counters need beyond its raw events, for the re-fold.
ALTER TABLE batches ADD COLUMN duplicates BIGINT;
ALTER TABLE batches ADD COLUMN dead_letters VARCHAR;   -- JSON object: reason -> count

-- Where each opened investigation's intake is attributed (receipt, and the zone then): the
-- family index the repeat indicator needs is loaded from it. Filled by the writer at open
-- for rows written before this migration.
ALTER TABLE investigations ADD COLUMN intake_zone VARCHAR;

-- Each batch's next offsets, appended with it; a checkpoint folds them into kafka_offsets.
CREATE TABLE batch_offsets (
    batch_id         BIGINT  NOT NULL,
    topic            VARCHAR NOT NULL,
    kafka_partition  INTEGER NOT NULL,
    next_offset      BIGINT  NOT NULL
);

-- The next offset to read per partition: checkpointed ones and those of later batches.
CREATE VIEW committed_offsets AS
    SELECT topic, kafka_partition, max(next_offset)::BIGINT AS next_offset
    FROM (
        SELECT topic, kafka_partition, next_offset FROM kafka_offsets
        UNION ALL
        SELECT topic, kafka_partition, next_offset FROM batch_offsets
    )
    GROUP BY ALL;

-- One row per checkpoint: the derived tables cover every batch up to `derived_through`.
CREATE TABLE checkpoints (
    derived_through  BIGINT NOT NULL,
    taken_at         BIGINT NOT NULL,   -- wall clock, ns
    batches          BIGINT NOT NULL,   -- batches folded since the previous checkpoint
    events           BIGINT NOT NULL,
    took_ms          BIGINT NOT NULL
);

-- A database written by the earlier path derived every batch as it committed it.
INSERT INTO checkpoints
SELECT coalesce(max(batch_id), 0), (epoch_us(now()) * 1000)::BIGINT, 0, 0, 0 FROM batches;
