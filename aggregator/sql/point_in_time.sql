-- Point-in-time counts at instant t: every +1/-1 at or before t. Whole months before t's
-- month from month_sums, whole days of t's month before t's day from day_sums, and t's own day
-- up to t from the ledger.
-- $1 zone (NULL = citywide), $2 t's month, $3 first day of t's month, $4 t's day,
-- $5 start of t's day, $6 t
SELECT indicator, sum(num)::BIGINT AS num
FROM (
    SELECT indicator, num FROM month_sums_now
    WHERE month < $2 AND ($1 IS NULL OR zone = $1)
    UNION ALL
    SELECT indicator, num FROM day_sums_now
    WHERE day >= $3 AND day < $4 AND ($1 IS NULL OR zone = $1)
    UNION ALL
    SELECT indicator, num FROM ledger_now
    WHERE at_ns >= $5 AND at_ns <= $6 AND ($1 IS NULL OR zone = $1)
)
WHERE indicator IN ('open_investigations', 'active_cps', 'active_supervisors',
    'overdue_contact', 'overdue_safety_assessment', 'overdue_determination',
    'heightened_oversight_open')
GROUP BY indicator
