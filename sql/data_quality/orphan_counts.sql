-- How many arrests and notices name an incident that is not loaded, of how many that name one at all.
SELECT 'arrests' AS table_name,
       count(*) FILTER (WHERE NOT incident_found) AS orphans,
       count(*)                                   AS with_incident_id
FROM fact_arrests
WHERE incident_id IS NOT NULL AND force_code IN (SELECT unnest($forces))
UNION ALL
SELECT 'protective_orders',
       count(*) FILTER (WHERE NOT incident_found),
       count(*)
FROM fact_notices
WHERE incident_id IS NOT NULL AND force_code IN (SELECT unnest($forces))
