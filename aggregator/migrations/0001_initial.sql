-- childstat schema v1.
-- Instants are BIGINT nanoseconds since the Unix epoch (UTC): events carry nine fractional
-- digits and deadlines are compared exactly. `day` columns are local dates in the configured
-- time zone, as days since 1970-01-01.

-- Every accepted event, once (first delivery wins), for replay and recomputation.
CREATE TABLE raw_events (
    event_id          VARCHAR  NOT NULL,
    id_hash           UBIGINT  NOT NULL,   -- xxh3-64 of event_id: the in-memory duplicate filter
    event_type        VARCHAR  NOT NULL,
    zone              VARCHAR  NOT NULL,
    occurred_at       BIGINT   NOT NULL,
    recorded_at       BIGINT   NOT NULL,
    investigation_id  VARCHAR,
    worker_id         VARCHAR,
    supervisor_id     VARCHAR,
    family_id         VARCHAR,
    received_at       BIGINT,
    children          INTEGER,
    children_seen     INTEGER,
    kind              VARCHAR,             -- contact or conference kind
    outcome           VARCHAR,             -- safety result, finding
    role              VARCHAR,
    status            VARCHAR,
    flag_heightened   BOOLEAN,
    flag_after_hours  BOOLEAN,
    flag_by_ecs       BOOLEAN,
    flag_emergency    BOOLEAN,
    payload           VARCHAR  NOT NULL,   -- the original message value
    source_topic      VARCHAR  NOT NULL,
    source_partition  INTEGER  NOT NULL,
    source_offset     BIGINT   NOT NULL,
    arrived_at        BIGINT   NOT NULL,   -- wall clock at ingest
    batch_id          BIGINT   NOT NULL
);

-- Folded per-investigation state (JSON of core::InvState), plus columns for lookups.
CREATE TABLE investigations (
    investigation_id  VARCHAR PRIMARY KEY,
    family_id         VARCHAR,
    zone              VARCHAR,
    received_at       BIGINT,
    opened            BOOLEAN NOT NULL,
    state             VARCHAR NOT NULL
);

-- Worker status history (JSON of core::WorkerState).
CREATE TABLE workers (
    worker_id  VARCHAR PRIMARY KEY,
    state      VARCHAR NOT NULL
);

-- Signed contributions to each indicator series. Retractions are negative rows, so the
-- ledger is append-only and sums stay exact under late data.
CREATE TABLE contrib_ledger (
    indicator  VARCHAR NOT NULL,
    zone       VARCHAR NOT NULL,
    at_ns      BIGINT  NOT NULL,
    day        INTEGER NOT NULL,
    num        BIGINT  NOT NULL,
    den        BIGINT  NOT NULL,
    batch_id   BIGINT  NOT NULL
);

-- The ledger summed per local day: the buckets that windows and history read.
CREATE TABLE day_agg (
    indicator  VARCHAR NOT NULL,
    zone       VARCHAR NOT NULL,
    day        INTEGER NOT NULL,
    num        BIGINT  NOT NULL,
    den        BIGINT  NOT NULL,
    PRIMARY KEY (indicator, zone, day)
);

-- Per-worker caseload deltas: +1 when an open investigation is assigned, -1 when it ends.
CREATE TABLE caseload_ledger (
    worker_id  VARCHAR NOT NULL,
    at_ns      BIGINT  NOT NULL,
    delta      BIGINT  NOT NULL,
    batch_id   BIGINT  NOT NULL
);

-- The next Kafka offset to read per partition: committed with the state it produced.
CREATE TABLE kafka_offsets (
    topic        VARCHAR NOT NULL,
    kafka_partition INTEGER NOT NULL,
    next_offset  BIGINT  NOT NULL,
    PRIMARY KEY (topic, kafka_partition)
);

-- Pipeline counters, committed with the state: exactly-once like everything else.
CREATE TABLE pipeline_counters (
    name   VARCHAR NOT NULL,
    label  VARCHAR NOT NULL,
    value  BIGINT  NOT NULL,
    PRIMARY KEY (name, label)
);

-- One row per committed batch.
CREATE TABLE batches (
    batch_id      BIGINT PRIMARY KEY,
    committed_at  BIGINT NOT NULL,
    messages      BIGINT NOT NULL,
    applied       BIGINT NOT NULL,
    max_occurred  BIGINT
);

-- Settings the stored aggregates depend on (time zone, clocks).
CREATE TABLE meta (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);
