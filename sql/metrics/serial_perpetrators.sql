-- Distinct suspects with an incident in the period (or month) who, over the look-back ending at one of
-- those incidents, have incidents against two or more distinct victims (whole force history).
-- A suspect counts once, at the unit of their last incident in the period.
WITH in_period AS (
    SELECT *, month_of(reported_at, $by_month) AS month
    FROM incident_facts()
    WHERE in_period(reported_at, $period_from, $period_to) AND suspect_id IS NOT NULL
), suspects AS (
    SELECT
        *,
        bool_or(is_serial_incident) OVER (PARTITION BY suspect_id, month) AS suspect_is_serial
    FROM in_period
    QUALIFY row_number() OVER (PARTITION BY suspect_id, month ORDER BY reported_at DESC, incident_id DESC) = 1
)
SELECT
    unit_at($level, force_code, division_code, csp_code) AS unit_code,
    month,
    CAST(NULL AS VARCHAR) AS breakdown,
    CAST(NULL AS VARCHAR) AS breakdown_value,
    count(*) FILTER (WHERE suspect_is_serial) AS serial_perpetrators__num
FROM suspects
WHERE unit_at($level, force_code, division_code, csp_code) IS NOT NULL
GROUP BY ALL
