-- The first and last month that hold any incident, the last day, and when the data were loaded
-- (mart_build), to bound the period filters and say how fresh the data are.
SELECT CAST(date_trunc('month', data_first_day) AS DATE) AS first_month,
       CAST(date_trunc('month', data_last_day) AS DATE) AS last_month,
       data_last_day AS last_day,
       data_first_day AS first_day,
       data_loaded_at AS loaded_at
FROM mart_build
