-- The figures the marts worked out from the database's own records (several forces' records), every
-- force, period and measure, in the comparator format.
SELECT force_code, force_name, period_from, period_to, metric_id, numerator, denominator, value
FROM mart_comparators
WHERE origin = 'records'
ORDER BY period_to DESC, period_from DESC, metric_id, force_code
