-- Point-in-time counts at instant t: every +1/-1 at or before t. Whole days before t's day
-- come from day_agg, t's own day up to t from the ledger.
-- $1 zone (NULL = citywide), $2 t's local day, $3 start of t's day, $4 t
SELECT indicator, sum(num)::BIGINT AS num
FROM (
    SELECT indicator, num FROM day_agg
    WHERE day < $2 AND ($1 IS NULL OR zone = $1)
    UNION ALL
    SELECT indicator, num FROM contrib_ledger
    WHERE at_ns >= $3 AND at_ns <= $4 AND ($1 IS NULL OR zone = $1)
)
WHERE indicator IN ('open_investigations', 'active_cps', 'active_supervisors',
    'overdue_contact', 'overdue_safety_assessment', 'overdue_determination',
    'heightened_oversight_open')
GROUP BY indicator
