-- Records naming an incident that is not loaded: arrests and notices whose incident_id is not in
-- incidents (kept on load, listed here). No person ids.
SELECT 'arrests' AS table_name, a.arrest_id AS record_id, a.incident_id, a.division_code,
       a.arrested_at AS event_at, a._batch_id AS batch_id
FROM arrests AS a
WHERE a.incident_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM incidents AS i WHERE i.incident_id = a.incident_id)
UNION ALL
SELECT 'protective_orders', n.notice_id, n.incident_id, n.division_code, n.served_at, n._batch_id
FROM protective_orders AS n
WHERE n.incident_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM incidents AS i WHERE i.incident_id = n.incident_id)
ORDER BY table_name, event_at, record_id
