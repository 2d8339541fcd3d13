-- The loaded comparator figures, each force named from the ONS lookup the product ships (else as loaded,
-- else by its code). metrics.comparators.complete_loaded fills what a row's counts allow.
SELECT
    c.force_code,
    coalesce(r.force_name, c.force_name, c.force_code) AS force_name,
    c.period_from,
    c.period_to,
    c.metric_id,
    c.numerator,
    c.denominator,
    c.value,
    c.source,
    c.published_on
FROM comparators AS c
LEFT JOIN ref_forces AS r USING (force_code)
ORDER BY c.metric_id, c.period_to, c.period_from, c.force_code
