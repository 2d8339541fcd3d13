-- The forces whose incidents the database holds, with the first and last day of them: which periods each
-- force's records cover (metrics.comparators reads this instead of scanning the incidents each time).
CREATE OR REPLACE TABLE mart_record_spans AS
SELECT force_code, CAST(min(reported_at) AS DATE) AS first_day, CAST(max(reported_at) AS DATE) AS last_day
FROM fact_incidents
GROUP BY force_code
ORDER BY force_code;
