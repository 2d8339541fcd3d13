-- Incidents since the last meeting where a power of arrest existed and no arrest linked to the incident
-- had been made by the meeting time (fact_incidents.first_arrest_at): the highest risk first, then the
-- longest since the report.
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
FROM fact_incidents AS i
WHERE i.had_power_of_arrest
  AND (i.first_arrest_at IS NULL OR i.first_arrest_at > $window_end)
  AND i.reported_at >= $window_start AND i.reported_at < $window_end
  AND i.force_code IN (SELECT unnest($forces))
  AND ($division_code IS NULL OR i.division_code = $division_code)
ORDER BY CASE i.risk_level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'standard' THEN 2 ELSE 3 END,
         i.reported_at, i.incident_id
