-- Distinct suspects with an incident in the period (or month) who, over the look-back ending at one of
-- those incidents, have incidents against two or more distinct victims (whole force history; the flag
-- is is_serial_incident in sql/marts/incident_flags.sql). A suspect counts once, at the unit of their
-- last incident in the period (the greater incident id on a tie).
WITH suspects AS (
    SELECT
        suspect_id,
        month_of(reported_at, $by_month) AS month,
        bool_or(is_serial_incident) AS suspect_is_serial,
        max_by(incident_id, {'reported_at': reported_at, 'incident_id': incident_id}) AS last_incident_id
    FROM incident_facts()
    WHERE in_period(reported_at, $period_from, $period_to) AND suspect_id IS NOT NULL
    GROUP BY suspect_id, month
), placed AS (
    SELECT
        i.force_code, i.division_code, i.csp_code,
        s.month,
        s.suspect_is_serial
    FROM suspects AS s
    JOIN incidents AS i ON i.incident_id = s.last_incident_id
)
SELECT
    force_code, division_code, csp_code, month,
    CAST(NULL AS VARCHAR) AS breakdown,
    CAST(NULL AS VARCHAR) AS breakdown_value,
    count(*) FILTER (WHERE suspect_is_serial) AS serial_perpetrators__num
FROM placed
GROUP BY force_code, division_code, csp_code, month
