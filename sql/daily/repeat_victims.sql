-- Victims with an incident since the last meeting who have $daily_repeat_victim_incidents or more
-- incidents in the $lookback_days days before the meeting (the force's whole history, any division),
-- placed in the division of their latest incident in the window. People are keyed by force and id.
WITH recent AS (
    SELECT
        force_code, victim_id, incident_id, reported_at, division_code, csp_code, risk_level,
        row_number() OVER (PARTITION BY force_code, victim_id ORDER BY reported_at DESC, incident_id DESC)
            AS newest_first
    FROM fact_incidents
    WHERE reported_at >= $window_start AND reported_at < $window_end
      AND force_code IN (SELECT unnest($forces))
), history AS (
    SELECT i.force_code, i.victim_id, count(*) AS incidents_12_months, min(i.reported_at) AS first_in_12_months
    FROM fact_incidents AS i
    SEMI JOIN recent AS r ON r.force_code = i.force_code AND r.victim_id = i.victim_id
    WHERE i.reported_at >= $window_end - to_days(CAST($lookback_days AS INTEGER))
      AND i.reported_at < $window_end
    GROUP BY i.force_code, i.victim_id
)
SELECT
    left(r.victim_id, 12)  AS victim_ref,
    h.incidents_12_months,
    h.first_in_12_months,
    r.incident_id          AS latest_incident_id,
    r.reported_at          AS latest_reported_at,
    r.risk_level           AS latest_risk_level,
    r.division_code,
    r.csp_code
FROM recent AS r
JOIN history AS h USING (force_code, victim_id)
WHERE r.newest_first = 1
  AND h.incidents_12_months >= $daily_repeat_victim_incidents
  AND ($division_code IS NULL OR r.division_code = $division_code)
ORDER BY h.incidents_12_months DESC, r.division_code, r.reported_at, victim_ref
