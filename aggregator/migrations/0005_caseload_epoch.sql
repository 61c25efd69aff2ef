-- Per-worker caseload deltas summed by epoch of 2^51 ns (about 26 days), so a worker's load at
-- t is the sum over earlier epochs plus the ledger from t's epoch start: the read cost no
-- longer grows with years of history. The writer merges each batch's deltas in.
CREATE TABLE caseload_epoch (
    worker_id  VARCHAR NOT NULL,
    epoch      BIGINT  NOT NULL,   -- at_ns >> 51
    delta      BIGINT  NOT NULL,
    PRIMARY KEY (worker_id, epoch)
);

INSERT INTO caseload_epoch
SELECT worker_id, at_ns >> 51, sum(delta)::BIGINT
FROM caseload_ledger
GROUP BY ALL;
