-- Pipeline counters and the last commit, for /api/v1/status and start-up metrics.
SELECT name, label, value FROM pipeline_counters ORDER BY name, label
