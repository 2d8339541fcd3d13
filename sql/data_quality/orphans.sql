-- Records naming an incident that is not loaded: arrests and notices whose incident is not among the
-- force's incidents (kept on load, listed here). No person ids.
SELECT 'arrests' AS table_name, arrest_id AS record_id, incident_id, division_code,
       arrested_at AS event_at, force_code
FROM fact_arrests
WHERE incident_id IS NOT NULL AND NOT incident_found AND force_code IN (SELECT unnest($forces))
UNION ALL
SELECT 'protective_orders', notice_id, incident_id, division_code, served_at, force_code
FROM fact_notices
WHERE incident_id IS NOT NULL AND NOT incident_found AND force_code IN (SELECT unnest($forces))
ORDER BY table_name, event_at, record_id
