-- What the marts were built with: when, the thresholds in force (JSON: value, unit, source), and the
-- data they stand on (when it was last loaded, the first and last day of incidents). One row.
CREATE OR REPLACE TABLE mart_build AS
SELECT
    CAST($built_at AS TIMESTAMP) AS built_at,
    CAST($settings AS VARCHAR) AS settings,
    (SELECT max(finished_at) FROM load_batches WHERE status = 'loaded') AS data_loaded_at,
    (SELECT CAST(min(reported_at) AS DATE) FROM incidents) AS data_first_day,
    (SELECT CAST(max(reported_at) AS DATE) FROM incidents) AS data_last_day;
