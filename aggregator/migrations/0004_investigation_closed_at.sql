-- When each investigation was first closed (occurred_at, ns), so "open at t" can be found
-- without parsing every investigation's JSON state. Kept up to date by the writer with the
-- state itself; the backfill reads the value from the state JSON, where `first_closed` is
-- the bare integer or null.
ALTER TABLE investigations ADD COLUMN closed_at BIGINT;

UPDATE investigations
SET closed_at = TRY_CAST(NULLIF(regexp_extract(state, '"first_closed":(-?[0-9]+)', 1), '') AS BIGINT);
