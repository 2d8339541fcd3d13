-- Distinct suspects with an incident in the period (or month) who, over the look-back ending at one of
-- those incidents, have incidents against two or more distinct victims (whole force history; the flag
-- is is_serial_incident in sql/marts/incident_flags.sql). A suspect counts once, at the unit of their
-- last incident in the period (the greater incident id on a tie).
WITH suspects AS (
    SELECT
        suspect_id,
        month_of(reported_at, $by_month) AS month,
        bool_or(is_serial_incident) AS suspect_is_serial,
        max_by({'force_code': force_code, 'division_code': division_code, 'csp_code': csp_code},
               {'reported_at': reported_at, 'incident_id': incident_id}) AS last_incident
    FROM incident_facts()
    WHERE in_period(reported_at, $period_from, $period_to) AND suspect_id IS NOT NULL
    GROUP BY suspect_id, month
), placed AS (
    SELECT
        unit_at($level, last_incident.force_code, last_incident.division_code, last_incident.csp_code)
            AS unit_code,
        month,
        suspect_is_serial
    FROM suspects
)
SELECT
    unit_code, month,
    CAST(NULL AS VARCHAR) AS breakdown,
    CAST(NULL AS VARCHAR) AS breakdown_value,
    count(*) FILTER (WHERE suspect_is_serial) AS serial_perpetrators__num
FROM placed
WHERE unit_code IS NOT NULL
GROUP BY unit_code, month
