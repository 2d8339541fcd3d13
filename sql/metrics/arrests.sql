-- Arrests dated by arrested_at (division of their own, CSP of their incident), custody disposals, and
-- arrests per 100 crimes: two counts in the same unit and period, not linked (the ONS definition).
WITH arrest_counts AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(arrested_at, $by_month) AS month,
        count(*) AS arrests,
        count(*) FILTER (WHERE custody_disposal = 'bail_conditions') AS bail_conditions,
        count(*) FILTER (WHERE custody_disposal IN ('bail_conditions', 'bail_no_conditions', 'rui'))
            AS bail_or_rui
    FROM arrest_facts()
    WHERE in_period(arrested_at, $period_from, $period_to)
    GROUP BY ALL
), crime_counts AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(crime_at, $by_month) AS month,
        count(*) AS crimes
    FROM incident_base()
    WHERE in_period(crime_at, $period_from, $period_to)
    GROUP BY ALL
)
SELECT
    coalesce(a.force_code, c.force_code) AS force_code,
    coalesce(a.division_code, c.division_code) AS division_code,
    coalesce(a.csp_code, c.csp_code) AS csp_code,
    coalesce(a.month, c.month) AS month,
    CAST(NULL AS VARCHAR) AS breakdown,
    CAST(NULL AS VARCHAR) AS breakdown_value,
    coalesce(a.arrests, 0) AS arrests__num,
    coalesce(a.arrests, 0) AS arrests_per_100_crimes__num,
    coalesce(c.crimes, 0) AS arrests_per_100_crimes__den,
    coalesce(a.bail_conditions, 0) AS bail_conditions_share__num,
    coalesce(a.bail_or_rui, 0) AS bail_conditions_share__den
FROM arrest_counts AS a
FULL JOIN crime_counts AS c
    ON c.force_code = a.force_code
   AND c.division_code IS NOT DISTINCT FROM a.division_code
   AND c.csp_code IS NOT DISTINCT FROM a.csp_code
   AND c.month IS NOT DISTINCT FROM a.month
