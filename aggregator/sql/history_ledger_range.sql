-- One indicator's ledger contributions in [lo, hi]: a partial day.
-- $1 indicator, $2 zone (NULL = citywide), $3 lo, $4 hi
SELECT coalesce(sum(num), 0)::BIGINT, coalesce(sum(den), 0)::BIGINT
FROM ledger_now
WHERE indicator = $1 AND ($2 IS NULL OR zone = $2) AND at_ns >= $3 AND at_ns <= $4
