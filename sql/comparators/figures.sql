-- Every force's figures for the measures asked for over exactly one period (both origins).
SELECT force_code, force_name, period_from, period_to, metric_id, numerator, denominator, value, source,
       published_on, origin
FROM mart_comparators
WHERE period_from = $period_from AND period_to = $period_to AND metric_id IN (SELECT unnest($metric_ids))
ORDER BY metric_id, force_code
