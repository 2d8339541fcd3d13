-- Crimes dated by crime_recorded_at: volume and domestic homicides.
WITH placed AS (
    SELECT
        force_code, division_code, csp_code,
        month_of(crime_at, $by_month) AS month,
        unnest(breakdown_rows(breakdown_list, $with_breakdowns)) AS b,
        *
    FROM incident_base()
    WHERE in_period(crime_at, $period_from, $period_to)
)
SELECT
    force_code, division_code, csp_code, month, b.breakdown AS breakdown,
    b.breakdown_value AS breakdown_value,
    count(*) AS crimes__num,
    count(*) FILTER (WHERE is_homicide) AS domestic_homicides__num
FROM placed
GROUP BY force_code, division_code, csp_code, month, b.breakdown, b.breakdown_value
