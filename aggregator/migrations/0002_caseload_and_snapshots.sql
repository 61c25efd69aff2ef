-- Worker status spans, for caseload indicators: one row per interval between a worker's
-- consecutive status changes. Rebuilt for a worker whenever one of its events arrives.
CREATE TABLE worker_spans (
    worker_id  VARCHAR NOT NULL,
    role       VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,
    zone       VARCHAR NOT NULL,
    start_ns   BIGINT  NOT NULL,
    end_ns     BIGINT  NOT NULL   -- exclusive; 9223372036854775807 while current
);

-- Weekly snapshots: frozen once, never rewritten (a forced retake is logged and recorded).
CREATE TABLE snapshots (
    iso_week   VARCHAR PRIMARY KEY,   -- e.g. 2026-W47
    as_of      BIGINT  NOT NULL,      -- the week's end: Monday 00:00 local of the next week
    taken_at   BIGINT  NOT NULL,      -- wall clock when it was frozen
    forced     BOOLEAN NOT NULL,
    took_ms    BIGINT  NOT NULL
);

CREATE TABLE snapshot_values (
    iso_week     VARCHAR NOT NULL,
    zone         VARCHAR NOT NULL,    -- a zone code or 'citywide'
    window_name  VARCHAR NOT NULL,    -- 7d, 28d, 91d
    indicator    VARCHAR NOT NULL,
    value        DOUBLE,
    numerator    BIGINT,
    denominator  BIGINT
);
