-- The first and last month that hold any incident, to bound the period filters.
SELECT CAST(date_trunc('month', min(reported_at)) AS DATE) AS first_month,
       CAST(date_trunc('month', max(reported_at)) AS DATE) AS last_month,
       CAST(max(reported_at) AS DATE) AS last_day
FROM incidents
