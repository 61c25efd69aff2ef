-- One indicator's day buckets over [first day, day after last).
-- $1 indicator, $2 zone (NULL = citywide), $3 first day, $4 day after the last
SELECT day, sum(num)::BIGINT, sum(den)::BIGINT
FROM day_sums_now
WHERE indicator = $1 AND ($2 IS NULL OR zone = $2) AND day >= $3 AND day < $4
GROUP BY day
