-- Every force's figure for each measure and period (one row per force, period, measure and origin):
-- origin 'loaded' from the comparators table, 'records' computed from the records of the database's
-- forces for the standard periods (when it holds several). Registered by
-- metrics.comparators.build_comparator_marts as comparator_figures.
CREATE OR REPLACE TABLE mart_comparators AS
SELECT
    CAST(force_code AS VARCHAR) AS force_code,
    CAST(force_name AS VARCHAR) AS force_name,
    CAST(period_from AS DATE) AS period_from,
    CAST(period_to AS DATE) AS period_to,
    CAST(metric_id AS VARCHAR) AS metric_id,
    CAST(numerator AS DOUBLE) AS numerator,
    CAST(denominator AS DOUBLE) AS denominator,
    CAST(value AS DOUBLE) AS value,
    CAST(source AS VARCHAR) AS source,
    CAST(published_on AS DATE) AS published_on,
    CAST(origin AS VARCHAR) AS origin
FROM comparator_figures
ORDER BY period_to, period_from, metric_id, force_code;
