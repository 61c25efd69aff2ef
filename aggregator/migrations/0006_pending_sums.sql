-- Day sums and caseload epochs of the latest batches, appended without matching keys.
-- Merging into the keyed tables (`ON CONFLICT` through their primary-key indexes) cost about
-- 5-7 ms per table and batch however few the rows, which a small batch of fresh events paid
-- three times. The writer now appends each batch's sums here and merges them into `day_agg`,
-- `month_agg` and `caseload_epoch` once enough rows have gathered, in the transaction of the
-- batch that crosses the bound. Rows here may repeat a key: every read sums.
CREATE TABLE day_agg_pending (
    indicator  VARCHAR NOT NULL,
    zone       VARCHAR NOT NULL,
    day        INTEGER NOT NULL,
    num        BIGINT  NOT NULL,
    den        BIGINT  NOT NULL
);

CREATE TABLE caseload_epoch_pending (
    worker_id  VARCHAR NOT NULL,
    epoch      BIGINT  NOT NULL,
    delta      BIGINT  NOT NULL
);

-- What the reads use: the merged sums and the pending ones, to be summed by key.
CREATE VIEW day_sums AS
    SELECT indicator, zone, day, num, den FROM day_agg
    UNION ALL
    SELECT indicator, zone, day, num, den FROM day_agg_pending;

-- The pending day sums by local month (month = year * 12 + month - 1, as in `month_agg`):
-- read through `month_sums`, and what a merge adds to `month_agg`.
CREATE VIEW month_agg_pending AS
    SELECT indicator, zone,
           (year(DATE '1970-01-01' + day) * 12 + month(DATE '1970-01-01' + day) - 1)::INTEGER
               AS month,
           num, den
    FROM day_agg_pending;

CREATE VIEW month_sums AS
    SELECT indicator, zone, month, num, den FROM month_agg
    UNION ALL
    SELECT indicator, zone, month, num, den FROM month_agg_pending;

CREATE VIEW caseload_epoch_sums AS
    SELECT worker_id, epoch, delta FROM caseload_epoch
    UNION ALL
    SELECT worker_id, epoch, delta FROM caseload_epoch_pending;
