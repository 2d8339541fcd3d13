-- Incidents reported since the last meeting ($window_start <= reported_at < $window_end), optionally one
-- division ($division_code NULL = all). Person ids only as pseudonymised references (12 hex characters).
SELECT
    i.incident_id,
    i.reported_at,
    i.division_code,
    i.csp_code,
    i.risk_level,
    left(i.victim_id, 12)   AS victim_ref,
    left(i.suspect_id, 12)  AS suspect_ref
FROM fact_incidents AS i
WHERE i.reported_at >= $window_start AND i.reported_at < $window_end
  AND i.force_code IN (SELECT unnest($forces))
  AND ($division_code IS NULL OR i.division_code = $division_code)
ORDER BY i.division_code, i.reported_at, i.incident_id
