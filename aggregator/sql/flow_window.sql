-- Flow sums over a rolling window (lo, hi]: whole local days from day_sums (merged and
-- pending day sums, migration 6), and the two
-- partial days at the edges from the ledger.
-- $1 zone (NULL = citywide), $2 first whole day, $3 day after the last whole day,
-- $4 lo (exclusive), $5 start of the first whole day, $6 start of hi's day, $7 hi (inclusive)
SELECT indicator, sum(num)::BIGINT AS num, sum(den)::BIGINT AS den
FROM (
    SELECT indicator, num, den FROM day_sums_now
    WHERE day >= $2 AND day < $3 AND ($1 IS NULL OR zone = $1)
    UNION ALL
    -- Two plain ranges rather than one OR: each can skip row groups by their min/max.
    SELECT indicator, num, den FROM ledger_now
    WHERE at_ns > $4 AND at_ns < $5 AND ($1 IS NULL OR zone = $1)
    UNION ALL
    SELECT indicator, num, den FROM ledger_now
    WHERE at_ns >= $6 AND at_ns <= $7 AND ($1 IS NULL OR zone = $1)
)
WHERE indicator IN ('intakes', 'contact_24h_rate', 'safety_assessment_7d_rate',
    'determination_60d_rate', 'indication_rate', 'supervisory_review_rate',
    'all_children_seen_rate', 'children_removed', 'safety_conference_rate',
    'repeat_within_12m_rate', 'ecs_involved')
GROUP BY indicator
