-- Caseload at instant t: for each CPS active at t (in the zone, or anywhere for citywide),
-- the number of open investigations assigned to them at t, in any zone.
-- $1 zone (NULL = citywide), $2 t, $3 caseload threshold
WITH active AS (
    SELECT DISTINCT worker_id FROM worker_spans
    WHERE role = 'cps' AND status = 'active' AND start_ns <= $2 AND $2 < end_ns
      AND ($1 IS NULL OR zone = $1)
), loads AS (
    SELECT a.worker_id, coalesce(sum(c.delta), 0) AS n
    FROM active a
    LEFT JOIN caseload_ledger c ON c.worker_id = a.worker_id AND c.at_ns <= $2
    GROUP BY a.worker_id
)
SELECT count(*)::BIGINT AS cps,
       coalesce(sum(n), 0)::BIGINT AS total,
       max(n)::BIGINT AS max_load,
       count(*) FILTER (WHERE n > $3)::BIGINT AS over
FROM loads
