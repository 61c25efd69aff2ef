-- One indicator's ledger contributions exactly at each of a list of instants.
-- $1 indicator, $2 zone (NULL = citywide), $3 the instants as a BIGINT[] literal
SELECT at_ns, sum(num)::BIGINT
FROM ledger_now
WHERE indicator = $1 AND ($2 IS NULL OR zone = $2) AND at_ns = ANY($3::BIGINT[])
GROUP BY at_ns
