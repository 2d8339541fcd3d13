-- How many arrests and notices name an incident that is not loaded, of how many that name one at all.
SELECT 'arrests' AS table_name,
       count(*) FILTER (WHERE i.incident_id IS NULL) AS orphans,
       count(*)                                       AS with_incident_id
FROM arrests AS a
LEFT JOIN incidents AS i ON i.incident_id = a.incident_id
WHERE a.incident_id IS NOT NULL
UNION ALL
SELECT 'protective_orders',
       count(*) FILTER (WHERE i.incident_id IS NULL),
       count(*)
FROM protective_orders AS n
LEFT JOIN incidents AS i ON i.incident_id = n.incident_id
WHERE n.incident_id IS NOT NULL
