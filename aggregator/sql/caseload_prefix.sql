-- Each relevant worker's load from every epoch before $4 (see caseload_spans.sql for $1-$3).
SELECT worker_id, sum(delta)::BIGINT
FROM caseload_epoch_now
WHERE epoch < $4 AND worker_id IN (
    SELECT worker_id FROM worker_spans_now
    WHERE role = 'cps' AND status = 'active' AND start_ns <= $3 AND end_ns > $2
      AND ($1 IS NULL OR zone = $1))
GROUP BY worker_id
