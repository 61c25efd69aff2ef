-- Investigations open at instant $1 by receipt and closing (the zone at $1 and the opening's
-- own occurred_at are checked on the decoded state).
SELECT investigation_id, state
FROM investigations_now
WHERE opened AND received_at <= $1 AND (closed_at IS NULL OR closed_at > $1)
ORDER BY investigation_id
