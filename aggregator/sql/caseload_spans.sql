-- Active-CPS spans overlapping [$2, $3] in zone $1 (NULL = citywide).
SELECT worker_id, start_ns, end_ns
FROM worker_spans_now
WHERE role = 'cps' AND status = 'active' AND start_ns <= $3 AND end_ns > $2
  AND ($1 IS NULL OR zone = $1)
