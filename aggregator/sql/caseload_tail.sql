-- The relevant workers' deltas from $4 (the start of the first epoch, ns) to $3, in time order.
SELECT worker_id, at_ns, delta
FROM caseload_ledger_now
WHERE at_ns >= $4 AND at_ns <= $3 AND worker_id IN (
    SELECT worker_id FROM worker_spans_now
    WHERE role = 'cps' AND status = 'active' AND start_ns <= $3 AND end_ns > $2
      AND ($1 IS NULL OR zone = $1))
ORDER BY at_ns
