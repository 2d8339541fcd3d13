-- Where the cohort's crimes went: one row per Home Office outcome type present (type 0, no outcome yet
-- assigned, as "awaiting"), with its name and group from dim_outcome_types. Selects from `cohort`.
SELECT
    c.outcome_type,
    coalesce(t.label, 'Not recognised')             AS label,
    coalesce(t.outcome_group, 'awaiting')            AS outcome_group,
    c.crimes,
    c.crimes / sum(c.crimes) OVER ()                 AS share,
    c.outcome_type IN ('15', '16')                   AS called_out
FROM (
    SELECT coalesce(outcome_type, '0') AS outcome_type, count(*) AS crimes
    FROM cohort
    GROUP BY 1
) AS c
LEFT JOIN dim_outcome_types AS t USING (outcome_type)
ORDER BY coalesce(t.sort_order, 99), c.outcome_type
