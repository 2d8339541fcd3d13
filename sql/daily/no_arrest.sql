-- Incidents since the last meeting where a power of arrest existed and no arrest (linked by incident_id)
-- has been made by the meeting time.
SELECT
    i.incident_id,
    i.reported_at,
    i.division_code,
    i.csp_code,
    i.risk_level,
    left(i.suspect_id, 12)  AS suspect_ref,
    left(i.victim_id, 12)   AS victim_ref,
    i.no_arrest_reason,
    round(date_diff('second', i.reported_at, $window_end) / 3600.0, 1) AS hours_since_report
FROM incidents AS i
WHERE i.power_of_arrest
  AND i.reported_at >= $window_start AND i.reported_at < $window_end
  AND ($division_code IS NULL OR i.division_code = $division_code)
  AND NOT EXISTS (
        SELECT 1 FROM arrests AS a
        WHERE a.incident_id = i.incident_id AND a.arrested_at <= $window_end
  )
ORDER BY i.division_code, i.reported_at, i.incident_id
